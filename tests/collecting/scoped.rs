//! Spans that collect themselves when dropped: an early `?` and a panic still deliver them,
//! marked; an explicit `end()` does not mark them.
use otlp_collector::{Collector, Config};
use otlp_test_receiver::{common::any_value::Value as AnyValue, Receiver};

fn parse(collector: &Collector, text: &str) -> Result<u32, std::num::ParseIntError> {
    let mut span = collector.start_scoped(format!("parse {text}"));
    let number: u32 = text.parse()?;
    span.set_attribute("number", number);
    span.end();
    Ok(number)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_returns_and_panics_still_deliver_the_span_marked() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(Config::default().with_endpoint(receiver.endpoint())).unwrap();
    assert_eq!(parse(&collector, "42"), Ok(42));
    assert!(parse(&collector, "forty-two").is_err());
    let panicking = collector.clone();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let parent = panicking.start_scoped("parent");
        let _child = parent.child("child");
        panic!("boom");
    }));
    assert!(unwound.is_err());
    collector.shutdown().await.unwrap();
    let spans = receiver.spans();
    let named = |name: &str| spans.iter().find(|span| span.name == name).unwrap().clone();
    let marked = |span: &otlp_test_receiver::trace::Span| {
        span.attributes
            .iter()
            .find(|attribute| attribute.key == "ended_on_drop")
            .and_then(|attribute| attribute.value.clone()?.value)
            == Some(AnyValue::BoolValue(true))
    };
    assert!(!marked(&named("parse 42")), "an explicit end is not marked");
    assert!(marked(&named("parse forty-two")), "the early return is");
    for name in ["parent", "child"] {
        let span = named(name);
        assert!(marked(&span), "{name}");
        assert_eq!(
            span.status.unwrap().code,
            2,
            "{name}: error status after a panic"
        );
    }
    assert_eq!(named("child").parent_span_id, named("parent").span_id);
    assert_eq!(collector.stats().exported, 4);
}
