//! The wasm32 backend, with the shape of `native/`. Everything target-specific for the
//! browser lives in this folder:
//!
//! - the core, in WebAssembly: the single-threaded span buffer (`buffer.rs`), the clock,
//!   and the driver JavaScript asks what to do (`core.rs`: `nextStep`, `takeBatch`, `body`,
//!   `settle`, …), over the shared batching, retry, encoding and stats code;
//! - the I/O, in JavaScript: `fetch`, timers and page lifecycle (`js/exporter.js`);
//! - the Rust [`Collector`] on them (`collector.rs`).
//!
//! The npm package's JavaScript API sits on top, in `src/js_api/`.

mod buffer;
mod clock;
mod collector;
mod core;
pub(crate) mod handle;
#[cfg(feature = "transform")]
mod letter_case;
mod number;

pub(crate) use clock::{now_unix_nanos, random_seed};

/// A browser has no export thread: `fetch` runs outside Rust and traces nothing.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))] // only the layer asks
pub(crate) fn on_export_thread() -> bool {
    false
}
pub use collector::Collector;
pub(crate) use core::{CollectorCore, CoreState, JsSettings};

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
#[cfg(feature = "transform")]
pub(crate) use letter_case::{to_lowercase, to_uppercase};
pub(crate) use number::{read_double, write_double};
