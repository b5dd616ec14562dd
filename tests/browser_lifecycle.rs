//! Page lifecycle in headless Chromium: spans buffered when the page is hidden or unloads
//! leave with keepalive requests within the 64 KiB budget, and nothing is lost silently.

#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Reflect};
use otlp_collector::{Collector, Compression, Config, Span};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// What the collector keeps keepalive bodies under (the browsers' cap is 64 KiB).
const KEEPALIVE_BUDGET: f64 = 60_000.0;

mod wasm_support;

use wasm_support::{get, received, sleep, spans_in, traces_endpoint, unique};

/// Fires a DOM event named `kind` at `target`.
fn dispatch(target: &JsValue, kind: &str) {
    let constructor: Function = get(&js_sys::global(), "Event").unchecked_into();
    let event = Reflect::construct(&constructor, &Array::of1(&JsValue::from_str(kind))).unwrap();
    let dispatch: Function = get(target, "dispatchEvent").unchecked_into();
    dispatch.call1(target, &event).unwrap();
}

/// Makes `document.visibilityState` read `state` (headless pages are always visible).
fn set_visibility(state: &str) {
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"value".into(), &state.into()).unwrap();
    Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE).unwrap();
    let document = get(&js_sys::global(), "document");
    let key = JsValue::from_str("visibilityState");
    Object::define_property(document.unchecked_ref::<Object>(), &key, &descriptor);
}

/// Hides the page for a moment, as switching tabs does.
fn hide_page() {
    set_visibility("hidden");
    dispatch(&get(&js_sys::global(), "document"), "visibilitychange");
    set_visibility("visible");
}

/// How many received spans start with `prefix`, and the body sizes of the requests that
/// carried them.
async fn received_with_sizes(prefix: &str) -> (usize, f64) {
    let received = received().await;
    let lengths = Array::from(&get(&received, "bodyLengths"));
    let (mut spans, mut bytes) = (0, 0.0);
    for (index, request) in Array::from(&get(&received, "requests")).iter().enumerate() {
        let matched = spans_in(&request, prefix).len();
        if matched > 0 {
            spans += matched;
            bytes += lengths.get(index as u32).as_f64().unwrap();
        }
    }
    (spans, bytes)
}

/// A collector that would not export on its own for a minute, holding `count` spans of
/// about 1 KiB each.
fn loaded_collector(prefix: &str, count: usize) -> Collector {
    loaded_collector_with(prefix, count, Compression::None, || "x".repeat(1000))
}

/// Like `loaded_collector`, with `compression` and each span's payload from `payload`.
fn loaded_collector_with(
    prefix: &str,
    count: usize,
    compression: Compression,
    payload: impl Fn() -> String,
) -> Collector {
    let collector = Collector::new(
        Config::default()
            .with_endpoint(traces_endpoint())
            .with_compression(compression)
            .with_batch_timeout(std::time::Duration::from_secs(60)),
    )
    .unwrap();
    for i in 0..count {
        let span = Span::new(format!("{prefix}-{i}"))
            .with_attribute("payload", payload())
            .end();
        collector.collect(span).unwrap();
    }
    collector
}

#[wasm_bindgen_test]
async fn pagehide_sends_what_fits_the_keepalive_budget_and_counts_the_rest() {
    let prefix = unique("pagehide");
    let collector = loaded_collector(&prefix, 100);
    dispatch(&js_sys::global(), "pagehide");
    sleep(1000).await;

    let stats = collector.stats();
    let (arrived, bytes) = received_with_sizes(&prefix).await;
    assert!(stats.exported > 0, "{stats:?}");
    assert!(
        stats.dropped_page_unload > 0,
        "100 KiB cannot fit: {stats:?}"
    );
    assert_eq!(stats.exported + stats.dropped_page_unload, 100, "{stats:?}");
    assert_eq!(stats.buffered, 0);
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(arrived as u64, stats.exported);
    assert!(
        bytes <= KEEPALIVE_BUDGET,
        "{bytes} bytes in keepalive requests"
    );
}

