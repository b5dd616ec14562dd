//! The npm package's JavaScript API on the Rust side, on top of the browser backend as
//! `layer/` sits on `Collector`: `openCollector` makes a collector's core from the options
//! JavaScript checked (`open.rs`), and the intake takes the span records JavaScript writes
//! (`intake.rs`), read by `span_record.rs`, with names sent once (`symbols.rs`). The
//! JavaScript itself (`Collector`, `Span`, the record writer, options, reporter) is in
//! `npm/src/`; the backend (`src/wasm/`) never imports from here. The OTTL rules
//! (`rules.rs`) are in the module of `otlp-collector/rules` only.

mod intake;
#[cfg(feature = "opamp")]
mod opamp;
mod open;
#[cfg(feature = "transform")]
mod rules;
mod span_record;
mod symbols;
