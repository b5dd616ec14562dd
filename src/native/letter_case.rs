//! Unicode letter case, for the OTTL case converters and case-insensitive patterns.

pub(crate) fn to_lowercase(text: &str) -> String {
    text.to_lowercase()
}

pub(crate) fn to_uppercase(text: &str) -> String {
    text.to_uppercase()
}
