//! Numbers as text for OTLP/JSON.

use std::io::Write;

/// Appends the shortest decimal text that reads back to the same finite double.
pub(crate) fn write_double(value: f64, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{value:?}");
}
