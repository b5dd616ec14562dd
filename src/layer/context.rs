//! Reaching a `tracing` span's OTLP identity from application code: continue a remote trace
//! (`set_parent`), and read the current span's context for an outgoing request.
//!
//! `tracing::Span` only knows its id and its subscriber. The layer answers a downcast to
//! [`WithContext`] with a function, instantiated for the concrete subscriber type, that
//! finds the span's data in the registry — so this works however the layer is stacked.

use tracing::subscriber::Subscriber;
use tracing::{span::Id, Dispatch};
use tracing_subscriber::registry::LookupSpan;

use super::SpanData;
use crate::model::SpanContext;
use crate::propagation::{extract_context, inject_context};

/// Calls the closure with the layer's data for a span, if the layer knows it.
type VisitSpanData = fn(&Dispatch, &Id, &mut dyn FnMut(&mut SpanData));

/// What the layer answers a downcast to this type with: its [`VisitSpanData`] function.
pub(crate) struct WithContext(pub(crate) VisitSpanData);

/// [`WithContext`]'s function for subscriber type `S`.
pub(crate) fn with_span_data<S>(dispatch: &Dispatch, id: &Id, f: &mut dyn FnMut(&mut SpanData))
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let Some(subscriber) = dispatch.downcast_ref::<S>() else {
        return;
    };
    let Some(span) = subscriber.span(id) else {
        return;
    };
    let mut extensions = span.extensions_mut();
    if let Some(data) = extensions.get_mut::<SpanData>() {
        f(data);
    }
}

/// OTLP trace context for `tracing` spans recorded by the layer.
///
/// # Examples
/// ```
/// use otlp_collector::{Collector, Config, OtlpSpanExt};
/// use tracing_subscriber::prelude::*;
///
/// let collector = Collector::new(Config::default())?;
/// let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let mut incoming = http::HeaderMap::new();
///     incoming.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
///     let request = tracing::info_span!("handle request");
///     // Right after creating the span, before its children exist.
///     request.set_parent_from_headers(&incoming);
///     let outgoing = request.in_scope(|| tracing::Span::current().traceparent());
///     assert!(outgoing.unwrap().starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait OtlpSpanExt {
    /// Continues a remote (or any other) trace: makes `parent` this span's parent, with its
    /// `tracestate`, and samples again by it. Call it right after creating the span, before
    /// its children exist — they take their trace from the span as it is when they start.
    fn set_parent(&self, parent: &SpanContext);

    /// [`set_parent`](OtlpSpanExt::set_parent) from `traceparent` and `tracestate` request
    /// headers; returns whether they held a valid parent (without one the span stays a root).
    fn set_parent_from_headers(&self, headers: &http::HeaderMap) -> bool;

    /// This span's OTLP context, if the layer records it.
    fn otlp_context(&self) -> Option<SpanContext>;

    /// The `traceparent` header value for an outgoing request made within this span.
    fn traceparent(&self) -> Option<String>;

    /// Writes `traceparent` and `tracestate` for an outgoing request into `headers`.
    fn inject_context(&self, headers: &mut http::HeaderMap);
}

/// Runs `f` on the layer's data for `span`, if any.
fn with_data<T>(span: &tracing::Span, mut f: impl FnMut(&mut SpanData) -> T) -> Option<T> {
    let mut result = None;
    span.with_subscriber(|(id, dispatch)| {
        if let Some(with_context) = dispatch.downcast_ref::<WithContext>() {
            (with_context.0)(dispatch, id, &mut |data| result = Some(f(data)));
        }
    });
    result
}

impl OtlpSpanExt for tracing::Span {
    fn set_parent(&self, parent: &SpanContext) {
        with_data(self, |data| {
            let sampled = data.sampler.should_sample(Some(parent), parent.trace_id);
            data.span.reparent(parent, sampled);
        });
    }

    fn set_parent_from_headers(&self, headers: &http::HeaderMap) -> bool {
        match extract_context(headers) {
            Some(parent) => {
                self.set_parent(&parent);
                true
            }
            None => false,
        }
    }

    fn otlp_context(&self) -> Option<SpanContext> {
        with_data(self, |data| data.span.context())
    }

    fn traceparent(&self) -> Option<String> {
        self.otlp_context().map(|context| context.to_traceparent())
    }

    fn inject_context(&self, headers: &mut http::HeaderMap) {
        if let Some(context) = self.otlp_context() {
            inject_context(&context, headers);
        }
    }
}
