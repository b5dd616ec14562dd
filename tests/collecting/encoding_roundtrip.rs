//! Our protobuf and JSON encodings, decoded by the official opentelemetry-proto types and
//! compared field by field with what the spans hold.
use otlp_collector::encoding::{encode, Protocol};
use otlp_collector::{
    Event, KeyValue, Link, Resource, Scope, Span, SpanContext, SpanKind, SpanStatus, Value,
};
use otlp_test_receiver::{common, decode, trace, ExportTraceServiceRequest};

fn proto_value(value: &Value) -> common::AnyValue {
    use common::any_value::Value as V;
    let value = match value {
        Value::Empty => return common::AnyValue { value: None },
        Value::String(text) => V::StringValue(text.to_string()),
        Value::Bool(flag) => V::BoolValue(*flag),
        Value::Int(int) => V::IntValue(*int),
        Value::Double(double) => V::DoubleValue(*double),
        Value::Bytes(bytes) => V::BytesValue(bytes.clone()),
        Value::Array(values) => V::ArrayValue(common::ArrayValue {
            values: values.iter().map(proto_value).collect(),
        }),
        Value::KvList(pairs) => V::KvlistValue(common::KeyValueList {
            values: proto_attributes(pairs),
        }),
    };
    common::AnyValue { value: Some(value) }
}

fn proto_attributes(pairs: &[KeyValue]) -> Vec<common::KeyValue> {
    pairs
        .iter()
        .map(|pair| common::KeyValue {
            key: pair.key.to_string(),
            value: Some(proto_value(&pair.value)),
        })
        .collect()
}

fn flags(trace_flags: u8, is_remote: Option<bool>) -> u32 {
    u32::from(trace_flags)
        + match is_remote {
            None => 0,
            Some(false) => 0x100,
            Some(true) => 0x300,
        }
}

/// The OTLP span we expect for `span`, built from its public accessors.
fn expected_span(span: &Span) -> trace::Span {
    trace::Span {
        trace_id: span.trace_id().to_bytes().to_vec(),
        span_id: span.span_id().to_bytes().to_vec(),
        trace_state: span.trace_state().unwrap_or_default().to_owned(),
        parent_span_id: span
            .parent_span_id()
            .map(|id| id.to_bytes().to_vec())
            .unwrap_or_default(),
        flags: flags(span.trace_flags(), span.parent_is_remote()),
        name: span.name().to_owned(),
        kind: match span.kind() {
            SpanKind::Internal => 1,
            SpanKind::Server => 2,
            SpanKind::Client => 3,
            SpanKind::Producer => 4,
            SpanKind::Consumer => 5,
        },
        start_time_unix_nano: span.start_time_unix_nano(),
        end_time_unix_nano: span.end_time_unix_nano(),
        attributes: proto_attributes(span.attributes().as_slice()),
        dropped_attributes_count: span.attributes().dropped_count(),
        events: span
            .events()
            .iter()
            .map(|event| trace::span::Event {
                time_unix_nano: event.time_unix_nano(),
                name: event.name().to_owned(),
                attributes: proto_attributes(event.attributes().as_slice()),
                dropped_attributes_count: event.attributes().dropped_count(),
            })
            .collect(),
        dropped_events_count: span.dropped_events_count(),
        links: span
            .links()
            .iter()
            .map(|link| trace::span::Link {
                trace_id: link.context().trace_id.to_bytes().to_vec(),
                span_id: link.context().span_id.to_bytes().to_vec(),
                trace_state: link
                    .context()
                    .trace_state
                    .as_deref()
                    .unwrap_or_default()
                    .to_owned(),
                attributes: proto_attributes(link.attributes().as_slice()),
                dropped_attributes_count: link.attributes().dropped_count(),
                flags: flags(link.context().trace_flags, Some(link.context().is_remote)),
            })
            .collect(),
        dropped_links_count: span.dropped_links_count(),
        status: match span.status() {
            SpanStatus::Unset => None,
            SpanStatus::Ok => Some(trace::Status {
                message: String::new(),
                code: 1,
            }),
            SpanStatus::Error { message } => Some(trace::Status {
                message: message.to_string(),
                code: 2,
            }),
        },
    }
}

