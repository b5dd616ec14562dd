//! The wasm32 collector against the real loopback receiver, run by `wasm-pack test` in
//! Node and in headless Chromium. `tests/run_all.sh` starts the receiver and passes its
//! address in `OTLP_TEST_RECEIVER` at build time.

#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use js_sys::{Array, Object, Reflect};
use otlp_collector::{Collector, Compression, Config, JsCollector, Protocol, Span, SpanKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
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

    // The JavaScript option does the same.
    let collector = JsCollector::new(options(&[
        ("endpoint", traces_endpoint().into()),
        ("compression", "gzip".into()),
    ]))
    .unwrap();
    let prefix = unique("wasm-js-gzip");
    collector
        .start_span(prefix.clone().into(), JsValue::UNDEFINED)
        .unwrap()
        .end()
        .unwrap();
    JsFuture::from(collector.flush()).await.unwrap();
    assert_eq!(
        content_encodings_of(&prefix).await,
        vec![Some("gzip".to_owned())]
    );
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

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn error_message(result: Result<JsCollector, JsValue>) -> String {
    let error = result.err().expect("the options were accepted");
    get(&error, "message").as_string().unwrap()
}

#[wasm_bindgen_test]
fn bad_options_throw_errors_naming_the_option() {
    let endpoint = JsValue::from_str("http://127.0.0.1:4318/v1/traces");
    let cases = [
        (
            JsValue::from_str("not an object"),
            "options must be an object",
        ),
        (options(&[("protocol", "grpc/xml".into())]), "protocol"),
        (options(&[("compression", "brotli".into())]), "compression"),
        (
            options(&[("batchSize", JsValue::from_f64(-1.0))]),
            "batchSize",
        ),
        (
            options(&[("batchTimeoutMs", JsValue::from_f64(1.5))]),
            "batchTimeoutMs",
        ),
        (options(&[("maxQueueSize", "big".into())]), "maxQueueSize"),
        (options(&[("endpoint", "not a url".into())]), "endpoint"),
        (options(&[("headers", "x=1".into())]), "headers"),
        (
            options(&[
                ("endpoint", endpoint),
                ("batchSize", JsValue::from_f64(5000.0)),
            ]),
            "batchSize (5000) must not exceed maxQueueSize",
        ),
        (options(&[("onError", "log".into())]), "onError"),
    ];
    // No options at all take every default.
    assert!(JsCollector::new(JsValue::UNDEFINED).is_ok());
    // The Rust API refuses gRPC in the browser, saying why.
    let grpc = Collector::new(Config::default().with_protocol(Protocol::Grpc));
    let message = grpc.err().expect("gRPC refused").to_string();
    assert!(message.contains("grpc"), "{message}");
    for (options, expected) in cases {
        let message = error_message(JsCollector::new(options));
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected}"
        );
    }
}

