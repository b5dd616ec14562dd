//! The npm package's WebAssembly module: otlp-collector's JavaScript API (`Collector`,
//! `Span`), linked here as a `cdylib` so the crate itself is an ordinary library for native
//! users. `www/build.sh` builds it with wasm-pack.

#[cfg(target_arch = "wasm32")]
pub use otlp_collector::{JsCollector, JsSpan};