/// Spans covering every value kind, events, links, statuses, parents and non-ASCII text.
fn rich_spans() -> Vec<Span> {
    let remote =
        SpanContext::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .unwrap();
    let root = Span::child_of(&remote, "GET /warenkorb — 購物車 🛒")
        .with_kind(SpanKind::Server)
        .with_trace_state("vendor=a,other=b")
        .with_attribute("string", "héllo \"quoted\" \\ back\nline\t日本語 🚀")
        .with_attribute("empty.string", "")
        .with_attribute("bool.true", true)
        .with_attribute("bool.false", false)
        .with_attribute("int.zero", 0)
        .with_attribute("int.min", i64::MIN)
        .with_attribute("int.max", i64::MAX)
        .with_attribute("double", -1234.5678e-9)
        .with_attribute("double.zero", 0.0)
        .with_attribute("double.big", 1e300)
        .with_attribute("bytes", Value::Bytes(vec![0, 1, 2, 0xfe, 0xff]))
        .with_attribute("bytes.empty", Value::Bytes(Vec::new()))
        .with_attribute(
            "array.mixed",
            Value::Array(vec![
                Value::from("a"),
                Value::from(1),
                Value::from(true),
                Value::from(2.5),
                Value::Array(vec![]),
            ]),
        )
        .with_attribute("array.strings", vec!["x", "ÿ"])
        .with_attribute(
            "kvlist",
            vec![
                KeyValue::new("inner", "value"),
                KeyValue::new("nested", vec![KeyValue::new("deep", 42)]),
            ],
        )
        .with_attribute(String::from("ключ"), String::from("значение"))
        .with_event(
            Event::new("exception")
                .with_time(1_700_000_000_123_456_789)
                .with_attribute("exception.message", "división por cero"),
        )
        .with_event(Event::new("empty event"));
    let child = root
        .child("SELECT ☃")
        .with_kind(SpanKind::Client)
        .with_link(Link::new(remote.clone()).with_attribute("link.kind", "follows"))
        .with_link(Link::new(root.context()))
        .with_status(SpanStatus::error("délai dépassé ⏱"))
        .end();
    let producer = Span::new("publish")
        .with_kind(SpanKind::Producer)
        .with_status(SpanStatus::Ok)
        .end();
    let consumer = Span::new("consume").with_kind(SpanKind::Consumer).end();
    let internal = Span::new("").with_scope(Scope::new("other.lib")).end();
    vec![root.end(), child, producer, consumer, internal]
}

fn round_trip(
    protocol: Protocol,
    resource: &Resource,
    scope: &Scope,
    spans: &[Span],
) -> ExportTraceServiceRequest {
    let mut body = Vec::new();
    encode(protocol, resource, scope, spans, &mut body);
    let decoded = decode(&body, None, protocol == Protocol::HttpJson);
    match decoded {
        Ok(request) => request,
        Err(error) => panic!("{error}\nbody: {}", String::from_utf8_lossy(&body)),
    }
}