#[wasm_bindgen_test]
async fn the_javascript_api_records_and_exports_spans() {
    let collector = JsCollector::new(options(&[
        ("endpoint", traces_endpoint().into()),
        ("serviceName", "wasm-js-api".into()),
        ("protocol", "http/json".into()),
    ]))
    .unwrap();
    let attributes = options(&[("cart.items", JsValue::from_f64(3.0))]);
    let prefix = unique("wasm-js");
    let parent = collector
        .start_span(
            format!("{prefix}-parent").into(),
            options(&[("kind", "server".into()), ("attributes", attributes)]),
        )
        .unwrap();
    let traceparent = parent.traceparent().unwrap();
    let child = collector
        .start_span(
            format!("{prefix}-child").into(),
            options(&[("parent", traceparent.clone().into())]),
        )
        .unwrap();
    child
        .set_attribute("payment.method", "card".into())
        .unwrap();
    child
        .set_attributes(options(&[
            ("a", JsValue::from_f64(1.0)),
            ("b", JsValue::TRUE),
        ]))
        .unwrap();
    child
        .add_event("clicked", options(&[("button", "pay".into())]))
        .unwrap();
    child
        .set_status("error", Some("card declined".into()))
        .unwrap();
    // Refused and ignored, never thrown: counted, and the span still leaves.
    child.set_attribute("bad", Object::new().into()).unwrap();
    child.set_status("maybe", None).unwrap();
    child.end().unwrap();
    child.end().unwrap();
    parent.end().unwrap();
    let flushed = JsFuture::from(collector.flush()).await.unwrap();
    assert_eq!(flushed, JsValue::TRUE);

    let stats = collector.stats();
    assert_eq!(get(&stats, "exported").as_f64(), Some(2.0));
    assert_eq!(get(&stats, "droppedBufferFull").as_f64(), Some(0.0));
    assert_eq!(get(&stats, "refusedValues").as_f64(), Some(2.0));
    assert_eq!(
        get(&stats, "ignoredCalls").as_f64(),
        Some(1.0),
        "the second end()"
    );
    let spans = received_spans(&prefix).await;
    assert_eq!(spans.len(), 2);
    let child = spans
        .iter()
        .find(|span| get(span, "name").as_string().unwrap().ends_with("-child"))
        .unwrap();
    let parent_id = traceparent.split('-').nth(2).unwrap();
    assert_eq!(get(child, "parentSpanId").as_string().unwrap(), parent_id);
    assert_eq!(Array::from(&get(child, "attributes")).length(), 3);
    assert_eq!(get(child, "droppedAttributesCount").as_f64(), Some(1.0));
    assert_eq!(
        get(&get(child, "status"), "message").as_string().unwrap(),
        "card declined"
    );
    JsFuture::from(collector.shutdown()).await.unwrap();
}

#[wasm_bindgen_test]
async fn javascript_spans_are_counted_when_they_end_and_a_full_buffer_drops_without_throwing() {
    let collector = JsCollector::new(options(&[
        ("endpoint", traces_endpoint().into()),
        ("maxQueueSize", JsValue::from_f64(4.0)),
        ("batchSize", JsValue::from_f64(4.0)),
    ]))
    .unwrap();
    let prefix = unique("wasm-js-full");
    let parent = collector
        .start_span(format!("{prefix}-parent").into(), JsValue::UNDEFINED)
        .unwrap();
    let parent_context = parent.traceparent().unwrap();
    let mut refused = 0;
    for _ in 0..5 {
        let child = collector
            .start_span(
                format!("{prefix}-child").into(),
                options(&[("parent", parent.clone())]),
            )
            .unwrap();
        let child_context = child.traceparent().unwrap();
        assert_eq!(
            child_context.split('-').nth(1),
            parent_context.split('-').nth(1),
            "a child of a JavaScript span is in its trace"
        );
        child.end().unwrap();
        let dropped = get(&collector.stats(), "droppedBufferFull")
            .as_f64()
            .unwrap();
        refused = dropped as usize;
    }
    assert_eq!(refused, 1, "the fifth span does not fit a queue of four");
    parent.end().unwrap();

    // Counted as they ended, before any export or microtask ran.
    let stats = collector.stats();
    let count = |name: &str| get(&stats, name).as_f64().unwrap();
    assert_eq!(count("collected"), 6.0);
    assert_eq!(count("buffered"), 4.0);
    assert_eq!(count("droppedBufferFull"), 2.0);

    JsFuture::from(collector.flush()).await.unwrap();
    let spans = received_spans(&prefix).await;
    assert_eq!(spans.len(), 4);
    let parent_id = parent_context.split('-').nth(2).unwrap();
    for span in &spans {
        assert_eq!(get(span, "parentSpanId").as_string().unwrap(), parent_id);
    }
    assert_eq!(get(&collector.stats(), "exported").as_f64(), Some(4.0));
}

