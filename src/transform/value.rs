//! Values as OTTL sees them while a statement runs — `None` is OTTL's `nil` — and the
//! rules it applies to them: comparison (`pkg/ottl/compare.go`), and the conversions of
//! its string-like and int-like arguments.

use std::borrow::Cow;

use super::parse::CompareOp;
use crate::model::{KeyValue, Value};

/// A value or `nil`.
pub(crate) type Val = Option<Value>;

/// `a op b` as OTTL compares: nil equals only nil; ints and floats compare as numbers;
/// strings by their bytes; bools with false < true; lists and maps only for (in)equality;
/// anything else mismatched is unequal (only `!=` is true).
pub(crate) fn compare(a: Option<&Value>, b: Option<&Value>, op: CompareOp) -> bool {
    use std::cmp::Ordering;
    let ordering = match (a, b) {
        (None, None) => Some(Ordering::Equal),
        (Some(Value::Int(a)), Some(Value::Int(b))) => Some(a.cmp(b)),
        (Some(Value::Int(a)), Some(Value::Double(b))) => (*a as f64).partial_cmp(b),
        (Some(Value::Double(a)), Some(Value::Int(b))) => a.partial_cmp(&(*b as f64)),
        (Some(Value::Double(a)), Some(Value::Double(b))) => a.partial_cmp(b),
        (Some(Value::String(a)), Some(Value::String(b))) => Some(a.as_bytes().cmp(b.as_bytes())),
        (Some(Value::Bool(a)), Some(Value::Bool(b))) => Some(a.cmp(b)),
        (Some(Value::Bytes(a)), Some(Value::Bytes(b))) => Some(a.cmp(b)),
        (Some(a @ (Value::Array(_) | Value::KvList(_))), Some(b)) => {
            return match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                _ => false,
            }
        }
        _ => return op == CompareOp::Ne,
    };
    // NaN compares unequal to everything, as in Go.
    let Some(ordering) = ordering else {
        return op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
    }
}

/// A value as OTTL's string-like arguments read it (`Concat`, `IsMatch`, `String`):
/// strings as they are, numbers and bools as Go formats them, bytes as hex, maps and
/// lists as JSON; `None` for nil.
pub(crate) fn string_like(value: Option<&Value>) -> Option<Cow<'_, str>> {
    Some(match value? {
        Value::String(text) => Cow::Borrowed(text.as_ref()),
        Value::Int(int) => Cow::Owned(int.to_string()),
        Value::Double(double) => Cow::Owned(go_float(*double)),
        Value::Bool(bool) => Cow::Borrowed(if *bool { "true" } else { "false" }),
        Value::Bytes(bytes) => Cow::Owned(hex(bytes)),
        other => {
            let mut json = String::new();
            write_json(other, &mut json);
            Cow::Owned(json)
        }
    })
}

/// An int-like argument (`Int`): whole numbers as they are, floats truncated, bools 1 or
/// 0, strings parsed as base-10; `Err` for a string that is not a number and for other
/// kinds.
pub(crate) fn int_like(value: Option<&Value>) -> Result<Option<i64>, String> {
    Ok(match value {
        None => None,
        Some(Value::Int(int)) => Some(*int),
        // Go's conversion saturates too, and NaN becomes the smallest int64.
        Some(Value::Double(double)) if double.is_nan() => Some(i64::MIN),
        Some(Value::Double(double)) => Some(*double as i64),
        Some(Value::Bool(bool)) => Some(i64::from(*bool)),
        Some(Value::String(text)) => match parse_go_int(text) {
            Some(int) => Some(int),
            None => return Err(format!("cannot convert \"{text}\" to an int")),
        },
        Some(other) => return Err(format!("cannot convert {} to an int", kind_of(other))),
    })
}

/// `strconv.ParseInt(text, 10, 64)`: an optional sign and decimal digits.
fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// What a value is, for error messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Bool(_) => "a bool",
        Value::Int(_) => "an int",
        Value::Double(_) => "a float",
        Value::Bytes(_) => "bytes",
        Value::Array(_) => "a list",
        Value::KvList(_) => "a map",
        Value::Empty => "an empty value",
    }
}

/// A double as the Collector writes one as text (`String`, `Concat`): the shortest digits
/// that read back, as Go's `'f'` format, or its `'e'` format (`1.5e-07`, `1e+21`) below
/// 1e-6 and from 1e21 on (ECMAScript's cut-offs). The digits are the platform's shortest
/// text (in the browser JavaScript's, so the module carries no float printing of its own).
pub(crate) fn go_float(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if value.is_nan() {
        return "NaN".to_owned();
    }
    let abs = value.abs();
    let mut shortest = Vec::new();
    crate::platform::write_double(abs, &mut shortest);
    let (digits, point) = digits_and_point(&String::from_utf8_lossy(&shortest));
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let exponent = point - 1;
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{point}{rest}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        );
    }
    let length = digits.len() as i32;
    let plain = if digits == "0" {
        "0".to_owned()
    } else if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= length {
        format!("{digits}{}", "0".repeat((point - length) as usize))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    format!("{sign}{plain}")
}

