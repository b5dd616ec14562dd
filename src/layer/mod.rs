//! A `tracing` layer: every `tracing` span becomes an OTLP span when it closes — with its
//! fields as attributes, its events as span events, its parent from the span tree — and
//! leaves through the collector it was made from. No OpenTelemetry SDK in between.
//!
//! The field names tracing-opentelemetry users write keep working: `otel.name`, `otel.kind`,
//! `otel.status_code`, `otel.status_message`. An `error` field, or an event at `ERROR`
//! level, marks the span as failed and records an `exception` event. The collector's
//! sampler decides when a span starts; an unsampled span records nothing.
//!
//! # Examples
//! ```
//! use otlp_collector::{Collector, Config};
//! use tracing_subscriber::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let receiver = otlp_test_receiver::Receiver::start().await?;
//! let collector = Collector::new(Config::from_env()?.with_endpoint(receiver.endpoint()))?;
//! let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
//! tracing::subscriber::with_default(subscriber, || {
//!     let _request = tracing::info_span!("GET /cart", http.request.method = "GET").entered();
//!     tracing::info!(items = 3, "cart loaded");
//! });
//! collector.shutdown().await?;
//! assert_eq!(collector.stats().exported, 1);
//! # Ok(())
//! # }
//! ```

mod context;
mod fields;

use std::any::TypeId;
use std::borrow::Cow;
use std::marker::PhantomData;

use tracing::span::{Attributes as SpanAttributes, Id, Record};
use tracing::{Event as TracingEvent, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

pub use context::OtlpSpanExt;
use context::WithContext;
use fields::{EventFields, Fields, SpanFields};

use crate::model::{now_unix_nanos, Event, Link, Span, SpanStatus};
use crate::platform::{on_export_thread, LayerCollector};
use crate::sampling::Sampler;
use crate::Collector;

/// The layer made by [`Collector::tracing_layer`]; add it to a `tracing_subscriber`
/// registry. What costs per span and few need is off until turned on.
pub struct OtlpLayer<S> {
    collector: LayerCollector,
    options: Options,
    with_context: WithContext,
    _subscriber: PhantomData<fn(S)>,
}

#[derive(Clone, Copy, Default)]
struct Options {
    location: bool,
    thread_names: bool,
    timings: bool,
}

/// What the layer keeps in each `tracing` span's extensions until it closes.
pub(crate) struct SpanData {
    span: Span,
    /// The collector's sampler, for a parent set after the span started.
    sampler: Sampler,
    /// `otel.status_message`, for an `otel.status_code` recorded later.
    status_message: Option<String>,
    /// Busy and idle time, when timings are on.
    timings: Option<Timings>,
}

struct Timings {
    busy_ns: u64,
    idle_ns: u64,
    /// When the span was last entered or exited, in ns since the epoch (the platform clock:
    /// `Instant` panics in browsers).
    last: u64,
}

impl Collector {
    /// A `tracing_subscriber` layer that exports `tracing` spans through this collector.
    pub fn tracing_layer<S>(&self) -> OtlpLayer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        OtlpLayer {
            collector: LayerCollector(self.clone()),
            options: Options::default(),
            with_context: WithContext(context::with_span_data::<S>),
            _subscriber: PhantomData,
        }
    }
}

impl<S> OtlpLayer<S> {
    /// Records where each span was created: `code.file.path`, `code.line.number`,
    /// `code.namespace` (the module).
    pub fn with_location(mut self, on: bool) -> Self {
        self.options.location = on;
        self
    }

    /// Records the name of the thread each span was created on (`thread.name`).
    pub fn with_thread_names(mut self, on: bool) -> Self {
        self.options.thread_names = on;
        self
    }

    /// Records how long each span was entered (`busy_ns`) and not (`idle_ns`).
    pub fn with_timings(mut self, on: bool) -> Self {
        self.options.timings = on;
        self
    }

    fn collector(&self) -> &Collector {
        &self.collector.0
    }
}

