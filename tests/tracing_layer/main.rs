//! The `tracing` layer: spans from `tracing` macros, and the export thread never tracing
//! itself.
//! One test binary, a module per topic (each file says what it tries).

#![cfg(not(target_arch = "wasm32"))]

mod layer;
#[cfg(feature = "grpc")]
mod own_threads;
