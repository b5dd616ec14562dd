//! OTLP/protobuf: `ExportTraceServiceRequest` written straight from our span model.
//!
//! Fields are written straight from our span model instead of first converting spans into
//! generated message structs, so encoding allocates nothing per span. Each message has a
//! `*_len` function (its encoded size) and a `write_*` function (its fields); proto3
//! defaults are omitted, as prost does. Sizes use prost's wire arithmetic; the writes use
//! the small varint and key writers below, which the profile showed to matter (prost's
//! generic `BufMut` writer checks capacity per byte).

use prost::encoding::{encoded_len_varint, key_len, WireType};

/// Appends `value` as a protobuf varint.
#[inline]
fn encode_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a field key (tag and wire type).
#[inline]
fn encode_key(tag: u32, wire_type: WireType, out: &mut Vec<u8>) {
    encode_varint(u64::from(tag << 3 | wire_type as u32), out);
}

use super::ScopeGroup;
use crate::model::{otlp_flags, Event, KeyValue, Link, Resource, Scope, Span, Value};

/// Size of a length-delimited field whose payload is `len` bytes.
fn field_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

fn put_header(tag: u32, len: usize, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(len as u64, out);
}

/// A bytes or string field, omitted when empty.
fn optional_bytes_len(tag: u32, bytes: &[u8]) -> usize {
    if bytes.is_empty() {
        0
    } else {
        field_len(tag, bytes.len())
    }
}

fn put_optional_bytes(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
    if !bytes.is_empty() {
        put_header(tag, bytes.len(), out);
        out.extend_from_slice(bytes);
    }
}

fn optional_varint_len(tag: u32, value: u64) -> usize {
    if value == 0 {
        0
    } else {
        key_len(tag) + encoded_len_varint(value)
    }
}

fn put_optional_varint(tag: u32, value: u64, out: &mut Vec<u8>) {
    if value != 0 {
        encode_key(tag, WireType::Varint, out);
        encode_varint(value, out);
    }
}

fn optional_fixed64_len(tag: u32, value: u64) -> usize {
    if value == 0 {
        0
    } else {
        key_len(tag) + 8
    }
}

