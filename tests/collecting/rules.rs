//! Transform rules on a running collector: statements applied on the export side before
//! encoding, drop conditions counted as `filtered_out` (outside `dropped`, inside the
//! balance), failures counted and reported without losing the span, and rules that do not
//! compile refused at construction naming the rule and the column. (The semantics, case
//! by case, against the Collector's own processors: `tests/interop/otelcol_rules.rs`.)

#[cfg(feature = "transform")]
use std::sync::{Arc, Mutex};

use otlp_collector::Config;
#[cfg(feature = "transform")]
use otlp_collector::{Collector, ConfigError, ErrorMode, Problem, Span, StartError};
#[cfg(feature = "transform")]
use otlp_test_receiver::{common, Receiver};

#[cfg(feature = "transform")]
fn attribute<'s>(
    span: &'s otlp_test_receiver::trace::Span,
    key: &str,
) -> Option<&'s common::any_value::Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

#[cfg(feature = "transform")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_redact_and_drop_conditions_filter_before_export() {
    let receiver = Receiver::start().await.unwrap();
    let problems = Arc::new(Mutex::new(Vec::<Problem>::new()));
    let sink = Arc::clone(&problems);
    let collector = Collector::new(
        Config::default()
            .with_endpoint(receiver.endpoint())
            .with_transform([
                r#"delete_key(attributes, "user.email")"#,
                r#"replace_pattern(attributes["url.full"], "token=[^&]*", "token=REDACTED")"#,
                // Fails on every span that has no `n` (Substring of nil): counted, reported,
                // and the span still goes.
                r#"set(attributes["short"], Substring(attributes["n"], 0, 2))"#,
            ])
            .with_drop_spans([r#"attributes["url.path"] == "/health""#])
            .with_problem_handler(move |problem: &Problem| {
                sink.lock().unwrap().push(problem.clone())
            }),
    )
    .unwrap();
    for i in 0..10 {
        collector
            .collect(
                Span::new("GET /cart")
                    .with_attribute("user.email", "ada@example.com")
                    .with_attribute("url.full", format!("https://shop.test/cart?token=t{i}&x=1"))
                    .with_attribute("url.path", "/cart")
                    .end(),
            )
            .unwrap();
    }
    for _ in 0..5 {
        collector
            .collect(
                Span::new("GET /health")
                    .with_attribute("url.path", "/health")
                    .end(),
            )
            .unwrap();
    }
    collector.shutdown().await.unwrap();

    let stats = collector.stats();
    assert_eq!(
        (stats.collected, stats.exported, stats.filtered_out),
        (15, 10, 5),
        "{stats:?}"
    );
    assert_eq!(stats.dropped(), 0, "filtered spans are not lost ones");
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(
        stats.rule_errors, 15,
        "the failing statement, once per span"
    );
    let spans = receiver.spans();
    assert_eq!(spans.len(), 10);
    for span in &spans {
        assert!(attribute(span, "user.email").is_none());
        let Some(common::any_value::Value::StringValue(url)) = attribute(span, "url.full") else {
            panic!("{span:?}")
        };
        assert!(url.contains("token=REDACTED&x=1"), "{url}");
    }
    let reported = problems.lock().unwrap();
    assert!(
        reported.iter().any(|problem| matches!(problem, Problem::RuleFailed { message, .. } if message.contains("Substring"))),
        "{reported:?}"
    );
    let text = collector.prometheus_text();
    assert!(
        text.contains("otlp_collector_spans_filtered_total 5"),
        "{text}"
    );
    assert!(
        text.contains("otlp_collector_rule_errors_total 15"),
        "{text}"
    );
}

#[cfg(feature = "transform")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propagate_stops_a_spans_statements_and_silent_does_not_report() {
    let receiver = Receiver::start().await.unwrap();
    let problems = Arc::new(Mutex::new(0usize));
    let count = Arc::clone(&problems);
    let collector = Collector::new(
        Config::default()
            .with_endpoint(receiver.endpoint())
            .with_transform([
                r#"set(attributes["a"], Int("x"))"#,
                r#"set(attributes["b"], "after")"#,
            ])
            .with_rule_error_mode(ErrorMode::Propagate),
    )
    .unwrap();
    collector.collect(Span::new("p").end()).unwrap();
    collector.shutdown().await.unwrap();
    let spans = receiver.spans();
    assert_eq!(spans.len(), 1, "the span is never lost");
    assert!(
        attribute(&spans[0], "b").is_none(),
        "propagate ran no further statement"
    );

    let silent = Collector::new(
        Config::default()
            .with_endpoint(receiver.endpoint())
            .with_transform([r#"set(attributes["a"], Int("x"))"#])
            .with_rule_error_mode(ErrorMode::Silent)
            .with_problem_handler(move |_: &Problem| *count.lock().unwrap() += 1),
    )
    .unwrap();
    silent.collect(Span::new("s").end()).unwrap();
    silent.shutdown().await.unwrap();
    assert_eq!(silent.stats().rule_errors, 1);
    assert_eq!(*problems.lock().unwrap(), 0, "silent reports nothing");
}

#[cfg(feature = "transform")]
#[test]
fn a_rule_that_does_not_compile_is_refused_naming_it_and_the_column() {
    let refused = Collector::new(
        Config::default().with_transform([r#"set(attributes["a"], Concat(["x"], "-")"#]),
    );
    let Err(StartError::Config(ConfigError::InvalidRule(error))) = refused else {
        panic!("the rule was not refused as invalid")
    };
    assert_eq!(error.column, 40, "where the closing parenthesis is missing");
    let message = Config::default()
        .with_drop_spans([r#"attributes["a"] === 1"#])
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(r#"rule `attributes["a"] === 1` is invalid at column"#),
        "{message}"
    );
}

#[cfg(not(feature = "transform"))]
#[test]
fn without_the_feature_rules_are_refused_naming_it() {
    let error = Config::default()
        .with_drop_spans(["true"])
        .validate()
        .unwrap_err()
        .to_string();
    assert!(error.contains("`transform` cargo feature"), "{error}");
}

/// The README's example rules compile (and mean what its text says they do).
#[cfg(feature = "transform")]
#[test]
fn the_readmes_example_rules_compile() {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Shaping what leaves").unwrap()..];
    let example = &section[section.find("```rust").unwrap()..];
    let example = &example[..example[7..].find("```").unwrap()];
    let (transform, drops) = example.split_at(example.find(".with_drop_spans(").unwrap());
    let rules = |text: &str| -> Vec<String> {
        text.split("r#\"")
            .skip(1)
            .map(|rest| rest[..rest.find("\"#").unwrap()].to_owned())
            .collect()
    };
    let (transform, drops) = (rules(transform), rules(drops));
    assert_eq!((transform.len(), drops.len()), (6, 2));
    Config::default()
        .with_transform(transform)
        .with_drop_spans(drops)
        .validate()
        .unwrap();
}
