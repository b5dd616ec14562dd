//! Encodes a span record (layout in `span_record.rs`) straight into the fields of an
//! OTLP/protobuf `Span` message, applying the span limits as `read_span` does: the bytes
//! are those `protobuf::write_span` writes for the span `read_span` reads (the test below
//! holds them equal), without building that span. The npm package's main module collects
//! every span this way, so neither the span model nor its encoder is in it; the rules and
//! OTLP/JSON still read records into spans.

use prost::encoding::WireType;

use super::span_record::{read_header, unix_nanos, Reader, RecordError, RecordValue};
use crate::encoding::protobuf::{
    put_bytes, put_key, put_nested, put_optional_bytes, put_optional_fixed32, put_optional_fixed64,
    put_optional_varint, put_varint,
};
use crate::js_boundary::{STATUS_ERROR, STATUS_OK};
use crate::model::{
    otlp_flags, truncated, SpanLimits, DEFAULT_SCOPE, SAMPLED_FLAG, SERVICE_NAME, UNKNOWN_SERVICE,
};

/// Attributes with unique keys, in the order first set, as `Attributes::set` keeps them.
type Entries<'a> = Vec<(&'a str, RecordValue<'a>)>;

/// Appends the `Span` message fields of `record` to `out`, with `limits` applied; returns
/// whether the span is sampled (an unsampled one is only counted).
pub(crate) fn encode_record(
    record: &[u8],
    limits: SpanLimits,
    out: &mut Vec<u8>,
) -> Result<bool, RecordError> {
    let mut reader = Reader::new(record);
    let header = read_header(&mut reader)?;
    put_bytes(1, header.trace_id.as_bytes(), out);
    put_bytes(2, header.span_id.as_bytes(), out);
    put_optional_bytes(3, header.trace_state.as_bytes(), out);
    if let Some((parent_span_id, _)) = header.parent {
        put_bytes(4, parent_span_id.as_bytes(), out);
    }
    put_optional_bytes(5, reader.symbol_str()?.as_bytes(), out);
    put_optional_varint(6, header.kind.otlp_code() as u64, out);
    put_optional_fixed64(7, header.start, out);
    put_optional_fixed64(8, header.end.max(header.start), out);
    // OTLP's `StatusCode`, and the message of an error.
    let (status_code, status_message) = match header.status {
        STATUS_OK => (1, ""),
        STATUS_ERROR => (2, reader.str()?),
        _ => (0, ""),
    };

    let max_length = limits.max_attribute_value_length;
    let mut entries = Entries::new();
    let dropped = read_attributes(&mut reader, limits.max_attributes, &mut entries)?;
    let dropped = dropped.saturating_add(reader.u32()?);
    write_attributes(9, &entries, usize::MAX, max_length, out);
    put_optional_varint(10, u64::from(dropped), out);

    let mut dropped_events = 0u32;
    for index in 0..reader.u32()? {
        let name = reader.symbol_str()?;
        let time = unix_nanos(reader.f64()?);
        entries.clear();
        let dropped = read_attributes(&mut reader, u32::MAX, &mut entries)?;
        if index >= limits.max_events {
            dropped_events = dropped_events.saturating_add(1);
            continue;
        }
        put_nested(11, 1, out, |out| {
            put_optional_fixed64(1, time, out);
            put_optional_bytes(2, name.as_bytes(), out);
            let max_count = limits.max_attributes_per_event as usize;
            let excess = write_attributes(3, &entries, max_count, max_length, out);
            put_optional_varint(4, u64::from(dropped.saturating_add(excess)), out);
        });
    }
    put_optional_varint(12, u64::from(dropped_events), out);

    let mut dropped_links = 0u32;
    for index in 0..reader.u32()? {
        let trace_id = reader.id::<16>()?;
        let span_id = reader.id::<8>()?;
        let flags = reader.u8()?;
        let trace_state = reader.str()?;
        entries.clear();
        let dropped = read_attributes(&mut reader, u32::MAX, &mut entries)?;
        if index >= limits.max_links {
            dropped_links = dropped_links.saturating_add(1);
            continue;
        }
        put_nested(13, 1, out, |out| {
            put_bytes(1, &trace_id, out);
            put_bytes(2, &span_id, out);
            put_optional_bytes(3, trace_state.as_bytes(), out);
            let max_count = limits.max_attributes_per_link as usize;
            let excess = write_attributes(4, &entries, max_count, max_length, out);
            put_optional_varint(5, u64::from(dropped.saturating_add(excess)), out);
            put_optional_fixed32(6, otlp_flags(flags, Some(false)), out);
        });
    }
    put_optional_varint(14, u64::from(dropped_links), out);

    if status_code != 0 {
        put_nested(15, 1, out, |out| {
            put_optional_bytes(2, status_message.as_bytes(), out);
            put_optional_varint(3, status_code, out);
        });
    }
    let is_remote = header.parent.map(|(_, is_remote)| is_remote);
    put_optional_fixed32(16, otlp_flags(header.trace_flags, is_remote), out);
    Ok(header.trace_flags & SAMPLED_FLAG != 0)
}

