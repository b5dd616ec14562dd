//! Bad input end to end: huge values, too many attributes, NaN and infinities, empty names.
//! Each gets a documented handling — truncation, a counted drop, or faithful transport —
//! never a panic and never a silent loss.
use otlp_collector::{Collector, Config, Event, Span, SpanLimits, Value, MAX_VALUE_NESTING};
use otlp_test_receiver::{common::any_value, Receiver};

async fn collector_for(receiver: &Receiver, config: Config) -> Collector {
    Collector::new(config.with_endpoint(receiver.endpoint())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn megabyte_values_are_truncated_by_the_length_limit() {
    let receiver = Receiver::start().await.unwrap();
    let limits = SpanLimits {
        max_attribute_value_length: Some(1024),
        ..SpanLimits::default()
    };
    let collector = collector_for(&receiver, Config::default().with_span_limits(limits)).await;
    let span = collector
        .start_span("huge")
        .with_attribute("blob", "ü".repeat(1 << 20))
        .end();
    collector.collect(span).unwrap();
    collector.flush().await.unwrap();
    let received = receiver.spans();
    let Some(any_value::Value::StringValue(text)) = received[0].attributes[0]
        .value
        .as_ref()
        .and_then(|v| v.value.clone())
    else {
        panic!("expected a string attribute");
    };
    assert_eq!(
        text.chars().count(),
        1024,
        "truncated to the limit, in characters"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_larger_than_a_request_is_dropped_and_counted_the_rest_delivered() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector_for(
        &receiver,
        Config::default().with_max_request_bytes(256 * 1024),
    )
    .await;
    collector
        .collect(
            Span::new("huge")
                .with_attribute("blob", "x".repeat(1 << 20))
                .end(),
        )
        .unwrap();
    for _ in 0..10 {
        collector.collect(Span::new("small").end()).unwrap();
    }
    let error = collector.flush().await.unwrap_err();
    assert!(
        error.to_string().contains("1 spans could not be delivered"),
        "{error}"
    );
    assert!(collector
        .last_export_error()
        .unwrap()
        .contains("larger than the request size limit"));
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped_too_large), (10, 1));
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(receiver.span_count(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_attributes_are_limited_and_the_drop_is_reported() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector_for(&receiver, Config::default()).await;
    let mut span = collector.start_span("crowded");
    for i in 0..5000 {
        span.set_attribute(format!("key.{i}"), i);
    }
    let mut event = Event::new("crowded event");
    for i in 0..300 {
        event = event.with_attribute(format!("e.{i}"), i);
    }
    collector.collect(span.with_event(event).end()).unwrap();
    collector.flush().await.unwrap();
    let received = &receiver.spans()[0];
    assert_eq!(received.attributes.len(), 128);
    assert_eq!(received.dropped_attributes_count, 5000 - 128);
    assert_eq!(received.events[0].attributes.len(), 128);
    assert_eq!(received.events[0].dropped_attributes_count, 300 - 128);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nan_infinities_and_empty_names_travel_over_protobuf() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector_for(&receiver, Config::default()).await;
    let doubles = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0];
    let span = Span::new("")
        .with_attribute(
            "",
            Value::Array(doubles.iter().map(|d| Value::Double(*d)).collect()),
        )
        .with_event(Event::new(""))
        .end();
    collector.collect(span).unwrap();
    collector.flush().await.unwrap();
    let received = &receiver.spans()[0];
    assert_eq!(received.name, "");
    assert_eq!(received.events[0].name, "");
    let Some(any_value::Value::ArrayValue(array)) = received.attributes[0]
        .value
        .as_ref()
        .and_then(|v| v.value.clone())
    else {
        panic!("expected an array");
    };
    let bits: Vec<u64> = array
        .values
        .iter()
        .filter_map(|value| match value.value {
            Some(any_value::Value::DoubleValue(double)) => Some(double.to_bits()),
            _ => None,
        })
        .collect();
    assert_eq!(bits, doubles.map(f64::to_bits));
}

/// Over OTLP/JSON a NaN or infinite double used to be written as `"NaN"` in `doubleValue`,
/// which serde-based receivers refuse, losing the whole batch. Now such a value travels as
/// a string value and every span arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(feature = "json")]
async fn nan_and_infinities_do_not_cost_a_json_batch() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector_for(
        &receiver,
        Config::default().with_protocol(otlp_collector::Protocol::HttpJson),
    )
    .await;
    let span = Span::new("odd")
        .with_attribute("nan", f64::NAN)
        .with_attribute("inf", f64::INFINITY)
        .with_attribute("-inf", f64::NEG_INFINITY)
        .with_attribute("finite", 1.5)
        .end();
    collector.collect(span).unwrap();
    collector.collect(Span::new("neighbour").end()).unwrap();
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped()), (2, 0), "{stats:?}");
    assert!(
        receiver.decode_errors().is_empty(),
        "{:?}",
        receiver.decode_errors()
    );
    let spans = receiver.spans();
    let odd = spans.iter().find(|span| span.name == "odd").unwrap();
    let values: Vec<_> = odd
        .attributes
        .iter()
        .map(|attribute| attribute.value.as_ref().and_then(|v| v.value.clone()))
        .collect();
    assert_eq!(
        values,
        [
            Some(any_value::Value::StringValue("NaN".into())),
            Some(any_value::Value::StringValue("Infinity".into())),
            Some(any_value::Value::StringValue("-Infinity".into())),
            Some(any_value::Value::DoubleValue(1.5)),
        ]
    );
}

fn nested(depth: usize) -> Value {
    let mut value = Value::from("leaf");
    for level in 0..depth {
        value = if level % 2 == 0 {
            Value::Array(vec![value])
        } else {
            Value::KvList(vec![otlp_collector::KeyValue::new("k", value)])
        };
    }
    value
}

/// 10,000 levels overflowed the encoders' stacks (aborting the process); 40 were encoded
/// and then refused by the receiver's decoder, losing the whole batch. Now both are dropped
/// when set and counted in the span's dropped attributes, and the span and its neighbours
/// arrive, over protobuf and JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_values_cannot_crash_or_cost_the_batch() {
    for protocol in crate::http_protocols() {
        let receiver = Receiver::start().await.unwrap();
        let collector = collector_for(&receiver, Config::default().with_protocol(protocol)).await;
        let span = collector
            .start_span("deep")
            .with_attribute("abort", nested(10_000))
            .with_attribute("refused", nested(40))
            .with_attribute("kept", nested(MAX_VALUE_NESTING))
            .with_event(Event::new("e").with_attribute("deep", nested(10_000)))
            .end();
        collector.collect(span).unwrap();
        collector
            .collect(collector.start_span("neighbour").end())
            .unwrap();
        collector.flush().await.unwrap();
        let stats = collector.stats();
        assert_eq!((stats.exported, stats.dropped()), (2, 0), "{protocol:?}");
        assert!(
            receiver.decode_errors().is_empty(),
            "{:?}",
            receiver.decode_errors()
        );
        let spans = receiver.spans();
        let deep = spans.iter().find(|span| span.name == "deep").unwrap();
        assert_eq!(deep.attributes.len(), 1, "{protocol:?}");
        assert_eq!(deep.attributes[0].key, "kept");
        assert_eq!(deep.dropped_attributes_count, 2);
        assert_eq!(deep.events[0].dropped_attributes_count, 1);
    }
}