#[wasm_bindgen_test]
async fn with_gzip_the_budget_counts_compressed_bytes_so_more_spans_leave() {
    // 100 spans of about 1 KiB are over the budget as protobuf, far under it gzipped.
    let prefix = unique("pagehide-gzip");
    let collector = loaded_collector_with(&prefix, 100, Compression::Gzip, || "x".repeat(1000));
    dispatch(&js_sys::global(), "pagehide");
    sleep(1000).await;

    let stats = collector.stats();
    assert_eq!(
        (stats.exported, stats.dropped(), stats.buffered),
        (100, 0, 0),
        "{stats:?}"
    );
    let (arrived, bytes) = received_with_sizes(&prefix).await;
    assert_eq!(arrived, 100);
    assert!(
        bytes < KEEPALIVE_BUDGET / 4.0,
        "{bytes} gzip bytes for 100 KiB of spans"
    );
    assert_eq!(stats.bytes_sent as f64, bytes);
}

#[wasm_bindgen_test]
async fn hiding_the_page_sends_what_fits_and_keeps_the_rest_buffered() {
    let prefix = unique("hidden");
    let collector = loaded_collector(&prefix, 100);
    hide_page();
    sleep(1000).await;

    let stats = collector.stats();
    assert!(stats.exported > 0, "{stats:?}");
    assert_eq!(stats.dropped(), 0, "a hidden page may come back: {stats:?}");
    assert_eq!(stats.exported + stats.buffered, 100, "{stats:?}");
    let (_, bytes) = received_with_sizes(&prefix).await;
    assert!(
        bytes <= KEEPALIVE_BUDGET,
        "{bytes} bytes in keepalive requests"
    );

    collector.flush().await.unwrap();
    assert_eq!(collector.stats().exported, 100);
    assert_eq!(received_with_sizes(&prefix).await.0, 100);
}

#[wasm_bindgen_test]
async fn hiding_the_page_keeps_gzipped_requests_that_do_not_fit_and_sends_them_later() {
    // Random hex shrinks only about 2× under gzip: the page-hide path takes more spans than
    // fit, and must put the requests over the budget back into the buffer, not drop them.
    let prefix = unique("hidden-gzip");
    let random_hex = || {
        (0..64)
            .map(|_| otlp_collector::SpanId::random().to_string())
            .collect()
    };
    let collector = loaded_collector_with(&prefix, 200, Compression::Gzip, random_hex);
    hide_page();
    sleep(1000).await;

    let stats = collector.stats();
    assert!(stats.exported > 0, "{stats:?}");
    assert!(stats.buffered > 0, "200 KiB of hex cannot fit: {stats:?}");
    assert_eq!(stats.dropped(), 0, "a hidden page may come back: {stats:?}");
    assert!(stats.is_balanced(), "{stats:?}");
    let (_, bytes) = received_with_sizes(&prefix).await;
    assert!(
        bytes <= KEEPALIVE_BUDGET,
        "{bytes} bytes in keepalive requests"
    );

    collector.flush().await.unwrap();
    assert_eq!(collector.stats().exported, 200);
    let (arrived, _) = received_with_sizes(&prefix).await;
    assert_eq!(arrived, 200, "each span exactly once");
}

#[wasm_bindgen_test]
async fn a_shut_down_collector_no_longer_listens() {
    let prefix = unique("after-shutdown");
    let collector = loaded_collector(&prefix, 3);
    collector.shutdown().await.unwrap();
    dispatch(&js_sys::global(), "pagehide");
    sleep(300).await;
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped()), (3, 0), "{stats:?}");
}

/// Calls `method` ("addEventListener" or "removeEventListener") on `target`.
fn listen(target: &JsValue, method: &str, kind: &str, listener: &Closure<dyn FnMut(JsValue)>) {
    let method: Function = get(target, method).unchecked_into();
    method
        .call2(target, &JsValue::from_str(kind), listener.as_ref())
        .unwrap();
}

/// The page's own listener for `kind` on `target`, registered after the collector's (as an
/// app's usually is), ends a span while the event is dispatched: the span leaves with
/// keepalive, though the batch timeout is a minute away. A span collected in a later task
/// waits for its batch as usual.
async fn span_ended_by_a_later_listener_leaves(target: JsValue, kind: &str, prefix: &str) {
    let collector = loaded_collector(prefix, 0);
    let ending = collector.clone();
    let name = format!("{prefix}-session");
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
        ending.collect(Span::new(name.clone()).end()).unwrap();
    });
    listen(&target, "addEventListener", kind, &listener);
    dispatch(&target, kind);
    listen(&target, "removeEventListener", kind, &listener);
    sleep(1000).await;
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.buffered), (1, 0), "{stats:?}");
    assert_eq!(received_with_sizes(prefix).await.0, 1);

    collector
        .collect(Span::new(format!("{prefix}-later")).end())
        .unwrap();
    sleep(300).await;
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.buffered), (1, 1), "{stats:?}");
    collector.shutdown().await.unwrap();
    assert_eq!(received_with_sizes(prefix).await.0, 2);
}

