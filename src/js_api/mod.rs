//! The npm package's JavaScript API, on top of the browser backend as `layer/` sits on
//! `Collector`: the JavaScript `Collector` and `Span` (`api.js`: spans recorded in
//! JavaScript), bound for Rust callers and tests (`binding.rs`), and what only this API
//! needs in Rust — the intake of the span records `api.js` writes (`intake.rs`), their
//! reader (`span_record.rs`) and the symbol table of names sent once (`symbols.rs`). The
//! backend (`src/wasm/`) never imports from here.
//!
//! `api.js` lives in the crate (not under `npm/`) because the binding imports it: a crate
//! built for wasm32 from crates.io must carry it.

mod binding;
mod intake;
mod span_record;
mod symbols;

pub use binding::{JsCollector, JsSpan};
