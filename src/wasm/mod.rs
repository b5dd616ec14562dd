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

/// The collector as the `tracing` layer holds it: `tracing` wants subscribers `Send + Sync`,
/// and the browser collector is `Rc`-based.
#[cfg(feature = "tracing")]
pub(crate) struct LayerCollector(pub(crate) Collector);

// SAFETY: without the `atomics` target feature a wasm32 module has exactly one thread, so
// the collector is never reached from two threads. A threaded build is refused below.
#[cfg(feature = "tracing")]
unsafe impl Send for LayerCollector {}
#[cfg(feature = "tracing")]
unsafe impl Sync for LayerCollector {}
#[cfg(all(feature = "tracing", target_feature = "atomics"))]
compile_error!("the tracing layer's browser collector is single-threaded: build without the atomics target feature");
pub use js_api::{JsCollector, JsSpan};
pub(crate) use number::write_double;
