//! `openCollector(…settings)`: the one crossing that makes a collector for the npm package's
//! JavaScript `Collector` (`npm/src/collector.js`). JavaScript checks the options first
//! (`npm/src/options.js`) and passes the core's settings as plain arguments, in the order of
//! `js_boundary::SETTINGS` (numbers and booleans cross without glue code, where an object
//! read by name took a getter import per setting); this returns the collector's intake,
//! which span records are written to and which gives the core `exporter.js` drives.

use std::rc::Rc;

use super::intake::Intake;
use super::record_protobuf::{encode_default_scope, encode_resource};
use crate::js_boundary::{SPEAKS_GZIP, SPEAKS_JSON};
use crate::platform::handle::Handle;
use crate::platform::{CoreState, JsSettings};

/// `openCollector(maxQueueSize, batchSize, batchTimeoutMs, exportTimeoutMs, json, gzip)` →
/// the address of the collector's intake (a handle: see `src/wasm/handle.rs`;
/// `intake.core()` is its core). Never fails: the settings were checked in JavaScript, and
/// a number out of range saturates (NaN becomes 0, then the smallest valid value); `json`
/// and `gzip` are booleans (any number but 0 is true).
#[export_name = "openCollector"]
pub extern "C" fn open_collector(
    max_queue_size: f64,
    batch_size: f64,
    batch_timeout_ms: f64,
    export_timeout_ms: f64,
    json: u32,
    gzip: u32,
) -> usize {
    let millis = |value: f64| std::time::Duration::from_millis(value as u64);
    let state = Rc::new(CoreState::for_javascript(&JsSettings {
        max_queue_size: max_queue_size as usize,
        batch_size: batch_size as usize,
        batch_timeout: millis(batch_timeout_ms),
        export_timeout: millis(export_timeout_ms),
        json: json != 0,
        gzip: gzip != 0,
    }));
    if CoreState::encodes_records() {
        // The resource until JavaScript sets its own, and the scope, as records are encoded.
        let no_attributes = 0u32.to_le_bytes();
        let resource = encode_resource(&no_attributes).unwrap_or_default();
        state.set_encoded_head(&resource, Some(&encode_default_scope()));
    }
    Intake::new(state).into_address()
}

/// What this module writes beyond uncompressed OTLP/protobuf, as bits: [`SPEAKS_JSON`]
/// (the `json` feature) and [`SPEAKS_GZIP`] (`gzip`), which the package's main module
/// leaves out (`otlp-collector/gzip`, `/json` and the larger entries have them).
/// JavaScript asks before it opens a collector with `protocol: 'http/json'` or
/// `compression: 'gzip'`, and refuses naming the entry.
#[export_name = "speaks"]
pub extern "C" fn speaks() -> u32 {
    (u32::from(cfg!(feature = "json")) * SPEAKS_JSON)
        | (u32::from(cfg!(feature = "gzip")) * SPEAKS_GZIP)
}
