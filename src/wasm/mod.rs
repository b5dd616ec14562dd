//! The wasm32 backend: a single-threaded buffer, batching timers on the JavaScript event
//! loop, a `fetch` transport, and the JavaScript API. Everything target-specific for the
//! browser lives in this folder.

mod buffer;
mod clock;
mod collector;
mod js_api;
mod js_options;
mod lifecycle;
mod number;
mod runtime;
mod span_record;
mod symbols;
mod transport;

pub(crate) use clock::{now_unix_nanos, random_seed};
pub use collector::Collector;
pub use js_api::{JsCollector, JsSpan};
pub(crate) use number::write_double;
