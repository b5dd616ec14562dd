//! OTLP request encoding, shared by every target: protobuf (the default) and JSON, with
//! spans grouped by resource and instrumentation scope, optionally gzip-compressed.
//!
//! # Examples
//! ```
//! # #[cfg(feature = "json")] {
//! use otlp_collector::encoding::{encode, Protocol};
//! use otlp_collector::{Resource, Scope, Span};
//!
//! let spans = vec![Span::new("GET /").end()];
//! let mut body = Vec::new();
//! encode(Protocol::HttpJson, &Resource::new("web"), &Scope::default(), &spans, &mut body);
//! assert!(body.starts_with(b"{\"resourceSpans\""));
//! # }
//! ```

// The browser's gzip; natively flate2 is used and this is compiled for its tests only.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod compact_gzip;
mod compression;
// The browser core's queue; natively compiled for its tests only.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod encoded;
// Its text helpers serve the OpAMP agent too; the request writer needs the `json` feature.
#[cfg_attr(not(feature = "json"), allow(dead_code))]
pub(crate) mod json;
pub(crate) mod protobuf;
mod request;

#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]
pub(crate) use compact_gzip::compact_gzip;
pub use compression::Compression;
pub(crate) use compression::Gzip;
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]
pub(crate) use encoded::{EncodedFields, EncodedSpan};
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))] // fan-out is native-only
pub(crate) use request::{EncodedRequest, RequestEncoder};

use crate::model::{Resource, Scope, Span};

/// The OTLP transport encoding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/HTTP with a binary protobuf body (`http/protobuf`).
    #[default]
    HttpProtobuf,
    /// OTLP/HTTP with a JSON body (`http/json`).
    HttpJson,
    /// OTLP/gRPC (`grpc`): the same protobuf messages over HTTP/2 (native builds only;
    /// browsers cannot read gRPC's trailers).
    Grpc,
}

impl Protocol {
    /// The `Content-Type` of a request body in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
            Protocol::Grpc => "application/grpc",
        }
    }

    /// The name used by `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
            Protocol::Grpc => "grpc",
        }
    }

    /// Whether bodies are OTLP/JSON (and responses too). Never without the `json`
    /// feature (configurations asking for it are refused): the JSON code is then left out
    /// of the build, which is what the feature is for.
    pub(crate) fn is_json(self) -> bool {
        cfg!(feature = "json") && self == Protocol::HttpJson
    }
}

/// What a request is encoded from: span values with the model's resource and scopes, or
/// (in the browser core) spans, resource and scopes each encoded once ([`EncodedSpan`]).
/// The request around them is written once for both.
pub(crate) trait BatchSpan: Sized {
    /// The request's resource.
    type Resource;
    /// An instrumentation scope.
    type Scope;
    /// Its scope, when not the collector's.
    fn scope(&self) -> Option<&Self::Scope>;
    /// Whether two scopes are the same (spans of one scope share a `ScopeSpans`).
    fn same_scope(a: &Self::Scope, b: &Self::Scope) -> bool;
    /// Appends the resource's `Resource` fields (protobuf) or `attributes` array (JSON).
    fn write_resource(resource: &Self::Resource, protocol: Protocol, out: &mut Vec<u8>);
    /// Appends a scope's `InstrumentationScope` fields (protobuf) or object (JSON).
    fn write_scope(scope: &Self::Scope, protocol: Protocol, out: &mut Vec<u8>);
    /// Appends its `Span` message's fields (protobuf) or object (JSON).
    fn write_span(&self, protocol: Protocol, out: &mut Vec<u8>);
}

impl BatchSpan for Span {
    type Resource = Resource;
    type Scope = Scope;

    fn scope(&self) -> Option<&Scope> {
        Span::scope(self)
    }

    fn same_scope(a: &Scope, b: &Scope) -> bool {
        a.same_as(b)
    }

    fn write_resource(resource: &Resource, protocol: Protocol, out: &mut Vec<u8>) {
        if protocol.is_json() {
            json::push_key_values(resource.attributes(), out);
        } else {
            protobuf::write_key_values(1, resource.attributes(), out);
        }
    }

    fn write_scope(scope: &Scope, protocol: Protocol, out: &mut Vec<u8>) {
        if protocol.is_json() {
            json::push_scope(scope, out);
        } else {
            protobuf::write_scope(scope, out);
        }
    }

    fn write_span(&self, protocol: Protocol, out: &mut Vec<u8>) {
        if protocol.is_json() {
            json::write_span(self, out);
        } else {
            protobuf::write_span(self, out);
        }
    }
}

/// Spans that share an instrumentation scope, in the order they arrived.
pub(crate) struct ScopeGroup<'a, T: BatchSpan> {
    pub(crate) scope: &'a T::Scope,
    pub(crate) spans: Vec<&'a T>,
}

/// Groups spans by scope; spans without one fall under `default_scope`.
fn group_by_scope<'a, T: BatchSpan>(
    default_scope: &'a T::Scope,
    spans: &'a [T],
) -> Vec<ScopeGroup<'a, T>> {
    let mut groups: Vec<ScopeGroup<'a, T>> = Vec::new();
    for span in spans {
        let scope = span.scope().unwrap_or(default_scope);
        match groups
            .iter_mut()
            .find(|group| T::same_scope(group.scope, scope))
        {
            Some(group) => group.spans.push(span),
            None => groups.push(ScopeGroup {
                scope,
                spans: vec![span],
            }),
        }
    }
    groups
}

/// Appends an `ExportTraceServiceRequest` for `spans` to `out`, uncompressed.
pub fn encode(
    protocol: Protocol,
    resource: &Resource,
    default_scope: &Scope,
    spans: &[Span],
    out: &mut Vec<u8>,
) {
    encode_batch(protocol, resource, default_scope, spans, out);
}

/// [`encode`] for any [`BatchSpan`].
pub(crate) fn encode_batch<T: BatchSpan>(
    protocol: Protocol,
    resource: &T::Resource,
    default_scope: &T::Scope,
    spans: &[T],
    out: &mut Vec<u8>,
) {
    let groups = group_by_scope(default_scope, spans);
    if protocol.is_json() {
        json::write_request(resource, &groups, out);
    } else {
        protobuf::write_request(resource, &groups, out);
    }
}

/// The protobuf size of one span inside a request: a cheap estimate of its weight.
pub fn protobuf_span_len(span: &Span) -> usize {
    protobuf::span_len(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_spans_by_scope_in_arrival_order() {
        let default_scope = Scope::default();
        let other = Scope::new("other");
        let spans = vec![
            Span::new("a"),
            Span::new("b").with_scope(other.clone()),
            Span::new("c"),
            Span::new("d").with_scope(Scope::new("other")),
        ];
        let groups = group_by_scope(&default_scope, &spans);
        assert_eq!(groups.len(), 2);
        let names = |group: &ScopeGroup<'_, Span>| {
            group
                .spans
                .iter()
                .map(|span| span.name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&groups[0]), ["a", "c"]);
        assert_eq!(names(&groups[1]), ["b", "d"]);
    }
}
