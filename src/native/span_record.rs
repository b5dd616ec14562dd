//! A span as bytes in its producing thread's buffer: how spans cross from the application's
//! threads to the export thread without taking their allocations along.
//!
//! A `Span` handed over as a value is freed on the export thread; with the allocator's
//! per-thread caches that turns every span into lock traffic between the two threads (a
//! third of the producer's time in profiles). Written as a record, the span is dropped
//! where it was built, its memory reused by the next one; the export thread reads the
//! record into a `Span` of its own. Texts that are `'static` travel as their address (no
//! copy either way); owned texts are copied. The scope, shared by many spans, travels as
//! its reference-counted handle.
//!
//! Only [`write_span`] writes records and only [`read_span`] reads them, in one process:
//! records are never read from outside, which is what makes reading addresses back sound.
//! Every record written must be read once (the scope handle is taken back then).
//!
//! ```text
//! trace id (16) · span id (8) · u8 flags · u8 parent (0 none, 1 local, 2 remote) · parent id (8, zero for none)
//! u8 kind · u8 status · u64 start · u64 end · text name · attributes · u8 extras? · [extras]
//! extras     = opt text trace state · u32 dropped events · u32 count · (text name · u64 time · attributes)…
//!              · u32 dropped links · u32 count · (trace id · span id · u8 flags · opt text state · u8 remote · attributes)…
//!              · u8 scope? · [usize handle] · u8 error status (0 none, 1 unset, 2 ok, 3 error · text) · u8 limits? · [limits]
//! attributes = u32 dropped · u32 count · (text key · value)…
//! value      = u8 tag · 0 text | 1 u8 bool | 2 i64 | 3 f64 | 4 u32 len · bytes | 5 u32 count · value… | 6 u32 count · (text · value)… | 7 empty
//! text       = u8 0 · usize address · usize length ('static) | u8 1 · u32 length · UTF-8 (copied)
//! ```
//! Numbers in the machine's byte order.

use std::borrow::Cow;

use crate::model::{
    Attributes, Event, KeyValue, Link, Scope, Span, SpanContext, SpanExtras, SpanId, SpanKind,
    SpanLimits, SpanStatus, StatusKind, TraceId, Value,
};

const NO_PARENT: u8 = 0;
const LOCAL_PARENT: u8 = 1;
const REMOTE_PARENT: u8 = 2;

const STATIC_TEXT: u8 = 0;
const ADDRESS_BYTES: usize = std::mem::size_of::<usize>();
const COPIED_TEXT: u8 = 1;

const TAG_TEXT: u8 = 0;
const TAG_BOOL: u8 = 1;
const TAG_INT: u8 = 2;
const TAG_DOUBLE: u8 = 3;
const TAG_BYTES: u8 = 4;
const TAG_ARRAY: u8 = 5;
const TAG_KV_LIST: u8 = 6;
const TAG_EMPTY: u8 = 7;

/// Appends `span` as one record to `out`.
pub(crate) fn write_span(span: Span, out: &mut Vec<u8>) {
    // Room for the usual record at once: the writes below then never grow the buffer.
    out.reserve(HEADER_BYTES + 48 * span.attributes.as_slice().len() + 32);
    let mut header = [0u8; HEADER_BYTES];
    header[..16].copy_from_slice(span.trace_id.as_bytes());
    header[16..24].copy_from_slice(span.span_id.as_bytes());
    header[24] = span.trace_flags;
    header[25] = match (span.parent_span_id, span.parent_is_remote) {
        (Some(_), Some(true)) => REMOTE_PARENT,
        (Some(_), _) => LOCAL_PARENT,
        (None, _) => NO_PARENT,
    };
    if let Some(parent) = span.parent_span_id {
        header[26..34].copy_from_slice(parent.as_bytes());
    }
    header[34] = span.kind.otlp_code() as u8;
    header[35] = status_code(span.status);
    header[36..44].copy_from_slice(&span.start_time_unix_nano.to_ne_bytes());
    header[44..52].copy_from_slice(&span.end_time_unix_nano.to_ne_bytes());
    out.extend_from_slice(&header);
    write_text(out, span.name);
    write_attributes(out, span.attributes);
    match span.extras {
        None => out.push(0),
        Some(extras) => {
            out.push(1);
            write_extras(out, *extras);
        }
    }
}

