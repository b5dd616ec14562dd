//! Proven against collectors written by others: the OpenTelemetry Collector (every field,
//! every transport, refusals, the agent/gateway deployment, its transform and filter
//! processors against our rules), rotel, and an OpAMP server (opamp-go).
//! One test binary, a module per topic (each file says what it tries).

#![cfg(not(target_arch = "wasm32"))]

mod opamp;
mod otelcol;
#[cfg(feature = "transform")]
mod otelcol_rules;
mod rotel;
