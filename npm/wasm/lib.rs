//! The npm package's WebAssembly module: otlp-collector's JavaScript API (`Collector`,
//! `Span`), linked here as a `cdylib` so the crate itself is an ordinary library for native
//! users. `www/build.sh` builds it with wasm-pack.

#[cfg(target_arch = "wasm32")]
pub use otlp_collector::{JsCollector, JsSpan};

/// Talc instead of the standard library's dlmalloc: a fraction of its size in the module,
/// and faster at the many small allocations span records make.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