/// Ids, flags, parent (its id zero when there is none), kind, status and times: one
/// fixed-size block, written at once.
const HEADER_BYTES: usize = 52;

fn write_extras(out: &mut Vec<u8>, extras: SpanExtras) {
    write_optional_text(out, extras.trace_state);
    out.extend_from_slice(&extras.dropped_events_count.to_ne_bytes());
    write_count(out, extras.events.len());
    for event in extras.events {
        write_text(out, event.name);
        out.extend_from_slice(&event.time_unix_nano.to_ne_bytes());
        write_attributes(out, event.attributes);
    }
    out.extend_from_slice(&extras.dropped_links_count.to_ne_bytes());
    write_count(out, extras.links.len());
    for link in extras.links {
        out.extend_from_slice(link.context.trace_id.as_bytes());
        out.extend_from_slice(link.context.span_id.as_bytes());
        out.push(link.context.trace_flags);
        write_optional_text(out, link.context.trace_state);
        out.push(link.context.is_remote as u8);
        write_attributes(out, link.attributes);
    }
    match extras.scope {
        None => out.push(0),
        Some(scope) => {
            out.push(1);
            out.extend_from_slice(&(scope.into_raw() as usize).to_ne_bytes());
        }
    }
    match extras.error_status {
        None => out.push(0),
        Some(SpanStatus::Unset) => out.push(1),
        Some(SpanStatus::Ok) => out.push(2),
        Some(SpanStatus::Error { message }) => {
            out.push(3);
            write_text(out, message);
        }
    }
    match extras.limits {
        None => out.push(0),
        Some(limits) => {
            out.push(1);
            for count in [
                limits.max_attributes,
                limits.max_events,
                limits.max_links,
                limits.max_attributes_per_event,
                limits.max_attributes_per_link,
            ] {
                out.extend_from_slice(&count.to_ne_bytes());
            }
            match limits.max_attribute_value_length {
                None => out.push(0),
                Some(length) => {
                    out.push(1);
                    out.extend_from_slice(&length.to_ne_bytes());
                }
            }
        }
    }
}

fn status_code(status: StatusKind) -> u8 {
    match status {
        StatusKind::Unset => 0,
        StatusKind::Ok => 1,
        StatusKind::Error => 2,
    }
}

fn write_count(out: &mut Vec<u8>, count: usize) {
    // Counts are bounded by the span limits (u32) and by memory long before u32::MAX.
    out.extend_from_slice(&(count as u32).to_ne_bytes());
}

#[inline]
fn write_text(out: &mut Vec<u8>, text: Cow<'static, str>) {
    match text {
        Cow::Borrowed(text) => {
            let mut block = [STATIC_TEXT; 1 + 2 * ADDRESS_BYTES];
            block[1..1 + ADDRESS_BYTES].copy_from_slice(&(text.as_ptr() as usize).to_ne_bytes());
            block[1 + ADDRESS_BYTES..].copy_from_slice(&text.len().to_ne_bytes());
            out.extend_from_slice(&block);
        }
        Cow::Owned(text) => {
            out.push(COPIED_TEXT);
            write_count(out, text.len());
            out.extend_from_slice(text.as_bytes());
        }
    }
}

fn write_optional_text(out: &mut Vec<u8>, text: Option<Cow<'static, str>>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            write_text(out, text);
        }
    }
}

fn write_attributes(out: &mut Vec<u8>, attributes: Attributes) {
    out.extend_from_slice(&attributes.dropped_count().to_ne_bytes());
    write_key_values(out, attributes.into_entries());
}

fn write_key_values(out: &mut Vec<u8>, pairs: Vec<KeyValue>) {
    write_count(out, pairs.len());
    for pair in pairs {
        write_text(out, pair.key);
        write_value(out, pair.value);
    }
}