/// The `Resource` message fields of the resource an attributes block (the JavaScript
/// API's `service.name` and `resourceAttributes`) sets, as `Resource::default()` with each
/// attribute set in turn would encode: `service.name` is `unknown_service` unless given.
pub(crate) fn encode_resource(block: &[u8]) -> Result<Vec<u8>, RecordError> {
    let mut entries = vec![(SERVICE_NAME, RecordValue::Text(UNKNOWN_SERVICE))];
    read_attributes(&mut Reader::new(block), u32::MAX, &mut entries)?;
    let mut out = Vec::new();
    write_attributes(1, &entries, usize::MAX, None, &mut out);
    Ok(out)
}

/// The `InstrumentationScope` message fields of the scope of spans that name none.
pub(crate) fn encode_default_scope() -> Vec<u8> {
    let mut out = Vec::new();
    put_optional_bytes(1, DEFAULT_SCOPE.0.as_bytes(), &mut out);
    put_optional_bytes(2, DEFAULT_SCOPE.1.as_bytes(), &mut out);
    out
}

/// Reads an attributes block into `entries`: a key set again replaces its value, a new key
/// beyond `max_count` is refused. Returns how many were refused.
fn read_attributes<'a>(
    reader: &mut Reader<'a>,
    max_count: u32,
    entries: &mut Entries<'a>,
) -> Result<u32, RecordError> {
    let mut refused = 0u32;
    for _ in 0..reader.u32()? {
        let key = reader.symbol_str()?;
        let value = reader.value(true)?;
        if let Some(entry) = entries.iter_mut().find(|(known, _)| *known == key) {
            entry.1 = value;
        } else if entries.len() < max_count as usize {
            entries.push((key, value));
        } else {
            refused = refused.saturating_add(1);
        }
    }
    Ok(refused)
}

/// Writes the first `max_count` of `entries` as `KeyValue` fields numbered `tag`; returns
/// how many were left out.
fn write_attributes(
    tag: u32,
    entries: &Entries<'_>,
    max_count: usize,
    max_length: Option<u32>,
    out: &mut Vec<u8>,
) -> u32 {
    for (key, value) in entries.iter().take(max_count) {
        put_nested(tag, 1, out, |out| {
            put_optional_bytes(1, key.as_bytes(), out);
            put_nested(2, 1, out, |out| write_value(*value, max_length, out));
        });
    }
    entries.len().saturating_sub(max_count) as u32
}

/// An `AnyValue`'s fields, texts cut to `max_length` characters.
fn write_value(value: RecordValue<'_>, max_length: Option<u32>, out: &mut Vec<u8>) {
    match value {
        RecordValue::Text(text) => {
            let text = max_length.map_or(text, |max| truncated(text, max as usize));
            put_bytes(1, text.as_bytes(), out);
        }
        RecordValue::Bool(flag) => {
            put_key(2, WireType::Varint, out);
            out.push(u8::from(flag));
        }
        RecordValue::Int(int) => {
            put_key(3, WireType::Varint, out);
            put_varint(int as u64, out);
        }
        RecordValue::Double(double) => {
            put_key(4, WireType::SixtyFourBit, out);
            out.extend_from_slice(&double.to_le_bytes());
        }
        RecordValue::Array { .. } => put_nested(5, 1, out, |out| {
            for item in value.items() {
                put_nested(1, 1, out, |out| write_value(item, max_length, out));
            }
        }),
    }
}

