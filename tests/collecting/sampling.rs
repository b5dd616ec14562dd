//! Head sampling end to end, against the loopback receiver: a remote parent's `sampled` flag
//! is honoured (a `00` parent's spans are never exported), a ratio keeps whole traces in its
//! share, unsampled spans record nothing and are counted apart, and `OTEL_TRACES_SAMPLER`
//! / `_ARG` are read with errors naming the variable.
use std::collections::{HashMap, HashSet};

use otlp_collector::{Collector, Config, ConfigError, Problem, Sampler, SpanContext};
use otlp_test_receiver::Receiver;

fn variables(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_parent_that_was_not_sampled_is_honoured() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(Config::default().with_endpoint(receiver.endpoint())).unwrap();
    let unsampled =
        SpanContext::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
            .unwrap();
    let sampled =
        SpanContext::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-01")
            .unwrap();
    let dropped = collector
        .start_child_of(&unsampled, "not sampled")
        .with_attribute("ignored", 1);
    assert!(!dropped.is_recording());
    assert!(
        dropped.attributes().is_empty(),
        "an unsampled span records nothing"
    );
    let child = dropped.child("its child");
    assert!(!child.is_recording(), "children follow");
    collector.collect(child.end()).unwrap();
    collector.collect(dropped.end()).unwrap();
    collector
        .collect(collector.start_child_of(&sampled, "sampled").end())
        .unwrap();
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!(
        (stats.collected, stats.exported, stats.sampled_out),
        (1, 1, 2),
        "{stats:?}"
    );
    assert!(stats.is_balanced(), "{stats:?}");
    let names: Vec<String> = receiver.spans().into_iter().map(|span| span.name).collect();
    assert_eq!(names, ["sampled"]);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ratio_keeps_whole_traces_in_its_share() {
    let receiver = Receiver::start_counting().await.unwrap();
    let config = Config::default()
        .with_endpoint(receiver.endpoint())
        .with_sampler(Sampler::ParentBasedTraceIdRatio(0.1))
        .with_max_queue_size(50_000)
        .with_batch_size(2048);
    let collector = Collector::new(config).unwrap();
    let traces = 4000;
    for _ in 0..traces {
        let root = collector.start_span("root");
        for _ in 0..3 {
            collector.collect(root.child("child").end()).unwrap();
        }
        collector.collect(root.end()).unwrap();
    }
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!(stats.exported % 4, 0, "whole traces only: {stats:?}");
    let kept = (stats.exported / 4) as f64;
    // Five standard deviations of a binomial count around 400.
    let slack = 5.0 * (traces as f64 * 0.1 * 0.9_f64).sqrt();
    assert!(
        (kept - 400.0).abs() < slack,
        "{kept} traces kept of {traces}"
    );
    assert_eq!(stats.exported + stats.sampled_out, traces * 4);
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(receiver.span_count(), stats.exported);
    collector.shutdown().await.unwrap();
}

#[test]
fn otel_traces_sampler_variables_are_read_and_wrong_ones_ignored_by_name() {
    let read = |pairs: &[(&str, &str)]| Config::from_source(&variables(pairs)).map(|c| c.sampler());
    assert_eq!(read(&[]).unwrap(), Sampler::ParentBasedAlwaysOn);
    for (value, expected) in [
        ("always_on", Sampler::AlwaysOn),
        ("always_off", Sampler::AlwaysOff),
        ("parentbased_always_on", Sampler::ParentBasedAlwaysOn),
        ("parentbased_always_off", Sampler::ParentBasedAlwaysOff),
        ("traceidratio", Sampler::TraceIdRatio(1.0)),
    ] {
        assert_eq!(read(&[("OTEL_TRACES_SAMPLER", value)]).unwrap(), expected);
    }
    assert_eq!(
        read(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .unwrap(),
        Sampler::ParentBasedTraceIdRatio(0.25)
    );
    // Wrong values are warned about and ignored, as the SDK configuration specification
    // asks: the default sampler, a ratio of 1.
    for (pairs, variable, sampler) in [
        (
            vec![("OTEL_TRACES_SAMPLER", "jaeger_remote")],
            "OTEL_TRACES_SAMPLER",
            Sampler::ParentBasedAlwaysOn,
        ),
        (
            vec![
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
            ],
            "OTEL_TRACES_SAMPLER_ARG",
            Sampler::TraceIdRatio(1.0),
        ),
        (
            vec![
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "half"),
            ],
            "OTEL_TRACES_SAMPLER_ARG",
            Sampler::ParentBasedTraceIdRatio(1.0),
        ),
    ] {
        let config = Config::from_source(&variables(&pairs))
            .unwrap_or_else(|error| panic!("{pairs:?}: ignored, not fatal: {error}"));
        assert_eq!(config.sampler(), sampler, "{pairs:?}");
        assert_eq!(config.ignored_settings().len(), 1, "{pairs:?}");
        assert!(
            config.ignored_settings()[0].contains(variable),
            "{:?}",
            config.ignored_settings()
        );
    }
    assert!(read(&[("OTEL_TRACES_SAMPLER", "always_on")]).is_ok());
    assert!(
        Config::from_source(&variables(&[("OTEL_TRACES_SAMPLER", "always_on")]))
            .unwrap()
            .ignored_settings()
            .is_empty()
    );
    let invalid = Config::default().with_sampler(Sampler::TraceIdRatio(-0.5));
    assert!(matches!(
        invalid.validate(),
        Err(ConfigError::InvalidSampler(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_sampler_setting_is_reported_when_the_collector_starts() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    let config = Config::from_source(&variables(&[("OTEL_TRACES_SAMPLER", "jaeger_remote")]))
        .unwrap()
        .with_problem_handler(move |problem: &Problem| sink.lock().unwrap().push(problem.clone()));
    let collector = Collector::new(config).unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(
        matches!(&seen[..], [Problem::SettingIgnored { message }] if message.contains("OTEL_TRACES_SAMPLER") && message.contains("jaeger_remote")),
        "{seen:?}"
    );
    assert!(seen[0].to_string().starts_with("setting ignored: "));
    collector.shutdown().await.unwrap();
}

#[test]
fn a_child_of_a_remote_parent_gets_the_collectors_span_limits() {
    let limits = otlp_collector::SpanLimits {
        max_attributes: 2,
        ..otlp_collector::SpanLimits::default()
    };
    let collector = Collector::new(Config::default().with_span_limits(limits)).unwrap();
    let parent =
        SpanContext::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .unwrap();
    let span = collector
        .start_child_of(&parent, "limited")
        .with_attributes((0..5).map(|i| (format!("k{i}"), i)));
    assert_eq!(span.attributes().as_slice().len(), 2);
    assert_eq!(span.attributes().dropped_count(), 3);
}

#[test]
fn sampled_traces_share_ids_across_the_tree() {
    let collector = Collector::new(Config::default()).unwrap();
    let root = collector.start_span("root");
    let ids: HashSet<_> = (0..5).map(|_| root.child("c").trace_id()).collect();
    assert_eq!(ids.len(), 1);
    assert!(ids.contains(&root.trace_id()));
}