#[wasm_bindgen_test]
async fn names_and_keys_arrive_intact_whether_interned_or_not() {
    let collector = JsCollector::new(options(&[("endpoint", traces_endpoint().into())])).unwrap();
    let prefix = unique("wasm-symbols");
    // 1,200 distinct keys: more than the symbol table holds (1,024), so the later ones
    // travel as text; a 64-unit key of two-byte characters is the longest interned, one
    // more unit is not.
    let interned_at_most = "é".repeat(64);
    let too_long = "é".repeat(65);
    let long_name = format!("{prefix}-{}", "n".repeat(100));
    for i in 0..12 {
        let name = if i == 0 {
            long_name.clone()
        } else {
            format!("{prefix}-{i}")
        };
        let span = collector
            .start_span(name.into(), JsValue::UNDEFINED)
            .unwrap();
        for j in 0..100 {
            span.set_attribute(&format!("k{i}-{j}"), JsValue::from_f64(j as f64))
                .unwrap();
        }
        span.set_attribute(&interned_at_most, "a".into()).unwrap();
        span.set_attribute(&too_long, "b".into()).unwrap();
        span.add_event(&format!("event-{i}"), JsValue::UNDEFINED)
            .unwrap();
        span.end().unwrap();
    }
    JsFuture::from(collector.flush()).await.unwrap();

    let spans = received_spans(&prefix).await;
    assert_eq!(spans.len(), 12);
    for span in &spans {
        let name = get(span, "name").as_string().unwrap();
        let i = if name == long_name {
            0
        } else {
            name.rsplit('-').next().unwrap().parse().unwrap()
        };
        let mut expected: Vec<String> = (0..100).map(|j| format!("k{i}-{j}")).collect();
        expected.push(interned_at_most.clone());
        expected.push(too_long.clone());
        let keys: Vec<String> = Array::from(&get(span, "attributes"))
            .iter()
            .map(|pair| get(&pair, "key").as_string().unwrap())
            .collect();
        assert_eq!(keys, expected, "span {name}");
        let events = Array::from(&get(span, "events"));
        assert_eq!(
            get(&events.get(0), "name").as_string(),
            Some(format!("event-{i}"))
        );
    }
}

#[wasm_bindgen_test]
async fn odd_javascript_input_is_handled_without_a_trap() {
    let collector = JsCollector::new(options(&[
        ("endpoint", traces_endpoint().into()),
        ("serviceName", "wasm-odd-input".into()),
    ]))
    .unwrap();
    let prefix = unique("wasm-odd");
    // A lone surrogate cannot be UTF-8: it arrives as U+FFFD, the span is not lost.
    let lone_surrogate = js_sys::JsString::from_char_code1(0xD800);
    let name = js_sys::JsString::from(format!("{prefix}-")).concat(&lone_surrogate);
    let span = collector
        .start_span(name.into(), JsValue::UNDEFINED)
        .unwrap();
    span.set_attribute("nan", JsValue::from_f64(f64::NAN))
        .unwrap();
    span.set_attribute("infinity", JsValue::from_f64(f64::INFINITY))
        .unwrap();
    span.set_attribute("big", JsValue::from_f64(1e300)).unwrap();
    span.set_attribute("lone", lone_surrogate.into()).unwrap();
    for bad in [JsValue::UNDEFINED, JsValue::NULL, Object::new().into()] {
        span.set_attribute("bad", bad).unwrap();
    }
    let nested: JsValue = Array::of1(&Array::new()).into();
    span.set_attribute("nested", nested).unwrap();
    span.end().unwrap();
    assert_eq!(get(&collector.stats(), "refusedValues").as_f64(), Some(4.0));
    JsFuture::from(collector.flush()).await.unwrap();

    let spans = received_spans(&prefix).await;
    assert_eq!(spans.len(), 1);
    let name = get(&spans[0], "name").as_string().unwrap();
    assert!(name.ends_with('\u{FFFD}'), "{name:?}");
    // NaN, ±Infinity and lone surrogates travel (protobuf keeps the doubles exactly).
    assert_eq!(Array::from(&get(&spans[0], "attributes")).length(), 4);
    assert_eq!(get(&spans[0], "droppedAttributesCount").as_f64(), Some(4.0));
    JsFuture::from(collector.shutdown()).await.unwrap();
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
