//! The JavaScript API: `new Collector(options)` with `startSpan`, `flush`, `stats`,
//! `shutdown`, and spans with OpenTelemetry's methods (`setAttribute(s)`, `addEvent`,
//! `addLink(s)`, `setStatus`, `updateName`, `recordException`, `spanContext`, `end`, …) plus
//! `traceparent`/`tracestate`. After the constructor, no method throws (see `js_api.js`).
//!
//! It has two halves. `js_api.js` is the part JavaScript calls per span: a `Collector`
//! object whose `startSpan` and spans are plain JavaScript, because a call into WebAssembly
//! costs more than recording a span. An ended span is appended as one record to a scratch
//! buffer inside this module's memory (layout in `span_record.rs`); [`CollectorCore::drain`]
//! collects what is there in one call, from a microtask after the ending code returns, or
//! at once when the buffer may be full (so a refusal is counted as the span ends) or before
//! `flush`, `stats` and `shutdown`. This file is the Rust half: the core that owns the [`Collector`], and the
//! bindings through which Rust code (and our tests) reach the JavaScript objects.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::collector::Collector;
use super::js_options::{config_from_options, error};
use super::span_record::{read_span, split_records};
use super::symbols;
use crate::error::CollectError;
use crate::model::SpanContext;

/// Bytes of the scratch buffer before records need it to grow.
const SCRATCH_BYTES: usize = 4096;

/// `drain` refused a span because the buffer was full.
const REFUSED_BUFFER_FULL: u32 = 1;
/// `drain` refused a span because the collector had shut down.
const REFUSED_SHUT_DOWN: u32 = 2;
/// `drain` could not read a record (a mismatch between `js_api.js` and `span_record.rs`).
const REFUSED_BAD_RECORD: u32 = 4;

#[wasm_bindgen(module = "/src/wasm/js_api.js")]
extern "C" {
    /// The JavaScript `Collector` (see `js_api.js`): what `new Collector(options)` returns.
    #[wasm_bindgen(js_name = Collector, typescript_type = "Collector")]
    pub type JsCollector;

    #[wasm_bindgen(js_name = createCollector)]
    fn create_collector(core: CollectorCore, memory: JsValue, options: &JsValue) -> JsCollector;

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

    /// A span being recorded, a JavaScript object (see `js_api.js`).
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
    let config = config_from_options(&options)?;
    let collector = Collector::new(config).map_err(|problem| error(problem.to_string()))?;
    let core = CollectorCore {
        collector,
        scratch: vec![0; SCRATCH_BYTES],
    };
    Ok(create_collector(core, wasm_bindgen::memory(), &options))
}

/// The Rust half of a JavaScript `Collector`: the collector itself and the scratch buffer
/// that ended spans are appended to. Only `js_api.js` calls it.
#[wasm_bindgen(skip_typescript)]
pub struct CollectorCore {
    collector: Collector,
    /// Where `js_api.js` appends span records until [`CollectorCore::drain`].
    scratch: Vec<u8>,
}

#[wasm_bindgen]
impl CollectorCore {
    /// Where the scratch buffer starts in this module's memory.
    #[wasm_bindgen(js_name = scratchAddress)]
    pub fn scratch_address(&self) -> usize {
        self.scratch.as_ptr() as usize
    }

    /// The scratch buffer's size in bytes.
    #[wasm_bindgen(js_name = scratchLength)]
    pub fn scratch_length(&self) -> usize {
        self.scratch.len()
    }

    /// Grows the scratch buffer to at least `length` bytes, keeping what is written; it
    /// may move (read the address again).
    #[wasm_bindgen(js_name = growScratch)]
    pub fn grow_scratch(&mut self, length: usize) {
        let length = length.max(self.scratch.len() * 2);
        self.scratch.resize(length, 0);
    }

    /// The number records may use for `text` (a span name, attribute key or event name)
    /// from now on, or -1 when it is not interned (see symbols.rs).
    #[wasm_bindgen(js_name = internSymbol)]
    pub fn intern_symbol(&self, text: &str) -> i32 {
        symbols::intern(text).map_or(-1, |id| id as i32)
    }