/// Values nest at most `MAX_VALUE_NESTING` deep (deeper ones are refused when set), so the
/// recursion here and in `read_value` is bounded.
fn write_value(out: &mut Vec<u8>, value: Value) {
    match value {
        Value::String(text) => {
            out.push(TAG_TEXT);
            write_text(out, text);
        }
        Value::Bool(value) => out.extend_from_slice(&[TAG_BOOL, value as u8]),
        Value::Int(value) => {
            out.push(TAG_INT);
            out.extend_from_slice(&value.to_ne_bytes());
        }
        Value::Double(value) => {
            out.push(TAG_DOUBLE);
            out.extend_from_slice(&value.to_ne_bytes());
        }
        Value::Bytes(bytes) => {
            out.push(TAG_BYTES);
            write_count(out, bytes.len());
            out.extend_from_slice(&bytes);
        }
        Value::Array(values) => {
            out.push(TAG_ARRAY);
            write_count(out, values.len());
            for value in values {
                write_value(out, value);
            }
        }
        Value::KvList(pairs) => {
            out.push(TAG_KV_LIST);
            write_key_values(out, pairs);
        }
        Value::Empty => out.push(TAG_EMPTY),
    }
}

/// Emptied attribute lists of spans already exported: the lists of the spans read next
/// are taken from here, so reading allocates none in the steady state.
pub(crate) type SpareLists = Vec<Vec<KeyValue>>;

/// Reads the record at `*at` in `records` (a buffer only [`write_span`] wrote) and moves
/// `*at` past it, taking its lists from `spare` while there are some.
pub(crate) fn read_span(records: &[u8], at: &mut usize, spare: &mut SpareLists) -> Span {
    let mut reader = Reader {
        records,
        at: *at,
        spare,
    };
    let span = reader.span();
    *at = reader.at;
    span
}

/// Reads records. The buffers hold only what `write_span` wrote, so a read past the end
/// or an unknown tag is a bug in this file, not something input can cause.
struct Reader<'a> {
    records: &'a [u8],
    at: usize,
    spare: &'a mut SpareLists,
}

