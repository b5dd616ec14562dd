//! `openCollector(settings)`: the one crossing that makes a collector for the npm package's
//! JavaScript `Collector` (`npm/src/collector.js`). JavaScript checks the options first
//! (`npm/src/options.js`); this reads the core's settings from that snapshot by name and
//! returns the collector's three handles: the core `exporter.js` drives, the intake span
//! records are written to, and the module's memory they are written in.

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::intake::Intake;
use crate::platform::{CollectorCore, CoreState, JsSettings};

#[wasm_bindgen]
extern "C" {
    /// The `core` of the options snapshot: `{ maxQueueSize, batchSize, batchTimeoutMs,
    /// exportTimeoutMs, json, gzip }` (the names are `js_boundary::SETTINGS`).
    pub type CoreSettings;

    #[wasm_bindgen(method, getter, js_name = maxQueueSize)]
    fn max_queue_size(this: &CoreSettings) -> f64;

    #[wasm_bindgen(method, getter, js_name = batchSize)]
    fn batch_size(this: &CoreSettings) -> f64;

    #[wasm_bindgen(method, getter, js_name = batchTimeoutMs)]
    fn batch_timeout_ms(this: &CoreSettings) -> f64;

    #[wasm_bindgen(method, getter, js_name = exportTimeoutMs)]
    fn export_timeout_ms(this: &CoreSettings) -> f64;

    #[wasm_bindgen(method, getter)]
    fn json(this: &CoreSettings) -> bool;

    #[wasm_bindgen(method, getter)]
    fn gzip(this: &CoreSettings) -> bool;
}

/// `openCollector(settings)` → `[core, intake, memory]`, in the order of
/// `js_boundary::OPENED` (an array: smaller in the module than an object). Never throws:
/// the settings were checked in JavaScript, and a number out of range saturates (NaN
/// becomes 0, then the smallest valid value).
#[wasm_bindgen(js_name = openCollector, skip_typescript)]
pub fn open_collector(settings: &CoreSettings) -> Array {
    let millis = |value: f64| std::time::Duration::from_millis(value as u64);
    let state = Rc::new(CoreState::for_javascript(&JsSettings {
        max_queue_size: settings.max_queue_size() as usize,
        batch_size: settings.batch_size() as usize,
        batch_timeout: millis(settings.batch_timeout_ms()),
        export_timeout: millis(settings.export_timeout_ms()),
        json: settings.json(),
        gzip: settings.gzip(),
    }));
    let intake = Intake::new(Rc::clone(&state));
    Array::of3(
        &CollectorCore::new(state).into(),
        &intake.into(),
        &wasm_bindgen::memory(),
    )
}

/// Whether this module writes OTLP/JSON: the `json` feature, which the package's main
/// module leaves out (`otlp-collector/json` and the larger entries have it). JavaScript
/// asks before it opens a collector with `protocol: 'http/json'`, and refuses naming the
/// entry.
#[wasm_bindgen(js_name = speaksJson, skip_typescript)]
pub fn speaks_json() -> bool {
    cfg!(feature = "json")
}
