//! Attribute values: every kind an OTLP `AnyValue` can hold.
//!
//! Keys and strings are `Cow<'static, str>` so that the common case — literal keys and
//! literal values — costs no allocation on the collecting thread.

use std::borrow::Cow;

/// An attribute key. Literals are borrowed, owned strings are moved in.
pub type Key = Cow<'static, str>;

/// A value of an attribute: the OTLP `AnyValue`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// UTF-8 text.
    String(Cow<'static, str>),
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A 64-bit float. NaN and infinities are kept as they are.
    Double(f64),
    /// Raw bytes (base64 in OTLP/JSON).
    Bytes(Vec<u8>),
    /// A list of values, possibly of mixed kinds.
    Array(Vec<Value>),
    /// A nested list of key-value pairs.
    KvList(Vec<KeyValue>),
    /// No value (OTLP's empty `AnyValue`): what a transform rule writes when it sets an
    /// attribute to nil, as the Collector's `set` does.
    Empty,
}

/// One attribute: a key and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The attribute's name, e.g. `http.request.method`.
    pub key: Key,
    /// The attribute's value.
    pub value: Value,
}

impl KeyValue {
    /// Pairs a key with anything that converts into a [`Value`].
    ///
    /// # Examples
    /// ```
    /// use otlp_collector::{KeyValue, Value};
    /// let kv = KeyValue::new("http.response.status_code", 200);
    /// assert_eq!(kv.value, Value::Int(200));
    /// ```
    pub fn new(key: impl Into<Key>, value: impl Into<Value>) -> Self {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// How deeply arrays and key-value lists may nest in one attribute value. Deeper values
/// are refused when set (the attribute is dropped and counted): common OTLP decoders stop
/// at a recursion limit (prost's 100 messages, serde_json's 128 levels; one level here is
/// three protobuf messages or four JSON levels), refusing the whole request, and a deep
/// enough value would overflow any recursive encoder's stack.
pub const MAX_VALUE_NESTING: usize = 16;

impl Value {
    /// Whether arrays and key-value lists nest deeper than [`MAX_VALUE_NESTING`] in this
    /// value. Iterative, so a hostile value of any depth cannot overflow the stack here.
    #[inline]
    pub(crate) fn nests_too_deep(&self) -> bool {
        // Scalars, nearly every value, cost one comparison on the span's path.
        matches!(self, Value::Array(_) | Value::KvList(_)) && self.nesting_exceeds_limit()
    }

    /// [`nests_too_deep`](Self::nests_too_deep) for arrays and lists: a walk of the value.
    fn nesting_exceeds_limit(&self) -> bool {
        let mut pending = vec![(self, 0usize)];
        while let Some((value, depth)) = pending.pop() {
            let children: Box<dyn Iterator<Item = &Value>> = match value {
                Value::Array(values) => Box::new(values.iter()),
                Value::KvList(pairs) => Box::new(pairs.iter().map(|pair| &pair.value)),
                _ => continue,
            };
            if depth == MAX_VALUE_NESTING {
                return true;
            }
            pending.extend(children.map(|child| (child, depth + 1)));
        }
        false
    }

    /// Drops a value without recursion (the compiler's drop glue recurses once per
    /// level, which a hostile depth turns into a stack overflow).
    pub(crate) fn drop_iteratively(self) {
        let mut pending = vec![self];
        while let Some(value) = pending.pop() {
            match value {
                Value::Array(values) => pending.extend(values),
                Value::KvList(pairs) => pending.extend(pairs.into_iter().map(|pair| pair.value)),
                _ => {}
            }
        }
    }

    /// Shortens text and byte values longer than `max_len` (characters for text, bytes for
    /// bytes), recursing into arrays and key-value lists. Returns whether anything changed.
    pub(crate) fn truncate(&mut self, max_len: usize) -> bool {
        match self {
            Value::String(text) => truncate_text(text, max_len),
            Value::Bytes(bytes) if bytes.len() > max_len => {
                bytes.truncate(max_len);
                true
            }
            Value::Array(values) => values
                .iter_mut()
                .fold(false, |changed, value| value.truncate(max_len) | changed),
            Value::KvList(pairs) => pairs.iter_mut().fold(false, |changed, pair| {
                pair.value.truncate(max_len) | changed
            }),
            _ => false,
        }
    }
}

/// Cuts `text` to at most `max_chars` Unicode scalar values, on a character boundary.
fn truncate_text(text: &mut Cow<'static, str>, max_chars: usize) -> bool {
    let cut = truncated(text, max_chars).len();
    if cut == text.len() {
        return false;
    }
    match text {
        Cow::Borrowed(literal) => *text = Cow::Borrowed(truncated(literal, max_chars)),
        Cow::Owned(owned) => owned.truncate(cut),
    }
    true
}

/// The first `max_chars` Unicode scalar values of `text` (all of it when shorter).
pub(crate) fn truncated(text: &str, max_chars: usize) -> &str {
    // A string of n bytes has at most n characters: most strings skip the scan.
    if text.len() <= max_chars {
        return text;
    }
    match text.char_indices().nth(max_chars) {
        // `get` rather than indexing: `cut` is a boundary, and the browser build carries no
        // code for the panic an index would bring.
        Some((cut, _)) => text.get(..cut).unwrap_or(text),
        None => text,
    }
}

impl From<&'static str> for Value {
    fn from(value: &'static str) -> Self {
        Value::String(Cow::Borrowed(value))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(Cow::Owned(value))
    }
}

impl From<Cow<'static, str>> for Value {
    fn from(value: Cow<'static, str>) -> Self {
        Value::String(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

macro_rules! int_values {
    ($($int:ty),*) => {$(
        impl From<$int> for Value {
            fn from(value: $int) -> Self {
                Value::Int(i64::from(value))
            }
        }
    )*};
}
int_values!(i8, i16, i32, i64, u8, u16, u32);

/// Integers that may not fit OTLP's `int64`: an int when they do, else their decimal text
/// (so a `u64` id beyond `i64::MAX` keeps every digit rather than saturating).
macro_rules! wide_int_values {
    ($($int:ty),*) => {$(
        impl From<$int> for Value {
            fn from(value: $int) -> Self {
                match i64::try_from(value) {
                    Ok(int) => Value::Int(int),
                    Err(_) => Value::from(value.to_string()),
                }
            }
        }
    )*};
}
wide_int_values!(u64, usize, isize, i128, u128);

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Double(value)
    }
}

impl From<f32> for Value {
    fn from(value: f32) -> Self {
        Value::Double(f64::from(value))
    }
}

impl From<Vec<Value>> for Value {
    fn from(values: Vec<Value>) -> Self {
        Value::Array(values)
    }
}

impl From<Vec<KeyValue>> for Value {
    fn from(pairs: Vec<KeyValue>) -> Self {
        Value::KvList(pairs)
    }
}

macro_rules! array_values {
    ($($item:ty),*) => {$(
        impl From<Vec<$item>> for Value {
            fn from(items: Vec<$item>) -> Self {
                Value::Array(items.into_iter().map(Value::from).collect())
            }
        }
    )*};
}
array_values!(&'static str, String, bool, i64, f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_text_on_character_boundaries() {
        let mut value = Value::from("héllo wörld");
        assert!(value.truncate(4));
        assert_eq!(value, Value::from("héll"));
        let mut owned = Value::from(String::from("日本語テキスト"));
        assert!(owned.truncate(2));
        assert_eq!(owned, Value::from("日本"));
    }

