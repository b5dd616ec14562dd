//! The wasm32 collector against the real loopback receiver, run by `wasm-pack test` in
//! Node and in headless Chromium. `tests/run_all.sh` starts the receiver and passes its
//! address in `OTLP_TEST_RECEIVER` at build time.

#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use js_sys::Array;
use otlp_collector::{Collector, Compression, Config, Protocol, Span, SpanKind};
use wasm_bindgen_test::wasm_bindgen_test;

mod wasm_support;

use wasm_support::{content_encodings_of, get, received_spans, sleep, traces_endpoint, unique};

async fn rust_api_round_trip(protocol: Protocol, compression: Compression, prefix: &str) {
    let collector = Collector::new(
        Config::default()
            .with_endpoint(traces_endpoint())
            .with_protocol(protocol)
            .with_compression(compression)
            .with_service_name("wasm-test")
            .with_batch_size(8),
    )
    .unwrap();
    let parent = Span::new(format!("{prefix}-parent")).with_kind(SpanKind::Server);
    for i in 0..20 {
        let child = parent
            .child(format!("{prefix}-child"))
            .with_attribute("i", i)
            .with_attribute("text", "héllo ☃");
        collector.collect(child.end()).unwrap();
    }
    let parent_id = parent.span_id().to_string();
    collector.collect(parent.end()).unwrap();
    collector.flush().await.unwrap();

    let stats = collector.stats();
    assert_eq!(
        (stats.collected, stats.exported, stats.dropped()),
        (21, 21, 0),
        "last error: {:?}",
        collector.last_export_error()
    );
    assert!(stats.is_balanced(), "{stats:?}");
    let spans = received_spans(prefix).await;
    assert_eq!(spans.len(), 21);
    let children: Vec<_> = spans
        .iter()
        .filter(|span| get(span, "name").as_string().unwrap().ends_with("-child"))
        .collect();
    assert_eq!(children.len(), 20);
    for child in children {
        assert_eq!(get(child, "parentSpanId").as_string().unwrap(), parent_id);
    }
    collector.shutdown().await.unwrap();
}

#[wasm_bindgen_test]
async fn spans_arrive_over_protobuf() {
    rust_api_round_trip(
        Protocol::HttpProtobuf,
        Compression::None,
        &unique("wasm-protobuf"),
    )
    .await;
}

#[wasm_bindgen_test]
async fn gzipped_spans_arrive_over_protobuf_and_json() {
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        let prefix = unique("wasm-gzip");
        rust_api_round_trip(protocol, Compression::Gzip, &prefix).await;
        // The receiver inflated them with flate2, which checks our CRC-32 and length.
        let encodings = content_encodings_of(&prefix).await;
        assert!(!encodings.is_empty());
        assert!(
            encodings
                .iter()
                .all(|encoding| encoding.as_deref() == Some("gzip")),
            "{encodings:?}"
        );
    }
}

#[wasm_bindgen_test]
async fn spans_arrive_over_json() {
    rust_api_round_trip(Protocol::HttpJson, Compression::None, &unique("wasm-json")).await;
}

#[wasm_bindgen_test]
async fn a_partial_batch_goes_out_after_the_batch_timeout() {
    let collector = Collector::new(
        Config::default()
            .with_endpoint(traces_endpoint())
            .with_batch_timeout(Duration::from_millis(100)),
    )
    .unwrap();
    let name = unique("wasm-timer");
    for _ in 0..3 {
        collector.collect(Span::new(name.clone()).end()).unwrap();
    }
    sleep(1000).await;
    assert_eq!(collector.stats().exported, 3);
    assert_eq!(received_spans(&name).await.len(), 3);
}

#[wasm_bindgen_test]
async fn a_full_buffer_refuses_and_counts() {
    let collector = Collector::new(
        Config::default()
            .with_endpoint(traces_endpoint())
            .with_max_queue_size(4)
            .with_batch_size(4),
    )
    .unwrap();
    let results: Vec<_> = (0..6)
        .map(|_| collector.collect(Span::new("wasm-full").end()))
        .collect();
    assert_eq!(results.iter().filter(|result| result.is_err()).count(), 2);
    collector.shutdown().await.unwrap();
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped_buffer_full), (4, 2));
    assert!(stats.is_balanced(), "{stats:?}");
}

#[wasm_bindgen_test]
fn grpc_is_refused_in_the_browser_saying_why() {
    let grpc = Collector::new(Config::default().with_protocol(Protocol::Grpc));
    let message = grpc.err().expect("gRPC refused").to_string();
    assert!(message.contains("grpc"), "{message}");
}

/// A collector with quick retries, so fault tests do not wait for the default backoff.
fn collector_with_quick_retries() -> Collector {
    Collector::new(
        Config::default()
            .with_endpoint(traces_endpoint())
            .with_retry(otlp_collector::RetryPolicy {
                initial_delay: Duration::from_millis(20),
                max_delay: Duration::from_secs(2),
                ..otlp_collector::RetryPolicy::default()
            }),
    )
    .unwrap()
}