impl<S> Layer<S> for OtlpLayer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    fn on_new_span(&self, attributes: &SpanAttributes<'_>, id: &Id, context: Context<'_, S>) {
        // The collector's own threads (h2 and tonic open spans inside every export).
        if on_export_thread() {
            return;
        }
        let Some(span_ref) = context.span(id) else {
            return;
        };
        let parent = span_ref.parent().and_then(|parent| {
            parent
                .extensions()
                .get::<SpanData>()
                .map(|data| data.span.context())
        });
        let metadata = attributes.metadata();
        let (sampler, limits) = self.collector().span_start();
        let mut span = sampler.start_span(limits, parent.as_ref(), metadata.name());
        let mut status_message = None;
        if span.is_recording() {
            // One allocation for the attributes: the callsite knows how many fields it has.
            let optional = 3 * usize::from(self.options.location)
                + usize::from(self.options.thread_names)
                + 2 * usize::from(self.options.timings);
            span.reserve_attributes(metadata.fields().len() + optional);
            let mut fields = Fields(SpanFields::new(&mut span, &mut status_message));
            attributes.record(&mut fields);
            fields.0.finish();
            if self.options.location {
                if let Some(file) = metadata.file() {
                    span.set_attribute("code.file.path", file);
                }
                if let Some(line) = metadata.line() {
                    span.set_attribute("code.line.number", i64::from(line));
                }
                if let Some(module) = metadata.module_path() {
                    span.set_attribute("code.namespace", module);
                }
            }
            if self.options.thread_names {
                if let Some(name) = std::thread::current().name() {
                    span.set_attribute("thread.name", name.to_owned());
                }
            }
        }
        let timings = self.options.timings.then(|| Timings {
            busy_ns: 0,
            idle_ns: 0,
            last: now_unix_nanos(),
        });
        span_ref.extensions_mut().insert(SpanData {
            span,
            sampler,
            status_message,
            timings,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        let Some(span_ref) = context.span(id) else {
            return;
        };
        let mut extensions = span_ref.extensions_mut();
        let Some(data) = extensions.get_mut::<SpanData>() else {
            return;
        };
        if data.span.is_recording() {
            let mut fields = Fields(SpanFields::new(&mut data.span, &mut data.status_message));
            values.record(&mut fields);
            fields.0.finish();
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, context: Context<'_, S>) {
        let (Some(span_ref), Some(follows_ref)) = (context.span(id), context.span(follows)) else {
            return;
        };
        let Some(link) = follows_ref
            .extensions()
            .get::<SpanData>()
            .map(|data| Link::new(data.span.context()))
        else {
            return;
        };
        let mut extensions = span_ref.extensions_mut();
        if let Some(data) = extensions.get_mut::<SpanData>() {
            data.span.add_link(link);
        }
    }

    fn on_event(&self, event: &TracingEvent<'_>, context: Context<'_, S>) {
        // The collector's own reports (target `otlp_collector`) are never recorded: a
        // failing export must not feed more telemetry into the collector.
        if event.metadata().target().starts_with("otlp_collector") || on_export_thread() {
            return;
        }
        let Some(span_ref) = context.event_span(event) else {
            return;
        };
        let mut extensions = span_ref.extensions_mut();
        let Some(data) = extensions.get_mut::<SpanData>() else {
            return;
        };
        if !data.span.is_recording() {
            return;
        }
        let metadata = event.metadata();
        // Room for `level`, `target`, the fields and an `exception.message`: one allocation.
        let recorded = Event::reserving(metadata.fields().len() + 3)
            .with_attribute("level", metadata.level().as_str())
            .with_attribute("target", metadata.target());
        let mut visitor = Fields(EventFields {
            message: None,
            error: None,
            event: recorded,
        });
        event.record(&mut visitor);
        let EventFields {
            message,
            error,
            event: mut recorded,
        } = visitor.0;
        if *metadata.level() == Level::ERROR || error.is_some() {
            // The semantic conventions' name for a recorded exception.
            let description = error
                .or(message)
                .unwrap_or_else(|| metadata.name().to_owned());
            recorded.name = Cow::Borrowed("exception");
            data.span.set_status(SpanStatus::error(description.clone()));
            recorded = recorded.with_attribute("exception.message", description);
        } else {
            // The message moves into the name: no copy.
            recorded.name = message.map_or(Cow::Borrowed(metadata.name()), Cow::Owned);
        }
        data.span.add_event(recorded);
    }

    fn on_enter(&self, id: &Id, context: Context<'_, S>) {
        self.tick(id, context, |timings, elapsed| timings.idle_ns += elapsed);
    }

    fn on_exit(&self, id: &Id, context: Context<'_, S>) {
        self.tick(id, context, |timings, elapsed| timings.busy_ns += elapsed);
    }

    fn on_close(&self, id: Id, context: Context<'_, S>) {
        let Some(span_ref) = context.span(&id) else {
            return;
        };
        let Some(data) = span_ref.extensions_mut().remove::<SpanData>() else {
            return;
        };
        let mut span = data.span;
        if let Some(mut timings) = data.timings {
            timings.idle_ns += now_unix_nanos().saturating_sub(timings.last);
            span.set_attribute(
                "busy_ns",
                i64::try_from(timings.busy_ns).unwrap_or(i64::MAX),
            );
            span.set_attribute(
                "idle_ns",
                i64::try_from(timings.idle_ns).unwrap_or(i64::MAX),
            );
        }
        // Ended as it is collected (an unsampled one, never: it is only counted). A refusal
        // (full buffer, shut down) is counted by the collector; a telemetry failure must
        // not reach the instrumented code.
        let _ = self.collector().collect(span);
    }

    // SAFETY: each pointer returned points to a value of the type whose `TypeId` was asked
    // for, borrowed from `self`, as `tracing`'s downcasting requires.
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else if id == TypeId::of::<WithContext>() {
            Some(&self.with_context as *const WithContext as *const ())
        } else {
            None
        }
    }
}

impl<S> OtlpLayer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    /// Adds the time since the span's last enter or exit to the side `add` chooses.
    fn tick(&self, id: &Id, context: Context<'_, S>, add: impl FnOnce(&mut Timings, u64)) {
        if !self.options.timings {
            return;
        }
        let Some(span_ref) = context.span(id) else {
            return;
        };
        let mut extensions = span_ref.extensions_mut();
        if let Some(timings) = extensions
            .get_mut::<SpanData>()
            .and_then(|data| data.timings.as_mut())
        {
            let now = now_unix_nanos();
            add(timings, now.saturating_sub(timings.last));
            timings.last = now;
        }
    }
}
