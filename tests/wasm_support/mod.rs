//! Helpers shared by the wasm tests: the receiver's address (passed at build time), a
//! timer, and what the receiver decoded, read from its `/received` JSON.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn test_fetch(url: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = fetch)]
    fn test_fetch_with_init(url: &str, init: &web_sys::RequestInit) -> js_sys::Promise;
    // A different Rust signature from the library's own binding, so the symbols differ.
    #[wasm_bindgen(js_name = setTimeout)]
    fn test_set_timeout(callback: &js_sys::Function, milliseconds: i32);
}

/// The receiver's base URL, e.g. `http://127.0.0.1:40123`.
pub fn receiver() -> &'static str {
    // Read at build time; a build without it still compiles (e.g. for clippy) but every
    // test says how to run it.
    match option_env!("OTLP_TEST_RECEIVER") {
        Some(url) => url,
        None => {
            panic!("OTLP_TEST_RECEIVER is not set: run the wasm tests through tests/run_all.sh")
        }
    }
}

pub fn traces_endpoint() -> String {
    format!("{}/v1/traces", receiver())
}

pub async fn sleep(milliseconds: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| test_set_timeout(&resolve, milliseconds));
    JsFuture::from(promise).await.unwrap();
}

pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

/// A span-name prefix unique to this run: the receiver outlives a single test run.
pub fn unique(name: &str) -> String {
    format!("{name}-{}", otlp_collector::SpanId::random())
}

/// Scripts the receiver's next answers (a JSON array, see `SCRIPT_PATH` in tests/support).
pub async fn script(steps: &str) {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(steps));
    let response = JsFuture::from(test_fetch_with_init(
        &format!("{}/script", receiver()),
        &init,
    ))
    .await
    .expect("the receiver answers /script");
    let status = response.unchecked_into::<web_sys::Response>().status();
    assert_eq!(status, 204, "the receiver refused the script {steps}");
}

/// Everything the receiver decoded so far; it must not have refused any body.
pub async fn received() -> JsValue {
    let response = JsFuture::from(test_fetch(&format!("{}/received", receiver())))
        .await
        .expect("the receiver answers /received");
    let text = JsFuture::from(
        response
            .unchecked_into::<web_sys::Response>()
            .text()
            .unwrap(),
    )
    .await
    .unwrap()
    .as_string()
    .unwrap();
    let received = JSON::parse(&text).unwrap();
    assert_eq!(
        Array::from(&get(&received, "decodeErrors")).length(),
        0,
        "{text}"
    );
    received
}

/// The spans of one received request whose name starts with `prefix`.
pub fn spans_in(request: &JsValue, prefix: &str) -> Vec<JsValue> {
    let mut spans = Vec::new();
    for resource in Array::from(&get(request, "resourceSpans")).iter() {
        for scope in Array::from(&get(&resource, "scopeSpans")).iter() {
            for span in Array::from(&get(&scope, "spans")).iter() {
                if get(&span, "name")
                    .as_string()
                    .unwrap_or_default()
                    .starts_with(prefix)
                {
                    spans.push(span);
                }
            }
        }
    }
    spans
}

/// Every span the receiver decoded whose name starts with `prefix`.
pub async fn received_spans(prefix: &str) -> Vec<JsValue> {
    Array::from(&get(&received().await, "requests"))
        .iter()
        .flat_map(|request| spans_in(&request, prefix))
        .collect()
}

/// The `Content-Encoding` of each received request holding spans named `prefix…`.
pub async fn content_encodings_of(prefix: &str) -> Vec<Option<String>> {
    let received = received().await;
    let encodings = Array::from(&get(&received, "contentEncodings"));
    Array::from(&get(&received, "requests"))
        .iter()
        .enumerate()
        .filter(|(_, request)| !spans_in(request, prefix).is_empty())
        .map(|(index, _)| encodings.get(index as u32).as_string())
        .collect()
}