    /// Collects the spans recorded in the first `length` scratch bytes; every refused span
    /// is counted as dropped. Returns what was refused, as bits `js_api.js` turns into
    /// messages: [`REFUSED_BUFFER_FULL`], [`REFUSED_SHUT_DOWN`], [`REFUSED_BAD_RECORD`].
    pub fn drain(&self, length: usize) -> u32 {
        let Some(records) = self.scratch.get(..length) else {
            return REFUSED_BAD_RECORD;
        };
        let limits = self.collector.config().span_limits();
        let mut refused = 0;
        for record in split_records(records) {
            refused |= match record.and_then(|record| read_span(record, limits)) {
                Ok(span) => match self.collector.collect(span) {
                    Ok(()) => 0,
                    Err(CollectError::BufferFull { .. }) => REFUSED_BUFFER_FULL,
                    Err(CollectError::ShutDown) => REFUSED_SHUT_DOWN,
                },
                Err(_) => REFUSED_BAD_RECORD,
            };
        }
        refused
    }

    /// Calls `listener` with the message of each export error as it happens.
    #[wasm_bindgen(js_name = onExportError)]
    pub fn on_export_error(&self, listener: js_sys::Function) {
        self.collector.on_export_error(move |message| {
            // What the listener does is JavaScript's business; it cannot reach us.
            let _ = listener.call1(&JsValue::UNDEFINED, &JsValue::from_str(message));
        });
    }

    /// How many more spans the buffer takes now (0 once shut down).
    pub fn room(&self) -> usize {
        self.collector.room()
    }

    /// A `traceparent` header as the words `js_api.js` keeps (trace id ×4, span id ×2,
    /// flags), or the message of why it is invalid.
    #[wasm_bindgen(js_name = parseTraceparent)]
    pub fn parse_traceparent(&self, header: &str) -> JsValue {
        match SpanContext::from_traceparent(header) {
            Ok(context) => {
                let trace = context.trace_id.to_bytes();
                let span = context.span_id.to_bytes();
                let mut words: Vec<u32> = trace
                    .chunks_exact(4)
                    .chain(span.chunks_exact(4))
                    .map(|chunk| u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
                    .collect();
                words.push(u32::from(context.trace_flags));
                js_sys::Uint32Array::from(&words[..]).into()
            }
            Err(problem) => JsValue::from_str(&problem.to_string()),
        }
    }

    /// Exports everything collected so far; resolves when done, rejects with what was lost.
    pub fn flush(&self) -> Promise {
        let collector = self.collector.clone();
        future_to_promise(async move {
            collector
                .flush()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|problem| error(problem.to_string()))
        })
    }

    /// Stops accepting spans and exports what is buffered.
    pub fn shutdown(&self) -> Promise {
        let collector = self.collector.clone();
        future_to_promise(async move {
            collector
                .shutdown()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|problem| error(problem.to_string()))
        })
    }

    /// `{ collected, exported, dropped, droppedBufferFull, droppedExportFailed, batches,
    /// retries, bytesSent, buffered, … }`.
    pub fn stats(&self) -> Object {
        let stats = self.collector.stats();
        let object = Object::new();
        let fields = [
            ("collected", stats.collected),
            ("exported", stats.exported),
            ("dropped", stats.dropped()),
            ("droppedBufferFull", stats.dropped_buffer_full),
            (
                "droppedExportFailed",
                stats.dropped_retries_exhausted + stats.dropped_rejected + stats.dropped_timed_out,
            ),
            ("droppedRetriesExhausted", stats.dropped_retries_exhausted),
            ("droppedRejected", stats.dropped_rejected),
            ("droppedTimedOut", stats.dropped_timed_out),
            ("droppedTooLarge", stats.dropped_too_large),
            ("droppedShutdown", stats.dropped_shutdown),
            ("droppedPageUnload", stats.dropped_page_unload),
            ("batches", stats.batches),
            ("retries", stats.retries),
            ("bytesSent", stats.bytes_sent),
            ("buffered", stats.buffered),
            ("sampledOut", stats.sampled_out),
        ];
        for (name, value) in fields {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(
                &object,
                &JsValue::from_str(name),
                &JsValue::from_f64(value as f64),
            );
        }
        object
    }
}