// proptest is a native dev-dependency: the test runs natively, where this is compiled too.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::super::span_record::{read_attributes as read_span_attributes, read_span};
    use super::super::symbols;
    use super::*;
    use crate::encoding::protobuf::write_span;
    use crate::encoding::{EncodedFields, Protocol};
    use crate::js_boundary::{
        NO_PARENT, STATUS_ERROR, TAG_ARRAY, TAG_BOOL, TAG_DOUBLE, TAG_INT, TAG_STRING,
    };
    use crate::model::{Resource, Scope};

    #[derive(Clone, Debug)]
    enum TestValue {
        Text(String),
        Bool(bool),
        Int(f64),
        Double(f64),
        Array(Vec<TestValue>),
    }

    type TestAttributes = (Vec<(String, TestValue)>, u32);

    #[derive(Clone, Debug)]
    struct TestSpan {
        header: [u8; 4],
        ids: Vec<u8>,
        trace_state: String,
        times: (f64, f64),
        name: String,
        message: String,
        attributes: TestAttributes,
        events: Vec<(String, f64, TestAttributes)>,
        links: Vec<([u8; 24], u8, String, TestAttributes)>,
    }

    /// A record as `npm/src/record-writer.js` writes it (the grammar in span_record.rs);
    /// texts in `interned` are written by their symbol number.
    struct Writer<'a> {
        bytes: Vec<u8>,
        interned: &'a [(String, u32)],
    }

    impl Writer<'_> {
        fn u32(&mut self, value: u32) {
            self.bytes.extend_from_slice(&value.to_le_bytes());
        }
        fn f64(&mut self, value: f64) {
            self.bytes.extend_from_slice(&value.to_le_bytes());
        }
        fn string(&mut self, text: &str) {
            self.u32(text.len() as u32);
            self.bytes.extend_from_slice(text.as_bytes());
        }
        fn symbol(&mut self, text: &str) {
            match self.interned.iter().find(|(known, _)| known == text) {
                Some((_, id)) => self.u32(id << 1 | 1),
                None => {
                    self.u32((text.len() as u32) << 1);
                    self.bytes.extend_from_slice(text.as_bytes());
                }
            }
        }
        fn value(&mut self, value: &TestValue) {
            match value {
                TestValue::Text(text) => {
                    self.bytes.push(TAG_STRING);
                    self.string(text);
                }
                TestValue::Bool(flag) => self.bytes.extend([TAG_BOOL, u8::from(*flag)]),
                TestValue::Int(int) => {
                    self.bytes.push(TAG_INT);
                    self.f64(*int);
                }
                TestValue::Double(double) => {
                    self.bytes.push(TAG_DOUBLE);
                    self.f64(*double);
                }
                TestValue::Array(items) => {
                    self.bytes.push(TAG_ARRAY);
                    self.u32(items.len() as u32);
                    items.iter().for_each(|item| self.value(item));
                }
            }
        }
        fn attributes(&mut self, (pairs, _): &TestAttributes) {
            self.u32(pairs.len() as u32);
            for (key, value) in pairs {
                self.symbol(key);
                self.value(value);
            }
        }
        fn span(&mut self, span: &TestSpan) {
            self.bytes.extend(span.header);
            self.bytes.extend(&span.ids);
            self.string(&span.trace_state);
            self.f64(span.times.0);
            self.f64(span.times.1);
            self.symbol(&span.name);
            if span.header[3] == STATUS_ERROR {
                self.string(&span.message);
            }
            self.attributes(&span.attributes);
            self.u32(span.attributes.1);
            self.u32(span.events.len() as u32);
            for (name, time, attributes) in &span.events {
                self.symbol(name);
                self.f64(*time);
                self.attributes(attributes);
            }
            self.u32(span.links.len() as u32);
            for (ids, flags, trace_state, attributes) in &span.links {
                self.bytes.extend(ids);
                self.bytes.push(*flags);
                self.string(trace_state);
                self.attributes(attributes);
            }
        }
    }

    /// Few distinct texts, so keys repeat (a key set again replaces its value) and names
    /// are interned or not; multi-byte ones, so limits cut between characters.
    fn text() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "",
            "a",
            "key",
            "http.url",
            "héllo wörld",
            "日本語テキスト",
            "a-long-value-text",
        ])
        .prop_map(str::to_owned)
    }

    fn value() -> impl Strategy<Value = TestValue> {
        let scalar = prop_oneof![
            text().prop_map(TestValue::Text),
            any::<bool>().prop_map(TestValue::Bool),
            (-1e15..1e15f64).prop_map(|int: f64| TestValue::Int(int.trunc())),
            any::<f64>().prop_map(TestValue::Double),
        ];
        prop_oneof![
            4 => scalar.clone(),
            1 => prop::collection::vec(scalar, 0..4).prop_map(TestValue::Array),
        ]
    }

    fn attributes() -> impl Strategy<Value = TestAttributes> {
        (prop::collection::vec((text(), value()), 0..8), 0..3u32)
    }

    fn nonzero_ids(len: usize) -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), len).prop_map(|mut ids| {
            ids[0] |= 1;
            ids[16] |= 1;
            if ids.len() > 24 {
                ids[24] |= 1;
            }
            ids
        })
    }

    fn span() -> impl Strategy<Value = TestSpan> {
        let header = (1..=5u8, any::<u8>(), 0..=2u8, 0..=2u8);
        let millis = 1.7e12..1.8e12f64;
        (
            header,
            nonzero_ids(32),
            text(),
            (millis.clone(), millis.clone()),
            (text(), text(), attributes()),
            prop::collection::vec((text(), millis, attributes()), 0..5),
            prop::collection::vec((nonzero_ids(24), any::<u8>(), text(), attributes()), 0..4),
        )
            .prop_map(
                |(
                    (kind, flags, parent, status),
                    mut ids,
                    trace_state,
                    times,
                    (name, message, attributes),
                    events,
                    links,
                )| {
                    ids.truncate(if parent == NO_PARENT { 24 } else { 32 });
                    TestSpan {
                        header: [kind, flags, parent, status],
                        ids,
                        trace_state,
                        times,
                        name,
                        message,
                        attributes,
                        events,
                        links: links
                            .into_iter()
                            .map(|(ids, flags, state, attributes)| {
                                (ids.try_into().unwrap(), flags, state, attributes)
                            })
                            .collect(),
                    }
                },
            )
    }

    fn limits() -> impl Strategy<Value = SpanLimits> {
        (
            0..6u32,
            0..4u32,
            0..3u32,
            0..4u32,
            0..4u32,
            prop::option::of(0..8u32),
        )
            .prop_map(|(attributes, events, links, per_event, per_link, length)| {
                SpanLimits {
                    max_attributes: attributes,
                    max_events: events,
                    max_links: links,
                    max_attributes_per_event: per_event,
                    max_attributes_per_link: per_link,
                    max_attribute_value_length: length,
                }
            })
    }

    fn interned() -> Vec<(String, u32)> {
        ["key", "http.url", "héllo wörld"]
            .into_iter()
            .filter_map(|text| Some((text.to_owned(), symbols::intern(text)?)))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// The resource encoded from an attributes block is the model's resource with the
        /// same attributes set, encoded.
        #[test]
        fn resources_encode_as_the_model_resource(attributes in attributes()) {
            let interned = interned();
            let mut writer = Writer { bytes: Vec::new(), interned: &interned };
            writer.attributes(&attributes);
            let mut resource = Resource::default();
            for (key, value) in read_span_attributes(&writer.bytes).unwrap() {
                resource.set_attribute(key, value);
            }
            let expected = EncodedFields::of_resource(&resource, Protocol::HttpProtobuf);
            let actual = EncodedFields::from_bytes(&encode_resource(&writer.bytes).unwrap());
            prop_assert_eq!(actual, expected);
        }

        /// The record encoded directly is the span read from it and encoded, byte for
        /// byte, whatever the limits, and both tell whether it is sampled; a record cut
        /// short is refused by both.
        #[test]
        fn records_encode_as_the_spans_read_from_them(
            span in span(),
            limits in prop_oneof![Just(SpanLimits::default()), limits()],
            cut in any::<prop::sample::Index>(),
        ) {
            let interned = interned();
            let mut writer = Writer { bytes: Vec::new(), interned: &interned };
            writer.span(&span);
            let record = writer.bytes;
            let read = read_span(&record, limits).unwrap();
            let mut actual = Vec::new();
            let sampled = encode_record(&record, limits, &mut actual).unwrap();
            prop_assert_eq!(sampled, read.is_recording());
            // (An unsampled span read into the model keeps nothing; it is not sent.)
            if sampled {
                let mut expected = Vec::new();
                write_span(&read, &mut expected);
                prop_assert_eq!(actual, expected);
            }

            let short = &record[..cut.index(record.len())];
            prop_assert!(read_span(short, limits).is_err());
            prop_assert!(encode_record(short, limits, &mut Vec::new()).is_err());
        }
    }

    #[test]
    fn the_default_scope_encodes_as_the_model_scope() {
        assert_eq!(
            EncodedFields::from_bytes(&encode_default_scope()),
            EncodedFields::of_scope(&Scope::default(), Protocol::HttpProtobuf)
        );
    }
}
