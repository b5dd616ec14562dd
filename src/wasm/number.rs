//! Numbers as text for OTLP/JSON, with JavaScript's own formatting so the package does not
//! carry Rust's float-printing code.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `String(value)`: the shortest text that reads back to the same number.
    #[wasm_bindgen(js_name = String)]
    pub(crate) fn number_to_string(value: f64) -> String;
}

/// Appends the shortest decimal text that reads back to the same finite double.
pub(crate) fn write_double(value: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(number_to_string(value).as_bytes());
}
