//! The npm package's WebAssembly module: otlp-collector linked as a `cdylib` (the crate
//! itself stays an ordinary library for native users), exporting what the package's
//! JavaScript (`npm/src/`) calls — `openCollector`, the intake and the core. `npm/build.sh`
//! builds it with wasm-pack.

// Linked for its `#[wasm_bindgen]` exports, which nothing here names.
#[cfg(target_arch = "wasm32")]
use otlp_collector as _;

/// Talc instead of the standard library's dlmalloc: a fraction of its size in the module,
/// and faster at the many small allocations span records make.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
