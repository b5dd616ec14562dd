//! The `tracing` layer in a Rust app running in the browser (as a Leptos or Yew app would
//! use it): spans and events recorded with `tracing` reach the loopback receiver from
//! headless Chromium, parent and child intact.

#![cfg(all(target_arch = "wasm32", feature = "tracing"))]

use js_sys::Array;
use otlp_collector::{Collector, Config};
use tracing_subscriber::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

mod wasm_support;

use wasm_support::{get, received_spans, traces_endpoint, unique};

#[wasm_bindgen_test]
async fn tracing_spans_from_a_browser_app_arrive() {
    let collector = Collector::new(Config::default().with_endpoint(traces_endpoint())).unwrap();
    let prefix = unique("wasm-tracing");
    let subscriber =
        tracing_subscriber::registry().with(collector.tracing_layer().with_timings(true));
    tracing::subscriber::with_default(subscriber, || {
        let page = tracing::info_span!(
            "page",
            otel.name = format!("{prefix}-page"),
            route = "/cart"
        );
        page.in_scope(|| {
            tracing::info_span!("render", otel.name = format!("{prefix}-render"), items = 3)
                .in_scope(|| tracing::info!(widgets = 12, "rendered"));
        });
    });
    collector.flush().await.unwrap();
    let spans = received_spans(&prefix).await;
    assert_eq!(spans.len(), 2);
    let named = |suffix: &str| {
        spans
            .iter()
            .find(|span| get(span, "name").as_string().unwrap().ends_with(suffix))
            .unwrap()
            .clone()
    };
    let (page, render) = (named("-page"), named("-render"));
    assert_eq!(get(&render, "parentSpanId"), get(&page, "spanId"));
    assert_eq!(get(&render, "traceId"), get(&page, "traceId"));
    let events = Array::from(&get(&render, "events"));
    assert_eq!(
        get(&events.get(0), "name").as_string().as_deref(),
        Some("rendered")
    );
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped()), (2, 0), "{stats:?}");
    collector.shutdown().await.unwrap();
}