async fn attempt_times_ms() -> Vec<f64> {
    let received = wasm_support::received().await;
    Array::from(&get(&received, "attemptTimesMs"))
        .iter()
        .map(|time| time.as_f64().unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn fetch_honours_retry_after_and_counts_rejections_and_partial_success() {
    // 503 with Retry-After: 1 → one retry, a second later (Retry-After is exposed by CORS).
    let collector = collector_with_quick_retries();
    let prefix = unique("wasm-retry-after");
    wasm_support::script(r#"[{"status": 503, "retryAfter": "1"}]"#).await;
    for _ in 0..3 {
        collector.collect(Span::new(prefix.clone()).end()).unwrap();
    }
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.retries), (3, 1), "{stats:?}");
    let times = attempt_times_ms().await;
    let gap = times[times.len() - 1] - times[times.len() - 2];
    assert!(
        gap >= 1000.0,
        "retried after {gap} ms despite Retry-After: 1"
    );
    assert_eq!(received_spans(&prefix).await.len(), 3);

    // 400 → not retried, counted as rejected.
    let attempts_before = attempt_times_ms().await.len();
    wasm_support::script(r#"[{"status": 400}]"#).await;
    collector
        .collect(Span::new(unique("wasm-400")).end())
        .unwrap();
    assert!(collector.flush().await.is_err());
    assert_eq!(
        attempt_times_ms().await.len(),
        attempts_before + 1,
        "400 must not be retried"
    );
    let stats = collector.stats();
    assert_eq!((stats.dropped_rejected, stats.retries), (1, 1), "{stats:?}");

    // 200 with partial success → the rejected spans are counted, the message kept.
    wasm_support::script(r#"[{"partialSuccess": 2, "message": "too old"}]"#).await;
    for _ in 0..5 {
        collector
            .collect(Span::new(unique("wasm-partial")).end())
            .unwrap();
    }
    assert!(
        collector.flush().await.is_err(),
        "2 spans were not delivered"
    );
    let stats = collector.stats();
    // 3 from the first round, 5 - 2 now; 1 rejected by the 400 and 2 by the partial success.
    assert_eq!(
        (stats.exported, stats.dropped_rejected),
        (6, 3),
        "{stats:?}"
    );
    assert!(collector.last_export_error().unwrap().contains("too old"));
    assert!(stats.is_balanced(), "{stats:?}");
}

#[wasm_bindgen_test]
async fn fetch_retries_stalls_and_dropped_connections_and_counts_timeouts() {
    let collector = Collector::new(
        Config::default()
            .with_endpoint(traces_endpoint())
            .with_export_timeout(Duration::from_millis(300))
            .with_retry(otlp_collector::RetryPolicy {
                max_retries: 1,
                initial_delay: Duration::from_millis(20),
                ..otlp_collector::RetryPolicy::default()
            }),
    )
    .unwrap();

    // A stall past the request timeout: aborted, then retried.
    let stalled = unique("wasm-stall");
    wasm_support::script(r#"[{"stallMs": 1000}]"#).await;
    for _ in 0..3 {
        collector.collect(Span::new(stalled.clone()).end()).unwrap();
    }
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.retries), (3, 1), "{stats:?}");
    let error = collector.last_export_error().unwrap();
    assert!(error.contains("timed out after 300 ms"), "{error}");

    // A connection closed without an answer (a restarting backend): retried — by us in
    // Node (fetch fails), by Chromium itself when the closed connection was a reused one.
    let dropped = unique("wasm-disconnect");
    let attempts_before = attempt_times_ms().await.len();
    wasm_support::script(r#"[{"disconnect": true}]"#).await;
    for _ in 0..4 {
        collector.collect(Span::new(dropped.clone()).end()).unwrap();
    }
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!(stats.exported, 7, "{stats:?}");
    assert!(stats.retries == 1 || stats.retries == 2, "{stats:?}");
    assert_eq!(attempt_times_ms().await.len(), attempts_before + 2);
    assert_eq!(received_spans(&dropped).await.len(), 4, "each span once");

    // Every attempt stalls: the last timeout counts the spans as timed out.
    wasm_support::script(r#"[{"stallMs": 1000}, {"stallMs": 1000}]"#).await;
    for _ in 0..2 {
        collector
            .collect(Span::new(unique("wasm-timed-out")).end())
            .unwrap();
    }
    assert!(collector.flush().await.is_err());
    let stats = collector.stats();
    assert_eq!(stats.dropped_timed_out, 2, "{stats:?}");
    assert!(stats.is_balanced(), "{stats:?}");
    // Let the stalled requests finish on the receiver before the next test scripts it.
    sleep(1200).await;
}