/// The significant digits of a number's text (`1.5e-7`, `1e+21`, `1e21`, `12.0`, `12.5`:
/// the platforms' shortest forms) and where the decimal point falls among them (`"15"`,
/// -6 for 1.5e-7); `"0"` for zero.
fn digits_and_point(text: &str) -> (String, i32) {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let point = whole.len() as i32 + exponent;
    let trimmed = digits.trim_start_matches('0');
    let point = point - (digits.len() - trimmed.len()) as i32;
    match trimmed.trim_end_matches('0') {
        "" => ("0".to_owned(), 1),
        significant => (significant.to_owned(), point),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// JSON as Go's `encoding/json` writes a map or list: map keys sorted, `<`, `>` and `&`
/// escaped.
fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => json_string(text, out),
        Value::Bool(bool) => out.push_str(if *bool { "true" } else { "false" }),
        Value::Int(int) => out.push_str(&int.to_string()),
        // encoding/json writes `1.5e-7` where text has `1.5e-07`.
        Value::Double(double) => {
            let text = go_float(*double);
            match text.rsplit_once("e-0") {
                Some((mantissa, digit)) if digit.len() == 1 => {
                    out.push_str(mantissa);
                    out.push_str("e-");
                    out.push_str(digit);
                }
                _ => out.push_str(&text),
            }
        }
        Value::Bytes(bytes) => {
            out.push('"');
            out.push_str(&base64(bytes));
            out.push('"');
        }
        Value::Empty => out.push_str("null"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::KvList(entries) => {
            let mut sorted: Vec<&KeyValue> = entries.iter().collect();
            sorted.sort_unstable_by(|a, b| a.key.cmp(&b.key));
            out.push('{');
            for (i, entry) in sorted.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(&entry.key, out);
                out.push(':');
                write_json(&entry.value, out);
            }
            out.push('}');
        }
    }
}

fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = u32::from(chunk[0]) << 16
            | u32::from(*chunk.get(1).unwrap_or(&0)) << 8
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare_vals(a: &Val, b: &Val, op: CompareOp) -> bool {
        compare(a.as_ref(), b.as_ref(), op)
    }

    fn string_like_val(value: &Val) -> Option<String> {
        string_like(value.as_ref()).map(Cow::into_owned)
    }

    fn int_like_val(value: &Val) -> Result<Option<i64>, String> {
        int_like(value.as_ref())
    }

    fn s(text: &str) -> Val {
        Some(Value::from(text.to_owned()))
    }

    /// Between 1e-6 and 1e21 Rust's `Display` of a double is Go's `'f'` format with the
    /// shortest digits; outside, the Collector's answers (seen through its `transform`
    /// processor: tests/e2e/rules.test.mjs).
    #[test]
    fn floats_read_as_the_collector_writes_them() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut values = vec![0.0, -0.0, 1.0, 0.1, 1e-6, 123456789.125, 1e20];
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(f64::from_bits(state));
        }
        for value in values
            .into_iter()
            .filter(|v| (1e-6..1e21).contains(&v.abs()) || *v == 0.0)
        {
            assert_eq!(go_float(value), value.to_string(), "{value:e}");
        }
        for (value, text) in [
            (1e21, "1e+21"),
            (9.99e-7, "9.99e-07"),
            (1.5e-7, "1.5e-07"),
            (-1.5e-7, "-1.5e-07"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Inf"),
        ] {
            assert_eq!(go_float(value), text);
        }
        for (javascript, digits, point) in [
            ("1e+21", "1", 22),
            ("1.5e-7", "15", -6),
            ("12.50", "125", 2),
            ("0", "0", 1),
        ] {
            assert_eq!(digits_and_point(javascript), (digits.to_owned(), point));
        }
    }

    #[test]
    fn comparisons_follow_ottl() {
        use CompareOp::*;
        assert!(compare_vals(&None, &None, Eq) && compare_vals(&None, &None, Le));
        assert!(!compare_vals(&None, &s("x"), Eq) && compare_vals(&None, &s("x"), Ne));
        assert!(!compare_vals(&None, &s("x"), Lt));
        assert!(compare_vals(
            &Some(Value::Int(1)),
            &Some(Value::Double(1.0)),
            Eq
        ));
        assert!(compare_vals(
            &Some(Value::Int(1)),
            &Some(Value::Double(1.5)),
            Lt
        ));
        assert!(!compare_vals(&Some(Value::Int(1)), &s("1"), Eq));
        assert!(compare_vals(&Some(Value::Int(1)), &s("1"), Ne));
        assert!(compare_vals(&s("B"), &s("a"), Lt));
        assert!(compare_vals(
            &Some(Value::Bool(false)),
            &Some(Value::Bool(true)),
            Lt
        ));
        let nan = Some(Value::Double(f64::NAN));
        assert!(!compare_vals(&nan, &nan, Eq) && compare_vals(&nan, &nan, Ne));
    }

    #[test]
    fn conversions_follow_go() {
        assert_eq!(string_like_val(&Some(Value::Double(1.5))).unwrap(), "1.5");
        assert_eq!(
            string_like_val(&Some(Value::Double(1e21))).unwrap(),
            "1e+21"
        );
        assert_eq!(
            string_like_val(&Some(Value::Double(f64::INFINITY))).unwrap(),
            "+Inf"
        );
        assert_eq!(
            string_like_val(&Some(Value::Bytes(vec![1, 171]))).unwrap(),
            "01ab"
        );
        let map = Value::KvList(vec![
            KeyValue::new("b", "<x>"),
            KeyValue::new("a", Value::Array(vec![Value::Int(1), Value::Bool(true)])),
        ]);
        assert_eq!(
            string_like_val(&Some(map)).unwrap(),
            r#"{"a":[1,true],"b":"\u003cx\u003e"}"#
        );
        assert_eq!(int_like_val(&s("-42")), Ok(Some(-42)));
        assert!(int_like_val(&s("4.2")).is_err());
        assert_eq!(int_like_val(&Some(Value::Double(-3.9))), Ok(Some(-3)));
        assert_eq!(int_like_val(&Some(Value::Bool(true))), Ok(Some(1)));
        assert!(int_like_val(&Some(Value::Array(vec![]))).is_err());
        assert_eq!(base64(b"hi!?"), "aGkhPw==");
    }
}
