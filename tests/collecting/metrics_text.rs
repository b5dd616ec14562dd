//! The `/metrics` text checked by an independent parser: Python's `prometheus_client`
//! (installed by tests/install_toolchain.sh, which exports OTLP_TEST_PYTHON). Every counter
//! the parser reads must equal the collector's stats, per outcome and per destination.
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use otlp_collector::{Collector, Config, Destination, Span};
use otlp_test_receiver::Receiver;

/// `name{label=value,…}` → value, as prometheus_client parses `text`.
fn parsed(python: &str, text: &str) -> HashMap<String, f64> {
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        samples[f"{sample.name}{{{labels}}}"] = sample.value
print(json.dumps(samples))
"#;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the parser refused:\n{text}");
    let samples: HashMap<String, serde_json::Value> =
        serde_json::from_slice(&output.stdout).unwrap();
    samples
        .into_iter()
        .map(|(name, value)| (name, value.as_f64().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_counter_reads_back_through_an_independent_parser() {
    let Ok(python) = std::env::var("OTLP_TEST_PYTHON") else {
        eprintln!("OTLP_TEST_PYTHON is not set: run through tests/run_all.sh");
        return;
    };
    let main = Receiver::start().await.unwrap();
    let second = Receiver::start().await.unwrap();
    // The second destination refuses every request: its spans are dropped as rejected.
    second.respond_with(std::iter::repeat_n(400, 100));
    let collector = Collector::new(
        Config::default()
            .with_endpoint(main.endpoint())
            .with_destination(Destination::new(second.endpoint()))
            .with_max_queue_size(8)
            .with_batch_size(4),
    )
    .unwrap();
    for i in 0..12 {
        let _ = collector.collect(Span::new("metric").with_attribute("i", i).end());
    }
    collector.flush().await.ok();
    let stats = collector.stats();
    let text = collector.prometheus_text();
    let samples = parsed(&python, &text);
    let value = |key: &str| {
        samples
            .get(key)
            .copied()
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
    };
    assert_eq!(
        value("otel_sdk_span_started_total{otel_span_sampling_result=RECORD_AND_SAMPLE}"),
        stats.collected as f64
    );
    assert_eq!(
        value("otel_sdk_processor_span_processed_total{error_type=queue_full}"),
        stats.dropped_buffer_full as f64
    );
    assert_eq!(
        value("otel_sdk_exporter_span_exported_total{}"),
        stats.exported as f64
    );
    assert_eq!(value("otel_sdk_processor_span_queue_capacity{}"), 8.0);
    assert_eq!(
        value("otel_sdk_processor_span_queue_size{}"),
        stats.buffered as f64
    );
    assert_eq!(
        value("otlp_collector_export_requests_total{}"),
        stats.batches as f64
    );
    assert_eq!(
        value("otlp_collector_export_bytes_total{}"),
        stats.bytes_sent as f64
    );
    for destination in collector.destination_stats() {
        let exported = format!(
            "otel_sdk_exporter_span_exported_total{{destination={}}}",
            destination.endpoint
        );
        let rejected = format!(
            "otel_sdk_exporter_span_exported_total{{destination={},error_type=rejected}}",
            destination.endpoint
        );
        assert_eq!(value(&exported), destination.stats.exported as f64);
        assert_eq!(value(&rejected), destination.stats.dropped_rejected as f64);
    }
    let refused = collector
        .destination_stats()
        .into_iter()
        .find(|destination| destination.endpoint == second.endpoint())
        .unwrap();
    assert!(refused.stats.dropped_rejected > 0, "{refused:?}");
    collector.shutdown().await.unwrap();
}
