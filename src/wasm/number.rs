//! Numbers as text for OTLP/JSON, and read from the text of an OTTL rule, with
//! JavaScript's own formatting and parsing, so the package does not carry Rust's (with its
//! tables, about 20 KB).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `String(value)`: the shortest text that reads back to the same number.
    #[wasm_bindgen(js_name = String)]
    pub(crate) fn number_to_string(value: f64) -> String;

    /// `Number(text)`: the double a decimal text spells, correctly rounded; NaN for text
    /// that spells none.
    #[wasm_bindgen(js_name = Number)]
    fn text_to_number(text: &str) -> f64;
}

/// Appends the shortest decimal text that reads back to the same finite double.
pub(crate) fn write_double(value: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(number_to_string(value).as_bytes());
}

/// The double `text` spells (a number literal, checked to be digits, a point and an
/// exponent), or `None`: `Number(text)`, correctly rounded as Rust's parsing is.
#[allow(dead_code)] // rules and the OpAMP agent read numbers (the `transform`, `opamp` features)
pub(crate) fn read_double(text: &str) -> Option<f64> {
    let value = text_to_number(text);
    (!value.is_nan()).then_some(value)
}
