//! The JavaScript API's binding: `new Collector(options)` returns the JavaScript
//! `Collector` of `js/api.js` (spans recorded in JavaScript, `startSpan`, `flush`, `stats`,
//! `shutdown`) around a [`CollectorCore`], exported by `js/exporter.js`. The types below let
//! Rust code (and our tests) reach those JavaScript objects. After the constructor, no
//! method throws.

use std::rc::Rc;

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use super::intake::Intake;
use crate::platform::{CollectorCore, CoreState};

#[wasm_bindgen(module = "/src/js_api/api.js")]
extern "C" {
    /// The JavaScript `Collector` (see `js/api.js`): what `new Collector(options)` returns.
    #[wasm_bindgen(js_name = Collector, typescript_type = "Collector")]
    pub type JsCollector;

    /// The options as `readOptions` read them, each once: the collector is made from this
    /// snapshot, never from the caller's object again.
    type OptionsSnapshot;

    /// `[maxQueueSize, batchSize, batchTimeoutMs, exportTimeoutMs, json, gzip]`.
    #[wasm_bindgen(method, getter)]
    fn settings(this: &OptionsSnapshot) -> Vec<f64>;

    /// Checks the options, throwing an `Error` that names a bad one.
    #[wasm_bindgen(catch, js_name = readOptions)]
    fn read_options(options: &JsValue) -> Result<OptionsSnapshot, JsValue>;

    #[wasm_bindgen(js_name = createCollector)]
    fn create_collector(
        core: CollectorCore,
        intake: Intake,
        memory: JsValue,
        options: &OptionsSnapshot,
    ) -> JsCollector;

    /// `startSpan(name, { kind, attributes, parent })`.
    #[wasm_bindgen(method, catch, js_name = startSpan)]
    pub fn start_span(
        this: &JsCollector,
        name: JsValue,
        options: JsValue,
    ) -> Result<JsSpan, JsValue>;

    /// Exports everything collected so far; resolves to whether all of it was delivered.
    #[wasm_bindgen(method)]
    pub fn flush(this: &JsCollector) -> Promise;

    /// Stops accepting spans and exports what is buffered.
    #[wasm_bindgen(method)]
    pub fn shutdown(this: &JsCollector) -> Promise;

    /// The counters, as a plain object (`collected`, `exported`, `dropped`, …).
    #[wasm_bindgen(method)]
    pub fn stats(this: &JsCollector) -> Object;

    /// A span being recorded, a JavaScript object (see `js/api.js`).
    #[wasm_bindgen(js_name = Span, typescript_type = "Span")]
    pub type JsSpan;

    /// Sets one attribute; a value that is not a string, number, boolean or an array of
    /// one of those is dropped, counted and reported (never thrown).
    #[wasm_bindgen(method, catch, js_name = setAttribute)]
    pub fn set_attribute(this: &JsSpan, key: &str, value: JsValue) -> Result<(), JsValue>;

    /// Sets every property of an object.
    #[wasm_bindgen(method, catch, js_name = setAttributes)]
    pub fn set_attributes(this: &JsSpan, attributes: JsValue) -> Result<(), JsValue>;

    /// Records an event now, with optional attributes.
    #[wasm_bindgen(method, catch, js_name = addEvent)]
    pub fn add_event(this: &JsSpan, name: &str, attributes: JsValue) -> Result<(), JsValue>;

    /// `'unset' | 'ok' | 'error'`, with a message for errors.
    #[wasm_bindgen(method, catch, js_name = setStatus)]
    pub fn set_status(this: &JsSpan, code: &str, message: Option<String>) -> Result<(), JsValue>;

    /// The W3C `traceparent` header value.
    #[wasm_bindgen(method, catch)]
    pub fn traceparent(this: &JsSpan) -> Result<String, JsValue>;

    /// Ends the span and hands it to the collector; a refusal is counted and reported.
    #[wasm_bindgen(method, catch)]
    pub fn end(this: &JsSpan) -> Result<(), JsValue>;
}

impl JsCollector {
    /// What `new Collector(options)` does in JavaScript; throws (returns `Err`) with a
    /// message naming a bad option.
    pub fn new(options: JsValue) -> Result<JsCollector, JsValue> {
        new_collector(options)
    }
}

/// `new Collector(options)`. A plain function that returns an object, so `new` gives that
/// object: the JavaScript `Collector` around a [`CollectorCore`].
#[wasm_bindgen(js_name = Collector, skip_typescript)]
pub fn new_collector(options: JsValue) -> Result<JsCollector, JsValue> {
    let snapshot = read_options(&options)?;
    let state = Rc::new(CoreState::for_javascript(&snapshot.settings()));
    let intake = Intake::new(Rc::clone(&state));
    let core = CollectorCore::new(state);
    Ok(create_collector(
        core,
        intake,
        wasm_bindgen::memory(),
        &snapshot,
    ))
}
