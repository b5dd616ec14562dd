//! The npm package's WebAssembly module: otlp-collector linked as a `cdylib` (the crate
//! itself stays an ordinary library for native users), exporting what the package's
//! JavaScript (`npm/src/`) calls — `openCollector`, the intake and the core. `npm/build.sh`
//! builds it with wasm-pack.

// Linked for its `#[wasm_bindgen]` exports, which nothing here names.
#[cfg(target_arch = "wasm32")]
use otlp_collector as _;

// Natively it is compiled for its tests only.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod size_classes;

/// Our size-class allocator instead of the standard library's dlmalloc: a fraction of its
/// size in the module (see size_classes.rs).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: size_classes::ModuleAllocator = size_classes::ModuleAllocator::new();
