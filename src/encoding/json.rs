//! OTLP/JSON, written by hand: ids as lowercase hex, lowerCamelCase keys, enums as
//! integers, 64-bit integers as decimal strings, bytes as base64, defaults omitted.
//!
//! A small writer instead of serde_json keeps the browser package light and lets us
//! write straight from the span model.

use super::{BatchSpan, Protocol, ScopeGroup};
use crate::model::{otlp_flags, push_hex, Event, KeyValue, Link, Scope, Span, SpanStatus, Value};

/// Appends `text` as a JSON string literal.
pub(crate) fn push_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut clean_from = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[clean_from..index]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            push_hex(&[byte], out);
        } else {
            out.extend_from_slice(escape);
        }
        clean_from = index + 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
    out.push(b'"');
}

/// Appends `"key":` with a leading comma unless it is the object's first member.
fn push_key(key: &str, first: &mut bool, out: &mut Vec<u8>) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// An integer in decimal, by hand: `core::fmt` would bring kilobytes of formatting code
/// into the browser package for it.
fn push_int(value: impl Into<i64>, out: &mut Vec<u8>) {
    let value: i64 = value.into();
    if value < 0 {
        out.push(b'-');
    }
    push_unsigned(value.unsigned_abs(), out);
}

fn push_unsigned(mut value: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    while start > 0 {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// A 64-bit integer as a decimal string, as OTLP/JSON requires.
fn push_quoted_int(value: i64, out: &mut Vec<u8>) {
    out.push(b'"');
    push_int(value, out);
    out.push(b'"');
}

/// A timestamp as a decimal string, as OTLP/JSON requires.
fn push_quoted_nanos(value: u64, out: &mut Vec<u8>) {
    out.push(b'"');
    push_unsigned(value, out);
    out.push(b'"');
}

/// A double attribute value. NaN and infinities become string values ("NaN", "Infinity",
/// "-Infinity"): proto3 JSON allows them as strings in `doubleValue`, but common decoders
/// (serde-based ones such as rotel's and opentelemetry-proto's) refuse such a request
/// whole, and one odd value must not cost the other spans. Protobuf keeps them as doubles.
fn push_double_value(value: f64, out: &mut Vec<u8>) {
    if value.is_nan() {
        out.extend_from_slice(b"{\"stringValue\":\"NaN\"");
    } else if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 {
            b"{\"stringValue\":\"Infinity\""
        } else {
            b"{\"stringValue\":\"-Infinity\""
        });
    } else {
        out.extend_from_slice(b"{\"doubleValue\":");
        // The shortest text that reads back to the same double, from the platform (the
        // browser's own number formatting keeps float printing out of the wasm package).
        crate::platform::write_double(value, out);
    }
}

fn push_hex_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    push_hex(bytes, out);
    out.push(b'"');
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as proto3 JSON encodes `bytes`.
fn push_base64(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (index, symbol) in symbols.iter().enumerate() {
            if index <= chunk.len() {
                out.push(BASE64_ALPHABET[*symbol as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out.push(b'"');
}

fn push_any_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(text) => {
            out.extend_from_slice(b"{\"stringValue\":");
            push_string(text, out);
        }
        Value::Bool(flag) => {
            out.extend_from_slice(if *flag {
                b"{\"boolValue\":true"
            } else {
                b"{\"boolValue\":false"
            });
        }
        Value::Int(int) => {
            out.extend_from_slice(b"{\"intValue\":");
            push_quoted_int(*int, out);
        }
        Value::Double(double) => {
            push_double_value(*double, out);
        }
        Value::Bytes(bytes) => {
            out.extend_from_slice(b"{\"bytesValue\":");
            push_base64(bytes, out);
        }
        Value::Array(values) => {
            out.extend_from_slice(b"{\"arrayValue\":{\"values\":");
            push_list(values, push_any_value, out);
            out.push(b'}');
        }
        Value::KvList(pairs) => {
            out.extend_from_slice(b"{\"kvlistValue\":{\"values\":");
            push_key_values(pairs, out);
            out.push(b'}');
        }
        Value::Empty => out.push(b'{'),
    }
    out.push(b'}');
}

pub(crate) fn push_key_values(pairs: &[KeyValue], out: &mut Vec<u8>) {
    out.push(b'[');
    for (index, pair) in pairs.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"key\":");
        push_string(&pair.key, out);
        out.extend_from_slice(b",\"value\":");
        push_any_value(&pair.value, out);
        out.push(b'}');
    }
    out.push(b']');
}

/// `"attributes":[…]` and `"droppedAttributesCount":n`, each only when non-empty.
fn push_attributes(pairs: &[KeyValue], dropped: u32, first: &mut bool, out: &mut Vec<u8>) {
    if !pairs.is_empty() {
        push_key("attributes", first, out);
        push_key_values(pairs, out);
    }
    push_count("droppedAttributesCount", dropped, first, out);
}

fn push_count(key: &str, count: u32, first: &mut bool, out: &mut Vec<u8>) {
    if count > 0 {
        push_key(key, first, out);
        push_int(count, out);
    }
}

pub(crate) fn push_scope(scope: &Scope, out: &mut Vec<u8>) {
    let mut first = true;
    out.push(b'{');
    push_key("name", &mut first, out);
    push_string(scope.name(), out);
    if let Some(version) = scope.version() {
        push_key("version", &mut first, out);
        push_string(version, out);
    }
    push_attributes(scope.attributes(), 0, &mut first, out);
    out.push(b'}');
}

