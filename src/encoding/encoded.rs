//! Spans encoded one by one as they are collected, in the request's encoding: what the
//! browser core queues instead of span values. A request is then written around their bytes
//! (`encode_batch`), so the span model is needed only where spans are built in Rust, and the
//! npm package's main module, which encodes JavaScript's span records directly
//! (`js_api/record_protobuf.rs`), carries none of it.

use super::{json, protobuf, BatchSpan, Protocol};
use crate::model::{Scope, Span};

/// One span's `Span` message fields (protobuf) or `Span` object (OTLP/JSON), as the
/// collector's protocol encodes it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EncodedSpan {
    bytes: Box<[u8]>,
    /// The span's own scope, when not the collector's.
    scope: Option<Scope>,
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
        if protocol.is_json() {
            json::write_span(span, scratch);
        } else {
            protobuf::write_span(span, scratch);
        }
        EncodedSpan {
            bytes: scratch.as_slice().into(),
            scope: span.scope().cloned(),
        }
    }

    /// Its size in bytes: its weight in a request, before compression.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }
}

impl BatchSpan for EncodedSpan {
    fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }

    fn write_protobuf(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }

    fn write_json(&self, out: &mut Vec<u8>) {
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
            encode_batch(protocol, &resource, &scope, &encoded, &mut actual);
            assert_eq!(actual, expected, "{protocol:?}");
        }
    }
}