/// An empty value (what a transform rule's `set` to nil writes) is an `AnyValue` with no
/// field: protobuf round-trips it; JSON writes `{}`, as the Collector does (the official
/// Rust JSON decoder cannot read that, so the JSON side is checked as text).
#[test]
fn an_empty_value_is_an_any_value_with_no_field() {
    let span = Span::new("empty")
        .with_attribute("nothing", Value::Empty)
        .end();
    let resource = Resource::new("checkout");
    let decoded = round_trip(
        Protocol::HttpProtobuf,
        &resource,
        &Scope::default(),
        std::slice::from_ref(&span),
    );
    let attribute = &decoded.resource_spans[0].scope_spans[0].spans[0].attributes[0];
    assert_eq!(attribute.key, "nothing");
    assert_eq!(attribute.value, Some(common::AnyValue { value: None }));
    if !cfg!(feature = "json") {
        return;
    }
    let mut body = Vec::new();
    encode(
        Protocol::HttpJson,
        &resource,
        &Scope::default(),
        &[span],
        &mut body,
    );
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains(r#"{"key":"nothing","value":{}}"#), "{text}");
}

fn check_round_trip(protocol: Protocol) {
    let resource = Resource::new("checkout")
        .with_attribute("deployment.environment", "prod")
        .with_attribute("host.cores", 2);
    let scope = Scope::new("my.library").with_version("1.2.3");
    let spans = rich_spans();
    let request = round_trip(protocol, &resource, &scope, &spans);

    assert_eq!(request.resource_spans.len(), 1);
    let resource_spans = &request.resource_spans[0];
    assert_eq!(
        resource_spans.resource.as_ref().unwrap().attributes,
        proto_attributes(resource.attributes())
    );
    let scopes = &resource_spans.scope_spans;
    assert_eq!(scopes.len(), 2, "spans are grouped by scope");
    let first_scope = scopes[0].scope.as_ref().unwrap();
    assert_eq!(
        (first_scope.name.as_str(), first_scope.version.as_str()),
        ("my.library", "1.2.3")
    );
    assert_eq!(scopes[1].scope.as_ref().unwrap().name, "other.lib");

    let expected: Vec<trace::Span> = spans[..4].iter().map(expected_span).collect();
    assert_eq!(scopes[0].spans.len(), expected.len());
    for (decoded, expected) in scopes[0].spans.iter().zip(&expected) {
        assert_eq!(decoded, expected, "{protocol:?} span {:?}", expected.name);
    }
    assert_eq!(scopes[1].spans, vec![expected_span(&spans[4])]);
}

#[test]
fn protobuf_round_trips_through_the_official_decoder() {
    check_round_trip(Protocol::HttpProtobuf);
}

#[test]
#[cfg(feature = "json")]
fn json_round_trips_through_the_official_decoder() {
    check_round_trip(Protocol::HttpJson);
}

#[test]
#[cfg(feature = "json")]
fn json_uses_hex_ids_camel_case_integer_enums_and_string_int64() {
    let span = Span::new("op")
        .with_kind(SpanKind::Client)
        .with_attribute("n", 7)
        .end();
    let mut body = Vec::new();
    encode(
        Protocol::HttpJson,
        &Resource::new("svc"),
        &Scope::default(),
        std::slice::from_ref(&span),
        &mut body,
    );
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let encoded = &json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(encoded["traceId"], span.trace_id().to_string());
    assert_eq!(encoded["spanId"], span.span_id().to_string());
    assert_eq!(encoded["kind"], 3);
    assert_eq!(
        encoded["startTimeUnixNano"],
        span.start_time_unix_nano().to_string()
    );
    assert_eq!(encoded["attributes"][0]["value"]["intValue"], "7");
}

#[test]
fn protobuf_keeps_special_doubles_bit_for_bit() {
    let specials = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        f64::MIN_POSITIVE,
        f64::NAN,
    ];
    let span = Span::new("doubles")
        .with_attribute(
            "values",
            Value::Array(specials.iter().map(|d| Value::Double(*d)).collect()),
        )
        .end();
    let request = round_trip(
        Protocol::HttpProtobuf,
        &Resource::default(),
        &Scope::default(),
        &[span],
    );
    let decoded = &request.resource_spans[0].scope_spans[0].spans[0].attributes[0];
    let Some(common::any_value::Value::ArrayValue(array)) =
        decoded.value.as_ref().and_then(|v| v.value.clone())
    else {
        panic!("expected an array: {decoded:?}");
    };
    let bits: Vec<u64> = array
        .values
        .iter()
        .map(|value| match value.value {
            Some(common::any_value::Value::DoubleValue(double)) => double.to_bits(),
            ref other => panic!("expected a double, got {other:?}"),
        })
        .collect();
    assert_eq!(bits, specials.map(f64::to_bits));
}

#[test]
fn many_spans_decode_in_both_encodings() {
    let spans: Vec<Span> = (0..1000)
        .map(|i| {
            Span::new(format!("op-{i}"))
                .with_attribute("i", i)
                .with_attribute("user.id", format!("user-{i}"))
                .end()
        })
        .collect();
    for protocol in crate::http_protocols() {
        let request = round_trip(protocol, &Resource::default(), &Scope::default(), &spans);
        let decoded = &request.resource_spans[0].scope_spans[0].spans;
        let expected: Vec<trace::Span> = spans.iter().map(expected_span).collect();
        assert_eq!(decoded, &expected, "{protocol:?}");
    }
}