fn push_event(event: &Event, out: &mut Vec<u8>) {
    let mut first = true;
    out.push(b'{');
    push_key("timeUnixNano", &mut first, out);
    push_quoted_nanos(event.time_unix_nano, out);
    push_key("name", &mut first, out);
    push_string(&event.name, out);
    push_attributes(
        event.attributes.as_slice(),
        event.attributes.dropped_count(),
        &mut first,
        out,
    );
    out.push(b'}');
}

fn push_link(link: &Link, out: &mut Vec<u8>) {
    let context = &link.context;
    let mut first = true;
    out.push(b'{');
    push_key("traceId", &mut first, out);
    push_hex_string(context.trace_id.as_bytes(), out);
    push_key("spanId", &mut first, out);
    push_hex_string(context.span_id.as_bytes(), out);
    if let Some(trace_state) = &context.trace_state {
        push_key("traceState", &mut first, out);
        push_string(trace_state, out);
    }
    push_attributes(
        link.attributes.as_slice(),
        link.attributes.dropped_count(),
        &mut first,
        out,
    );
    push_key("flags", &mut first, out);
    push_int(
        otlp_flags(context.trace_flags, Some(context.is_remote)),
        out,
    );
    out.push(b'}');
}

fn push_status(status: &SpanStatus, first: &mut bool, out: &mut Vec<u8>) {
    if *status == SpanStatus::Unset {
        return;
    }
    push_key("status", first, out);
    out.extend_from_slice(b"{\"code\":");
    push_int(status.otlp_code(), out);
    if let SpanStatus::Error { message } = status {
        if !message.is_empty() {
            out.extend_from_slice(b",\"message\":");
            push_string(message, out);
        }
    }
    out.push(b'}');
}

/// One `Span` object.
pub(crate) fn write_span(span: &Span, out: &mut Vec<u8>) {
    let mut first = true;
    out.push(b'{');
    push_key("traceId", &mut first, out);
    push_hex_string(span.trace_id.as_bytes(), out);
    push_key("spanId", &mut first, out);
    push_hex_string(span.span_id.as_bytes(), out);
    if let Some(trace_state) = span.trace_state() {
        push_key("traceState", &mut first, out);
        push_string(trace_state, out);
    }
    if let Some(parent) = &span.parent_span_id {
        push_key("parentSpanId", &mut first, out);
        push_hex_string(parent.as_bytes(), out);
    }
    push_key("flags", &mut first, out);
    push_int(span.otlp_flags(), out);
    push_key("name", &mut first, out);
    push_string(&span.name, out);
    push_key("kind", &mut first, out);
    push_int(span.kind.otlp_code(), out);
    push_key("startTimeUnixNano", &mut first, out);
    push_quoted_nanos(span.start_time_unix_nano, out);
    push_key("endTimeUnixNano", &mut first, out);
    push_quoted_nanos(span.end_time_unix_nano, out);
    push_attributes(
        span.attributes.as_slice(),
        span.attributes.dropped_count(),
        &mut first,
        out,
    );
    if !span.events().is_empty() {
        push_key("events", &mut first, out);
        push_list(span.events(), push_event, out);
    }
    push_count(
        "droppedEventsCount",
        span.dropped_events_count(),
        &mut first,
        out,
    );
    if !span.links().is_empty() {
        push_key("links", &mut first, out);
        push_list(span.links(), push_link, out);
    }
    push_count(
        "droppedLinksCount",
        span.dropped_links_count(),
        &mut first,
        out,
    );
    push_status(span.status(), &mut first, out);
    out.push(b'}');
}

/// `[item, …]`, each written by `push_item`.
pub(crate) fn push_list<T>(items: &[T], push_item: fn(&T, &mut Vec<u8>), out: &mut Vec<u8>) {
    out.push(b'[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        push_item(item, out);
    }
    out.push(b']');
}

/// Appends an `ExportTraceServiceRequest` as OTLP/JSON.
pub(crate) fn write_request<T: BatchSpan>(
    resource: &T::Resource,
    groups: &[ScopeGroup<'_, T>],
    out: &mut Vec<u8>,
) {
    let protocol = Protocol::HttpJson;
    out.extend_from_slice(b"{\"resourceSpans\":[{\"resource\":{\"attributes\":");
    T::write_resource(resource, protocol, out);
    out.extend_from_slice(b"},\"scopeSpans\":[");
    for (index, group) in groups.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"scope\":");
        T::write_scope(group.scope, protocol, out);
        out.extend_from_slice(b",\"spans\":[");
        for (span_index, span) in group.spans.iter().enumerate() {
            if span_index > 0 {
                out.push(b',');
            }
            span.write_span(protocol, out);
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}]}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(
            text(|out| push_string("a\"b\\c\nd\u{1}é", out)),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
    }

    #[test]
    fn base64_pads_like_the_standard() {
        assert_eq!(text(|out| push_base64(b"", out)), "\"\"");
        assert_eq!(text(|out| push_base64(b"f", out)), "\"Zg==\"");
        assert_eq!(text(|out| push_base64(b"fo", out)), "\"Zm8=\"");
        assert_eq!(text(|out| push_base64(b"foo", out)), "\"Zm9v\"");
        assert_eq!(text(|out| push_base64(b"foobar", out)), "\"Zm9vYmFy\"");
    }

    #[test]
    fn doubles_and_special_values() {
        let value = |double| text(|out| push_double_value(double, out));
        assert_eq!(value(1.5), "{\"doubleValue\":1.5");
        assert_eq!(value(1e300), "{\"doubleValue\":1e300");
        assert_eq!(value(f64::NAN), "{\"stringValue\":\"NaN\"");
        assert_eq!(value(f64::NEG_INFINITY), "{\"stringValue\":\"-Infinity\"");
    }
}
