//! Unicode letter case, for the OTTL case converters and case-insensitive patterns, with
//! JavaScript's own mapping (the same full Unicode mapping as Rust's), so the package does
//! not carry Unicode's case tables (about 23 KB).

use js_sys::JsString;

pub(crate) fn to_lowercase(text: &str) -> String {
    JsString::from(text).to_lower_case().into()
}

pub(crate) fn to_uppercase(text: &str) -> String {
    JsString::from(text).to_upper_case().into()
}
