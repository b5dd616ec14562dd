//! Numbers as text for OTLP/JSON, and read from the text of an OTTL rule or an OpAMP
//! configuration.

use std::io::Write;

/// Appends the shortest decimal text that reads back to the same finite double.
pub(crate) fn write_double(value: f64, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{value:?}");
}

/// The double `text` spells (a number literal, checked to be digits, a point and an
/// exponent), or `None`.
pub(crate) fn read_double(text: &str) -> Option<f64> {
    text.parse().ok()
}