#[wasm_bindgen_test]
async fn a_span_ended_by_the_pages_own_pagehide_listener_still_leaves() {
    let prefix = unique("late-pagehide");
    span_ended_by_a_later_listener_leaves(js_sys::global().into(), "pagehide", &prefix).await;
}

#[wasm_bindgen_test]
async fn a_span_ended_by_the_pages_own_visibilitychange_listener_still_leaves() {
    let prefix = unique("late-hidden");
    set_visibility("hidden");
    let document = get(&js_sys::global(), "document");
    span_ended_by_a_later_listener_leaves(document, "visibilitychange", &prefix).await;
    set_visibility("visible");
}

#[wasm_bindgen_test]
async fn a_partial_success_on_a_keepalive_request_is_counted_and_reported() {
    let prefix = unique("keepalive-partial");
    let collector = loaded_collector(&prefix, 4);
    wasm_support::script(r#"[{"partialSuccess": 3, "message": "span too old"}]"#).await;
    dispatch(&js_sys::global(), "pagehide");
    sleep(1000).await;
    let stats = collector.stats();
    assert_eq!(
        (stats.exported, stats.dropped_rejected, stats.buffered),
        (1, 3, 0),
        "{stats:?}"
    );
    assert!(stats.is_balanced(), "{stats:?}");
    let error = collector.last_export_error().unwrap_or_default();
    assert!(
        error.contains("rejected 3 spans") && error.contains("span too old"),
        "{error}"
    );
}

fn collector_with(prefix: &str, count: usize, config: Config) -> Collector {
    let collector = Collector::new(
        config
            .with_endpoint(traces_endpoint())
            .with_batch_timeout(std::time::Duration::from_secs(60)),
    )
    .unwrap();
    for i in 0..count {
        let span = Span::new(format!("{prefix}-{i}"))
            .with_attribute("payload", "x".repeat(1000))
            .end();
        collector.collect(span).unwrap();
    }
    collector
}

#[wasm_bindgen_test]
async fn a_closing_page_sends_json_to_another_origin_through_its_preflight() {
    let origin = get(&get(&js_sys::global(), "location"), "origin")
        .as_string()
        .unwrap();
    assert_ne!(
        origin,
        wasm_support::receiver(),
        "the receiver is cross-origin"
    );
    let prefix = unique("pagehide-json");
    let collector = collector_with(
        &prefix,
        20,
        Config::default().with_protocol(otlp_collector::Protocol::HttpJson),
    );
    dispatch(&js_sys::global(), "pagehide");
    sleep(1000).await;
    let stats = collector.stats();
    assert!(stats.exported > 0, "{stats:?}");
    assert_eq!(stats.exported + stats.dropped_page_unload, 20, "{stats:?}");
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(received_with_sizes(&prefix).await.0 as u64, stats.exported);
}

#[wasm_bindgen_test]
async fn at_most_nine_keepalive_requests_leave_a_closing_page() {
    // Requests of at most 3,000 bytes: the byte budget would allow 20, the count allows 9.
    let prefix = unique("pagehide-count");
    let collector = collector_with(&prefix, 60, Config::default().with_max_request_bytes(3000));
    dispatch(&js_sys::global(), "pagehide");
    sleep(1000).await;
    let stats = collector.stats();
    let received = wasm_support::received().await;
    let requests = Array::from(&get(&received, "requests"))
        .iter()
        .filter(|request| !wasm_support::spans_in(request, &prefix).is_empty())
        .count();
    assert!((1..=9).contains(&requests), "{requests} keepalive requests");
    assert!(stats.dropped_page_unload > 0, "{stats:?}");
    assert_eq!(stats.exported + stats.dropped_page_unload, 60, "{stats:?}");
    assert!(stats.is_balanced(), "{stats:?}");
}

#[wasm_bindgen_test]
async fn a_failed_keepalive_request_is_retried_once_while_the_page_lives() {
    let prefix = unique("keepalive-retry");
    let collector = collector_with(&prefix, 5, Config::default());
    wasm_support::script(r#"[{"status": 503}]"#).await;
    hide_page();
    sleep(1500).await;
    let stats = collector.stats();
    assert_eq!(
        (stats.exported, stats.retries, stats.buffered),
        (5, 1, 0),
        "{stats:?} {:?}",
        collector.last_export_error()
    );
    assert_eq!(received_with_sizes(&prefix).await.0, 5);
}
