//! Spans encoded one by one as they are collected, in the request's encoding: what the
//! browser core queues instead of span values, with its resource and scope encoded once. A
//! request is then written around their bytes (`encode_batch`), so the span model is needed
//! only where spans are built in Rust, and the npm package's main module, which encodes
//! JavaScript's span records and resource directly (`js_api/record_protobuf.rs`), carries
//! none of it.

use super::{BatchSpan, Protocol};
use crate::model::{Resource, Scope, Span};

/// One span's `Span` message fields (protobuf) or `Span` object (OTLP/JSON), as the
/// collector's protocol encodes it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EncodedSpan {
    bytes: Box<[u8]>,
    /// The span's own scope, when not the collector's.
    scope: Option<EncodedFields>,
}

/// A resource's `Resource` fields or `attributes` array, or a scope's
/// `InstrumentationScope` fields or object, encoded once in the collector's protocol.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct EncodedFields(Box<[u8]>);

impl EncodedFields {
    /// Bytes already encoded in the collector's protocol.
    pub(crate) fn from_bytes(bytes: &[u8]) -> EncodedFields {
        EncodedFields(bytes.into())
    }

    /// `resource`, encoded for `protocol`.
    pub(crate) fn of_resource(resource: &Resource, protocol: Protocol) -> EncodedFields {
        let mut bytes = Vec::new();
        Span::write_resource(resource, protocol, &mut bytes);
        EncodedFields(bytes.into())
    }

    /// `scope`, encoded for `protocol`.
    pub(crate) fn of_scope(scope: &Scope, protocol: Protocol) -> EncodedFields {
        let mut bytes = Vec::new();
        Span::write_scope(scope, protocol, &mut bytes);
        EncodedFields(bytes.into())
    }
}

impl EncodedSpan {
    /// Bytes already encoded in the collector's protocol, under the collector's scope.
    pub(crate) fn from_bytes(bytes: &[u8]) -> EncodedSpan {
        EncodedSpan {
            bytes: bytes.into(),
            scope: None,
        }
    }

    /// `span` encoded for `protocol`; `scratch` is reused between spans.
    pub(crate) fn of(span: &Span, protocol: Protocol, scratch: &mut Vec<u8>) -> EncodedSpan {
        scratch.clear();
        span.write_span(protocol, scratch);
        EncodedSpan {
            bytes: scratch.as_slice().into(),
            scope: span
                .scope()
                .map(|scope| EncodedFields::of_scope(scope, protocol)),
        }
    }

    /// Its size in bytes: its weight in a request, before compression.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }
}

impl BatchSpan for EncodedSpan {
    type Resource = EncodedFields;
    type Scope = EncodedFields;

    fn scope(&self) -> Option<&EncodedFields> {
        self.scope.as_ref()
    }

    fn same_scope(a: &EncodedFields, b: &EncodedFields) -> bool {
        a == b
    }

    fn write_resource(resource: &EncodedFields, _: Protocol, out: &mut Vec<u8>) {
        out.extend_from_slice(&resource.0);
    }

    fn write_scope(scope: &EncodedFields, _: Protocol, out: &mut Vec<u8>) {
        out.extend_from_slice(&scope.0);
    }

    fn write_span(&self, _: Protocol, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{encode, encode_batch};
    use super::*;
    use crate::model::{Event, Resource, SpanStatus};

    fn spans() -> Vec<Span> {
        let mut failed = Span::new("failed").with_attribute("http.status_code", 500);
        failed.set_status(SpanStatus::error("boom"));
        failed.add_event(Event::new("retry").with_attribute("attempt", 2));
        vec![
            Span::new("GET /").with_attribute("url.path", "/").end(),
            Span::new("scoped").with_scope(Scope::new("lib")).end(),
            failed.end(),
        ]
    }

    /// A request written around spans encoded one by one is the request written from the
    /// spans themselves, for both protocols, scopes included.
    #[test]
    fn requests_around_encoded_spans_are_the_requests_of_the_spans() {
        let protocols = [
            Protocol::HttpProtobuf,
            #[cfg(feature = "json")]
            Protocol::HttpJson,
        ];
        let (resource, scope, spans) = (Resource::new("web"), Scope::default(), spans());
        for protocol in protocols {
            let mut scratch = Vec::new();
            let encoded: Vec<EncodedSpan> = spans
                .iter()
                .map(|span| EncodedSpan::of(span, protocol, &mut scratch))
                .collect();
            let (mut expected, mut actual) = (Vec::new(), Vec::new());
            encode(protocol, &resource, &scope, &spans, &mut expected);
            let (resource, scope) = (
                EncodedFields::of_resource(&resource, protocol),
                EncodedFields::of_scope(&scope, protocol),
            );
            encode_batch(protocol, &resource, &scope, &encoded, &mut actual);
            assert_eq!(actual, expected, "{protocol:?}");
        }
    }
}