fn put_optional_fixed64(tag: u32, value: u64, out: &mut Vec<u8>) {
    if value != 0 {
        encode_key(tag, WireType::SixtyFourBit, out);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

fn optional_fixed32_len(tag: u32, value: u32) -> usize {
    if value == 0 {
        0
    } else {
        key_len(tag) + 4
    }
}

fn put_optional_fixed32(tag: u32, value: u32, out: &mut Vec<u8>) {
    if value != 0 {
        encode_key(tag, WireType::ThirtyTwoBit, out);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// `AnyValue`: a oneof, so the chosen field is written even when it holds a default.
fn any_value_len(value: &Value) -> usize {
    match value {
        Value::String(text) => field_len(1, text.len()),
        Value::Bool(_) => key_len(2) + 1,
        Value::Int(int) => key_len(3) + encoded_len_varint(*int as u64),
        Value::Double(_) => key_len(4) + 8,
        Value::Array(values) => field_len(5, array_value_len(values)),
        Value::KvList(pairs) => field_len(6, key_values_len(1, pairs)),
        Value::Bytes(bytes) => field_len(7, bytes.len()),
    }
}

fn write_any_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(text) => {
            put_header(1, text.len(), out);
            out.extend_from_slice(text.as_bytes());
        }
        Value::Bool(flag) => {
            encode_key(2, WireType::Varint, out);
            out.push(u8::from(*flag));
        }
        Value::Int(int) => {
            encode_key(3, WireType::Varint, out);
            encode_varint(*int as u64, out);
        }
        Value::Double(double) => {
            encode_key(4, WireType::SixtyFourBit, out);
            out.extend_from_slice(&double.to_le_bytes());
        }
        Value::Array(values) => {
            put_header(5, array_value_len(values), out);
            for item in values {
                put_header(1, any_value_len(item), out);
                write_any_value(item, out);
            }
        }
        Value::KvList(pairs) => {
            put_header(6, key_values_len(1, pairs), out);
            write_key_values(1, pairs, out);
        }
        Value::Bytes(bytes) => {
            put_header(7, bytes.len(), out);
            out.extend_from_slice(bytes);
        }
    }
}

/// `ArrayValue { repeated AnyValue values = 1 }`.
fn array_value_len(values: &[Value]) -> usize {
    values
        .iter()
        .map(|item| field_len(1, any_value_len(item)))
        .sum()
}

/// `KeyValue { key = 1; value = 2 }`.
fn key_value_len(pair: &KeyValue) -> usize {
    optional_bytes_len(1, pair.key.as_bytes()) + field_len(2, any_value_len(&pair.value))
}

/// A repeated `KeyValue` field numbered `tag`.
fn key_values_len(tag: u32, pairs: &[KeyValue]) -> usize {
    pairs
        .iter()
        .map(|pair| field_len(tag, key_value_len(pair)))
        .sum()
}

fn write_key_values(tag: u32, pairs: &[KeyValue], out: &mut Vec<u8>) {
    for pair in pairs {
        put_header(tag, key_value_len(pair), out);
        put_optional_bytes(1, pair.key.as_bytes(), out);
        put_header(2, any_value_len(&pair.value), out);
        write_any_value(&pair.value, out);
    }
}

/// `Resource { attributes = 1; dropped_attributes_count = 2 }`.
fn resource_len(resource: &Resource) -> usize {
    key_values_len(1, resource.attributes())
}

/// `InstrumentationScope { name = 1; version = 2; attributes = 3; dropped = 4 }`.
fn scope_len(scope: &Scope) -> usize {
    optional_bytes_len(1, scope.name().as_bytes())
        + optional_bytes_len(2, scope.version().unwrap_or_default().as_bytes())
        + key_values_len(3, scope.attributes())
}

fn write_scope(scope: &Scope, out: &mut Vec<u8>) {
    put_optional_bytes(1, scope.name().as_bytes(), out);
    put_optional_bytes(2, scope.version().unwrap_or_default().as_bytes(), out);
    write_key_values(3, scope.attributes(), out);
}

/// `Span.Event { time = 1; name = 2; attributes = 3; dropped_attributes_count = 4 }`.
fn event_len(event: &Event) -> usize {
    optional_fixed64_len(1, event.time_unix_nano)
        + optional_bytes_len(2, event.name.as_bytes())
        + key_values_len(3, event.attributes.as_slice())
        + optional_varint_len(4, u64::from(event.attributes.dropped_count()))
}

fn write_event(event: &Event, out: &mut Vec<u8>) {
    put_optional_fixed64(1, event.time_unix_nano, out);
    put_optional_bytes(2, event.name.as_bytes(), out);
    write_key_values(3, event.attributes.as_slice(), out);
    put_optional_varint(4, u64::from(event.attributes.dropped_count()), out);
}

/// `Span.Link { trace_id = 1; span_id = 2; trace_state = 3; attributes = 4; dropped = 5; flags = 6 }`.
fn link_len(link: &Link) -> usize {
    let context = &link.context;
    field_len(1, 16)
        + field_len(2, 8)
        + optional_bytes_len(
            3,
            context
                .trace_state
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        )
        + key_values_len(4, link.attributes.as_slice())
        + optional_varint_len(5, u64::from(link.attributes.dropped_count()))
        + optional_fixed32_len(6, link_flags(link))
}

fn link_flags(link: &Link) -> u32 {
    otlp_flags(link.context.trace_flags, Some(link.context.is_remote))
}

fn write_link(link: &Link, out: &mut Vec<u8>) {
    let context = &link.context;
    put_optional_bytes(1, context.trace_id.as_bytes(), out);
    put_optional_bytes(2, context.span_id.as_bytes(), out);
    put_optional_bytes(
        3,
        context
            .trace_state
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
        out,
    );
    write_key_values(4, link.attributes.as_slice(), out);
    put_optional_varint(5, u64::from(link.attributes.dropped_count()), out);
    put_optional_fixed32(6, link_flags(link), out);
}

/// `Status { message = 2; code = 3 }`.
fn status_len(span: &Span) -> usize {
    let message = status_message(span);
    optional_bytes_len(2, message.as_bytes())
        + optional_varint_len(3, span.status.otlp_code() as u64)
}

fn status_message(span: &Span) -> &str {
    match &span.status {
        crate::model::SpanStatus::Error { message } => message,
        _ => "",
    }
}

/// The encoded size of one `Span` message (without its field header).
pub(crate) fn span_len(span: &Span) -> usize {
    let status = status_len(span);
    field_len(1, 16)
        + field_len(2, 8)
        + optional_bytes_len(
            3,
            span.trace_state.as_deref().unwrap_or_default().as_bytes(),
        )
        + span.parent_span_id.map_or(0, |_| field_len(4, 8))
        + optional_fixed32_len(16, span.otlp_flags())
        + optional_bytes_len(5, span.name.as_bytes())
        + optional_varint_len(6, span.kind.otlp_code() as u64)
        + optional_fixed64_len(7, span.start_time_unix_nano)
        + optional_fixed64_len(8, span.end_time_unix_nano)
        + key_values_len(9, span.attributes.as_slice())
        + optional_varint_len(10, u64::from(span.attributes.dropped_count()))
        + span
            .events
            .iter()
            .map(|event| field_len(11, event_len(event)))
            .sum::<usize>()
        + optional_varint_len(12, u64::from(span.dropped_events_count))
        + span
            .links
            .iter()
            .map(|link| field_len(13, link_len(link)))
            .sum::<usize>()
        + optional_varint_len(14, u64::from(span.dropped_links_count))
        + if status > 0 { field_len(15, status) } else { 0 }
}

fn write_span(span: &Span, out: &mut Vec<u8>) {
    put_optional_bytes(1, span.trace_id.as_bytes(), out);
    put_optional_bytes(2, span.span_id.as_bytes(), out);
    put_optional_bytes(
        3,
        span.trace_state.as_deref().unwrap_or_default().as_bytes(),
        out,
    );
    if let Some(parent) = &span.parent_span_id {
        put_optional_bytes(4, parent.as_bytes(), out);
    }
    put_optional_bytes(5, span.name.as_bytes(), out);
    put_optional_varint(6, span.kind.otlp_code() as u64, out);
    put_optional_fixed64(7, span.start_time_unix_nano, out);
    put_optional_fixed64(8, span.end_time_unix_nano, out);
    write_key_values(9, span.attributes.as_slice(), out);
    put_optional_varint(10, u64::from(span.attributes.dropped_count()), out);
    for event in &span.events {
        put_header(11, event_len(event), out);
        write_event(event, out);
    }
    put_optional_varint(12, u64::from(span.dropped_events_count), out);
    for link in &span.links {
        put_header(13, link_len(link), out);
        write_link(link, out);
    }
    put_optional_varint(14, u64::from(span.dropped_links_count), out);
    let status = status_len(span);
    if status > 0 {
        put_header(15, status, out);
        put_optional_bytes(2, status_message(span).as_bytes(), out);
        put_optional_varint(3, span.status.otlp_code() as u64, out);
    }
    put_optional_fixed32(16, span.otlp_flags(), out);
}

/// Appends an `ExportTraceServiceRequest` holding one `ResourceSpans` with a `ScopeSpans`
/// per scope group.
pub(crate) fn write_request(resource: &Resource, groups: &[ScopeGroup<'_>], out: &mut Vec<u8>) {
    // Span sizes are needed twice (for the ScopeSpans length and each span's header):
    // compute them once.
    let span_lens: Vec<Vec<usize>> = groups
        .iter()
        .map(|group| group.spans.iter().map(|span| span_len(span)).collect())
        .collect();
    let scope_spans_lens: Vec<usize> = groups
        .iter()
        .zip(&span_lens)
        .map(|(group, lens)| {
            field_len(1, scope_len(group.scope))
                + lens.iter().map(|len| field_len(2, *len)).sum::<usize>()
        })
        .collect();
    let resource_spans_len = field_len(1, resource_len(resource))
        + scope_spans_lens
            .iter()
            .map(|len| field_len(2, *len))
            .sum::<usize>();

    out.reserve(field_len(1, resource_spans_len));
    put_header(1, resource_spans_len, out);
    put_header(1, resource_len(resource), out);
    write_key_values(1, resource.attributes(), out);
    for ((group, lens), scope_spans_len) in groups.iter().zip(&span_lens).zip(&scope_spans_lens) {
        put_header(2, *scope_spans_len, out);
        put_header(1, scope_len(group.scope), out);
        write_scope(group.scope, out);
        for (span, len) in group.spans.iter().zip(lens) {
            put_header(2, *len, out);
            write_span(span, out);
        }
    }
}