impl Reader<'_> {
    fn span(&mut self) -> Span {
        let trace_id = TraceId::from_raw(self.array());
        let span_id = SpanId::from_raw(self.array());
        let trace_flags = self.u8();
        let parent = self.u8();
        let parent_id: [u8; 8] = self.array();
        let (parent_span_id, parent_is_remote) = match parent {
            NO_PARENT => (None, None),
            parent => (
                Some(SpanId::from_raw(parent_id)),
                Some(parent == REMOTE_PARENT),
            ),
        };
        let kind = match self.u8() {
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => SpanKind::Internal,
        };
        let status = match self.u8() {
            1 => StatusKind::Ok,
            2 => StatusKind::Error,
            _ => StatusKind::Unset,
        };
        let start_time_unix_nano = self.u64();
        let end_time_unix_nano = self.u64();
        let name = self.text();
        let attributes = self.attributes();
        let extras = (self.u8() == 1).then(|| Box::new(self.extras()));
        Span {
            trace_id,
            span_id,
            parent_span_id,
            parent_is_remote,
            trace_flags,
            name,
            kind,
            start_time_unix_nano,
            end_time_unix_nano,
            attributes,
            status,
            extras,
        }
    }

    fn extras(&mut self) -> SpanExtras {
        let trace_state = self.optional_text();
        let dropped_events_count = self.u32();
        let events = (0..self.u32())
            .map(|_| Event {
                name: self.text(),
                time_unix_nano: self.u64(),
                attributes: self.attributes(),
            })
            .collect();
        let dropped_links_count = self.u32();
        let links = (0..self.u32())
            .map(|_| Link {
                context: SpanContext {
                    trace_id: TraceId::from_raw(self.array()),
                    span_id: SpanId::from_raw(self.array()),
                    trace_flags: self.u8(),
                    trace_state: self.optional_text(),
                    is_remote: self.u8() == 1,
                },
                attributes: self.attributes(),
            })
            .collect();
        let scope = (self.u8() == 1).then(|| {
            let raw = usize::from_ne_bytes(self.array()) as *const ();
            // SAFETY: `write_extras` gave up this handle with `Scope::into_raw`, and each
            // record is read once.
            unsafe { Scope::from_raw(raw) }
        });
        let error_status = match self.u8() {
            0 => None,
            1 => Some(SpanStatus::Unset),
            2 => Some(SpanStatus::Ok),
            _ => Some(SpanStatus::Error {
                message: self.text(),
            }),
        };
        let limits = (self.u8() == 1).then(|| SpanLimits {
            max_attributes: self.u32(),
            max_events: self.u32(),
            max_links: self.u32(),
            max_attributes_per_event: self.u32(),
            max_attributes_per_link: self.u32(),
            max_attribute_value_length: (self.u8() == 1).then(|| self.u32()),
        });
        SpanExtras {
            trace_state,
            events,
            dropped_events_count,
            links,
            dropped_links_count,
            scope,
            error_status,
            limits,
        }
    }

    fn attributes(&mut self) -> Attributes {
        let dropped = self.u32();
        let entries = self.key_values();
        Attributes::from_parts(entries, dropped)
    }

    /// A u32 count, then that many (text key, value) pairs.
    fn key_values(&mut self) -> Vec<KeyValue> {
        let count = self.u32() as usize;
        let mut pairs = self.spare.pop().unwrap_or_default();
        pairs.reserve(count);
        for _ in 0..count {
            let key = self.text();
            let value = self.value();
            pairs.push(KeyValue { key, value });
        }
        pairs
    }

    fn value(&mut self) -> Value {
        match self.u8() {
            TAG_TEXT => Value::String(self.text()),
            TAG_BOOL => Value::Bool(self.u8() == 1),
            TAG_INT => Value::Int(i64::from_ne_bytes(self.array())),
            TAG_DOUBLE => Value::Double(f64::from_ne_bytes(self.array())),
            TAG_BYTES => {
                let length = self.u32() as usize;
                Value::Bytes(self.bytes(length).to_vec())
            }
            TAG_ARRAY => Value::Array((0..self.u32()).map(|_| self.value()).collect()),
            TAG_KV_LIST => Value::KvList(self.key_values()),
            _ => Value::Empty,
        }
    }

    fn text(&mut self) -> Cow<'static, str> {
        if self.u8() == STATIC_TEXT {
            let address = usize::from_ne_bytes(self.array());
            let length = usize::from_ne_bytes(self.array());
            // SAFETY: `write_text` wrote the address and length of a `&'static str`: the
            // bytes live for the whole program and are UTF-8.
            let text: &'static str = unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                    address as *const u8,
                    length,
                ))
            };
            Cow::Borrowed(text)
        } else {
            let length = self.u32() as usize;
            let bytes = self.bytes(length);
            // Written from a `String`: always UTF-8; the check costs little beside the copy.
            Cow::Owned(String::from_utf8_lossy(bytes).into_owned())
        }
    }

    fn optional_text(&mut self) -> Option<Cow<'static, str>> {
        (self.u8() == 1).then(|| self.text())
    }

    fn bytes(&mut self, length: usize) -> &[u8] {
        let bytes = &self.records[self.at..self.at + length];
        self.at += length;
        bytes
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut array = [0; N];
        array.copy_from_slice(self.bytes(N));
        array
    }

    fn u8(&mut self) -> u8 {
        let byte = self.records[self.at];
        self.at += 1;
        byte
    }

    fn u32(&mut self) -> u32 {
        u32::from_ne_bytes(self.array())
    }

    fn u64(&mut self) -> u64 {
        u64::from_ne_bytes(self.array())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Texts both ways a span may hold them: literals (written by address) and owned
    /// strings (copied), including multi-byte characters.
    fn text() -> impl Strategy<Value = Cow<'static, str>> {
        prop_oneof![
            prop::sample::select(vec!["op", "http.method", "", "é ü 漢字"]).prop_map(Cow::Borrowed),
            "\\PC{0,12}".prop_map(Cow::Owned),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let scalar = prop_oneof![
            text().prop_map(Value::String),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            // NaN is kept as it is, but is not equal to itself: the check below would fail.
            (-1e300f64..1e300).prop_map(Value::Double),
            prop::collection::vec(any::<u8>(), 0..6).prop_map(Value::Bytes),
            Just(Value::Empty),
        ];
        scalar.prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((text(), inner), 0..4).prop_map(|pairs| {
                    Value::KvList(
                        pairs
                            .into_iter()
                            .map(|(key, value)| KeyValue { key, value })
                            .collect(),
                    )
                }),
            ]
        })
    }

    fn attributes() -> impl Strategy<Value = Vec<(Cow<'static, str>, Value)>> {
        prop::collection::vec((text(), value()), 0..5)
    }

    fn context() -> impl Strategy<Value = SpanContext> {
        (
            any::<[u8; 16]>(),
            any::<[u8; 8]>(),
            any::<u8>(),
            prop::option::of(text()),
            any::<bool>(),
        )
            .prop_map(|(trace, span, flags, trace_state, is_remote)| SpanContext {
                trace_id: TraceId::from_raw(trace),
                span_id: SpanId::from_raw(span),
                trace_flags: flags | crate::model::SAMPLED_FLAG,
                trace_state,
                is_remote,
            })
    }

    prop_compose! {
        fn span()(
            name in text(),
            parent in prop::option::of(context()),
            kind in prop::sample::select(vec![SpanKind::Internal, SpanKind::Server, SpanKind::Client, SpanKind::Producer, SpanKind::Consumer]),
            attributes in attributes(),
            events in prop::collection::vec((text(), any::<u64>(), attributes()), 0..3),
            links in prop::collection::vec((context(), attributes()), 0..3),
            status in 0..4u8,
            message in text(),
            scope in prop::option::of((text(), prop::option::of(text()))),
            limits in prop::option::of((1..200u32, prop::option::of(1..50u32))),
            times in (any::<u64>(), any::<u64>()),
        ) -> Span {
            let mut span = match &parent {
                Some(parent) => Span::child_of(parent, name),
                None => Span::new(name),
            }
            .with_kind(kind)
            .with_start_time(times.0);
            if let Some((max, length)) = limits {
                span = span.with_limits(SpanLimits {
                    max_attributes: max,
                    max_attribute_value_length: length,
                    ..SpanLimits::default()
                });
            }
            for (key, value) in attributes {
                span.set_attribute(key, value);
            }
            for (name, time, attributes) in events {
                let mut event = Event::new(name).with_time(time);
                for (key, value) in attributes {
                    event = event.with_attribute(key, value);
                }
                span.add_event(event);
            }
            for (context, attributes) in links {
                let mut link = Link::new(context);
                for (key, value) in attributes {
                    link = link.with_attribute(key, value);
                }
                span.add_link(link);
            }
            if let Some((name, version)) = scope {
                let mut scope = Scope::new(name).with_attribute("scope.kind", "test");
                if let Some(version) = version {
                    scope = scope.with_version(version);
                }
                span = span.with_scope(scope);
            }
            match status {
                1 => span.set_status(SpanStatus::Ok),
                2 => span.set_status(SpanStatus::error(message)),
                _ => {}
            }
            span.end_at(times.1)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Every field of every span comes back as it was written, record after record.
        #[test]
        fn spans_come_back_as_written(spans in prop::collection::vec(span(), 1..5)) {
            let mut records = Vec::new();
            for span in &spans {
                write_span(span.clone(), &mut records);
            }
            let mut at = 0;
            // Spare lists of other spans' sizes: reading must fill them as if new.
            let mut spare = vec![Vec::new(), Vec::with_capacity(1), Vec::with_capacity(9)];
            for span in &spans {
                prop_assert_eq!(&read_span(&records, &mut at, &mut spare), span);
            }
            prop_assert_eq!(at, records.len());
        }
    }

    #[test]
    fn a_scope_is_released_when_its_record_is_read() {
        let scope = Scope::new("lib").with_version("1");
        let mut records = Vec::new();
        for _ in 0..3 {
            write_span(Span::new("s").with_scope(scope.clone()).end(), &mut records);
        }
        assert_eq!(scope.handles(), 4);
        let mut at = 0;
        let spans: Vec<Span> = (0..3)
            .map(|_| read_span(&records, &mut at, &mut Vec::new()))
            .collect();
        assert!(spans.iter().all(|span| span.scope() == Some(&scope)));
        drop(spans);
        assert_eq!(scope.handles(), 1);
    }
}