/// Random spans — every value kind nested, any Unicode text, events, statuses, parents —
/// through both encoders and the official decoder.
mod random_spans {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            // Finite: the official JSON decoder cannot read "NaN"/"Infinity" (protobuf keeps
            // them bit for bit, tested above).
            any::<f64>()
                .prop_filter("finite", |double| double.is_finite())
                .prop_map(Value::Double),
            vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Value::Array),
                vec((any::<String>(), inner), 0..4).prop_map(|pairs| {
                    Value::KvList(
                        pairs
                            .into_iter()
                            .map(|(k, v)| KeyValue::new(k, v))
                            .collect(),
                    )
                }),
            ]
        })
    }

    fn attributes() -> impl Strategy<Value = Vec<(String, Value)>> {
        vec((any::<String>(), value()), 0..6)
    }

    fn span() -> impl Strategy<Value = Span> {
        let kind = prop_oneof![
            Just(SpanKind::Internal),
            Just(SpanKind::Server),
            Just(SpanKind::Client),
            Just(SpanKind::Producer),
            Just(SpanKind::Consumer),
        ];
        let status = prop_oneof![
            Just(SpanStatus::Unset),
            Just(SpanStatus::Ok),
            any::<String>().prop_map(SpanStatus::error),
        ];
        let events = vec((any::<String>(), any::<u64>(), attributes()), 0..3);
        (
            any::<String>(),
            kind,
            attributes(),
            events,
            status,
            any::<bool>(),
            any::<u64>(),
        )
            .prop_map(|(name, kind, attributes, events, status, child, start)| {
                let mut span = Span::new(name)
                    .with_kind(kind)
                    .with_start_time(start / 2)
                    .with_status(status);
                for (key, value) in attributes {
                    span.set_attribute(key, value);
                }
                for (event_name, time, attributes) in events {
                    let mut event = Event::new(event_name).with_time(time);
                    for (key, value) in attributes {
                        event = event.with_attribute(key, value);
                    }
                    span.add_event(event);
                }
                let span = if child {
                    span.child("child-of-random")
                } else {
                    span
                };
                span.end_at(start)
            })
    }

    /// Values nested up to 32 levels (the limit is 16) and up to 8 wide, with finite
    /// doubles and random text.
    fn deep_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Value::from),
            any::<i64>().prop_map(Value::Int),
            any::<f64>()
                .prop_filter("finite", |double| double.is_finite())
                .prop_map(Value::Double),
        ];
        let random = leaf.prop_recursive(8, 96, 8, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..8).prop_map(Value::Array),
                vec((any::<String>(), inner), 0..8).prop_map(|pairs| {
                    Value::KvList(
                        pairs
                            .into_iter()
                            .map(|(k, v)| KeyValue::new(k, v))
                            .collect(),
                    )
                }),
            ]
        });
        // Random values wrapped in up to 24 more levels, so many cross the limit.
        (random, 0usize..24, any::<bool>()).prop_map(|(mut value, levels, as_list)| {
            for _ in 0..levels {
                value = if as_list {
                    Value::KvList(vec![KeyValue::new("k", value)])
                } else {
                    Value::Array(vec![value])
                };
            }
            value
        })
    }

    /// Levels of arrays and key-value lists around the deepest leaf.
    fn nesting(value: &Value) -> usize {
        match value {
            Value::Array(values) => 1 + values.iter().map(nesting).max().unwrap_or(0),
            Value::KvList(pairs) => {
                1 + pairs
                    .iter()
                    .map(|pair| nesting(&pair.value))
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 200,
            // Failures print the minimal input; nothing is written into the tree.
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_spans_survive_both_encodings(spans in vec(span(), 1..6)) {
            for protocol in crate::http_protocols() {
                let request = round_trip(protocol, &Resource::new("proptest"), &Scope::default(), &spans);
                let decoded = &request.resource_spans[0].scope_spans[0].spans;
                let expected: Vec<trace::Span> = spans.iter().map(expected_span).collect();
                prop_assert_eq!(decoded, &expected, "{:?}", protocol);
            }
        }

        /// Deep and wide values: the encoders never fail or overflow, decoders read every
        /// request, values within the nesting limit arrive intact, deeper ones are dropped
        /// and counted.
        #[test]
        fn deep_and_wide_values_encode_and_decode_or_are_counted(values in vec(deep_value(), 1..5)) {
            let mut span = Span::new("deep");
            let mut kept = Vec::new();
            for (index, value) in values.iter().enumerate() {
                let key = format!("a{index}");
                span.set_attribute(key.clone(), value.clone());
                if nesting(value) <= otlp_collector::MAX_VALUE_NESTING {
                    kept.push(KeyValue::new(key, value.clone()));
                }
            }
            let span = span.end();
            for protocol in crate::http_protocols() {
                let request = round_trip(protocol, &Resource::new("deep"), &Scope::default(), std::slice::from_ref(&span));
                let decoded = &request.resource_spans[0].scope_spans[0].spans[0];
                prop_assert_eq!(&decoded.attributes, &proto_attributes(&kept), "{:?}", protocol);
                prop_assert_eq!(decoded.dropped_attributes_count as usize, values.len() - kept.len());
            }
        }
    }
}
