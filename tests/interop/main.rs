//! Proven against collectors written by others: the OpenTelemetry Collector (every field,
//! every transport, refusals, the agent/gateway deployment, its transform and filter
//! processors against our rules) and rotel.
//! One test binary, a module per topic (each file says what it tries).

#![cfg(not(target_arch = "wasm32"))]

mod otelcol;
#[cfg(feature = "transform")]
mod otelcol_rules;
mod rotel;
