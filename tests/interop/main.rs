//! Proven against collectors written by others: the OpenTelemetry Collector (every field,
//! every transport, refusals, the agent/gateway deployment) and rotel.
//! One test binary, a module per topic (each file says what it tries).

#![cfg(not(target_arch = "wasm32"))]

mod otelcol;
mod rotel;
