//! The npm package's JavaScript API on the Rust side, on top of the browser backend as
//! `layer/` sits on `Collector`: `openCollector` makes a collector's core from the options
//! JavaScript checked (`open.rs`), and the intake takes the span records JavaScript writes
//! (`intake.rs`), read by `span_record.rs`, with names sent once (`symbols.rs`). The
//! JavaScript itself (`Collector`, `Span`, the record writer, options, reporter) is in
//! `npm/src/`; the backend (`src/wasm/`) never imports from here. The OTTL rules
//! (`rules.rs`) are in the module of `otlp-collector/rules` only.

#[cfg(target_arch = "wasm32")]
mod intake;
#[cfg(all(target_arch = "wasm32", feature = "opamp"))]
mod opamp;
#[cfg(target_arch = "wasm32")]
mod open;
// The record's reader and encoder are compiled natively too, for their tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod record_protobuf;
#[cfg(all(target_arch = "wasm32", feature = "transform"))]
mod rules;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod span_record;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod symbols;
