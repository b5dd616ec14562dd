//! What the collector does with spans inside the process: the values it accepts, the
//! settings it parses, encoding round-trips, the pipeline, sampling, scoped spans, problem
//! reports, the metrics text and the lifecycle (start, flush, shutdown, drop).
//! One test binary, a module per topic (each file says what it tries).

#![cfg(not(target_arch = "wasm32"))]

mod encoding_roundtrip;
mod lifecycle;
mod metrics_text;
mod parsed_text_properties;
mod pipeline;
mod problems;
mod rules;
mod sampling;
mod scoped;
mod span_values;

/// The OTLP/HTTP encodings this build has: protobuf always, JSON with the `json` feature.
fn http_protocols() -> Vec<otlp_collector::Protocol> {
    let json = cfg!(feature = "json").then_some(otlp_collector::Protocol::HttpJson);
    [otlp_collector::Protocol::HttpProtobuf]
        .into_iter()
        .chain(json)
        .collect()
}
