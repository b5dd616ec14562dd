//! What the shared core asks of the platform it runs on, stated in one place. Each backend
//! — `native/` (threads, tokio, reqwest, tonic) or `wasm/` (one thread, JavaScript's
//! `fetch` and timers) — provides:
//!
//! - `now_unix_nanos()`: the wall clock, for span times and retry budgets;
//! - `random_seed()`: entropy for trace and span ids;
//! - `write_double(value, out)`: a double as the shortest JSON text that reads back the same;
//! - `read_double(text)`: a number literal of a rule or an OpAMP configuration;
//! - with the `transform` feature, `to_lowercase(text)`, `to_uppercase(text)` (Unicode
//!   letter case);
//! - `on_export_thread()`: whether the calling thread is one of the collector's own (the
//!   `tracing` layer records nothing there);
//! - `Collector`: the public collector over the shared pipeline and export code, and
//!   `LayerCollector`, the collector as the `tracing` layer holds it.
//!
//! The core reaches the backend only through this module; the backend is chosen here, the
//! one place a target decides the code.

cfg_if::cfg_if! {
    if #[cfg(target_arch = "wasm32")] {
        #[path = "wasm/mod.rs"]
        mod backend;
        /// The browser core the npm package's JavaScript API (`src/js_api/`) drives.
        pub(crate) use backend::{handle, CollectorCore, CoreState, JsSettings};
    } else {
        #[path = "native/mod.rs"]
        mod backend;
    }
}

pub use backend::Collector;
pub(crate) use backend::{now_unix_nanos, random_seed, read_double, write_double};
#[cfg(feature = "tracing")]
pub(crate) use backend::{on_export_thread, LayerCollector};
#[cfg(feature = "transform")]
pub(crate) use backend::{to_lowercase, to_uppercase};