    #[test]
    fn truncation_recurses_and_reports_no_change_when_short() {
        let mut value = Value::Array(vec![Value::from("abcdef"), Value::Bytes(vec![1; 10])]);
        assert!(value.truncate(3));
        assert_eq!(
            value,
            Value::Array(vec![Value::from("abc"), Value::Bytes(vec![1; 3])])
        );
        let mut short = Value::KvList(vec![KeyValue::new("k", "ab")]);
        assert!(!short.truncate(3));
    }

    fn nested(depth: usize) -> Value {
        let mut value = Value::from("leaf");
        for level in 0..depth {
            value = if level % 2 == 0 {
                Value::Array(vec![value])
            } else {
                Value::KvList(vec![KeyValue::new("k", value)])
            };
        }
        value
    }

    #[test]
    fn nesting_is_measured_without_recursion() {
        assert!(!Value::from(1).nests_too_deep());
        assert!(!nested(MAX_VALUE_NESTING).nests_too_deep());
        assert!(nested(MAX_VALUE_NESTING + 1).nests_too_deep());
        // A million levels: both the check and the disposal must stay off the stack.
        let hostile = nested(1_000_000);
        assert!(hostile.nests_too_deep());
        hostile.drop_iteratively();
    }

    #[test]
    fn wide_integers_become_text_beyond_int64() {
        assert_eq!(Value::from(7usize), Value::Int(7));
        assert_eq!(Value::from(-7isize), Value::Int(-7));
        assert_eq!(Value::from(u64::MAX), Value::from(u64::MAX.to_string()));
        assert_eq!(Value::from(i128::MIN), Value::from(i128::MIN.to_string()));
        assert_eq!(Value::from(i64::MAX as u128), Value::Int(i64::MAX));
    }

    #[test]
    fn integers_and_arrays_convert() {
        assert_eq!(Value::from(7u32), Value::Int(7));
        assert_eq!(
            Value::from(vec![1i64, 2]),
            Value::Array(vec![Value::Int(1), Value::Int(2)])
        );
    }
}
