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

use otlp_collector::{Compression, Protocol};

/// Whether this build has `protocol` and `compression` (their cargo features); the cases
/// it lacks are skipped (the feature tests check that they are refused, naming them).
fn built_in(protocol: Protocol, compression: Compression) -> bool {
    (protocol != Protocol::Grpc || cfg!(feature = "grpc"))
        && (protocol != Protocol::HttpJson || cfg!(feature = "json"))
        && (compression != Compression::Gzip || cfg!(feature = "gzip"))
}
