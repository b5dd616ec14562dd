//! The span: one timed operation with its attributes, events, links and status.
//!
//! A `Span` is a plain value: building one takes no lock and does no I/O. It starts when
//! created and is handed to a collector once [`Span::end`] has stamped its end time.

use std::borrow::Cow;

use super::context::{SpanContext, SAMPLED_FLAG};
use super::ids::{SpanId, TraceId};
use super::limits::{Attributes, SpanLimits};
use super::resource::Scope;
use super::value::{Key, Value};
use crate::platform;

/// The current time in nanoseconds since the Unix epoch, from the platform's clock.
pub fn now_unix_nanos() -> u64 {
    platform::now_unix_nanos()
}

/// An error's message with its causes: "could not connect: connection refused".
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The role of a span in a trace (OTLP `Span.SpanKind`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// An internal operation (the default).
    #[default]
    Internal,
    /// Handles a synchronous request from a remote client.
    Server,
    /// Makes a synchronous request to a remote server.
    Client,
    /// Initiates an asynchronous message.
    Producer,
    /// Handles an asynchronous message.
    Consumer,
}

impl SpanKind {
    /// The OTLP enum number.
    pub(crate) fn otlp_code(self) -> i32 {
        match self {
            SpanKind::Internal => 1,
            SpanKind::Server => 2,
            SpanKind::Client => 3,
            SpanKind::Producer => 4,
            SpanKind::Consumer => 5,
        }
    }
}

/// The outcome of the operation (OTLP `Status`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SpanStatus {
    /// Not set by the instrumentation (the default).
    #[default]
    Unset,
    /// Explicitly marked successful; final once set.
    Ok,
    /// Failed, with a description for people.
    Error {
        /// What went wrong.
        message: Cow<'static, str>,
    },
}

impl SpanStatus {
    /// An error status with a message.
    pub fn error(message: impl Into<Cow<'static, str>>) -> Self {
        SpanStatus::Error {
            message: message.into(),
        }
    }

    /// The OTLP `StatusCode` number.
    pub(crate) fn otlp_code(&self) -> i32 {
        match self {
            SpanStatus::Unset => 0,
            SpanStatus::Ok => 1,
            SpanStatus::Error { .. } => 2,
        }
    }
}

/// Something that happened at a point in time during a span.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub(crate) name: Cow<'static, str>,
    pub(crate) time_unix_nano: u64,
    pub(crate) attributes: Attributes,
}

impl Event {
    /// An event named `name`, timestamped now.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Event {
            name: name.into(),
            time_unix_nano: now_unix_nanos(),
            attributes: Attributes::default(),
        }
    }

    /// An event timestamped now, with room for `attributes` attributes; named later (the
    /// `tracing` layer learns the name while it visits the fields).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))] // the `tracing` layer's
    pub(crate) fn reserving(attributes: usize) -> Self {
        Event {
            name: Cow::Borrowed(""),
            time_unix_nano: now_unix_nanos(),
            attributes: Attributes::with_capacity(attributes),
        }
    }

    /// Sets the timestamp (ns since the Unix epoch).
    pub fn with_time(mut self, time_unix_nano: u64) -> Self {
        self.time_unix_nano = time_unix_nano;
        self
    }

    /// Adds or overwrites an attribute (limits apply when the event joins a span).
    pub fn with_attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.attributes
            .set(key.into(), value.into(), u32::MAX, None);
        self
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The event's timestamp.
    pub fn time_unix_nano(&self) -> u64 {
        self.time_unix_nano
    }

    /// The event's attributes and how many were dropped.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }
}

/// A pointer to a related span, in this trace or another.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub(crate) context: SpanContext,
    pub(crate) attributes: Attributes,
}

impl Link {
    /// A link to the span described by `context`.
    pub fn new(context: SpanContext) -> Self {
        Link {
            context,
            attributes: Attributes::default(),
        }
    }

    /// Adds or overwrites an attribute (limits apply when the link joins a span).
    pub fn with_attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.attributes
            .set(key.into(), value.into(), u32::MAX, None);
        self
    }

    /// The linked span.
    pub fn context(&self) -> &SpanContext {
        &self.context
    }

    /// The link's attributes and how many were dropped.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }
}

/// What most spans never have, kept behind one pointer so a `Span` stays small: it is
/// moved into the buffer and out again, and the buffer preallocates a slot per span.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SpanExtras {
    pub(crate) trace_state: Option<Cow<'static, str>>,
    pub(crate) events: Vec<Event>,
    pub(crate) dropped_events_count: u32,
    pub(crate) links: Vec<Link>,
    pub(crate) dropped_links_count: u32,
    pub(crate) scope: Option<Scope>,
    /// The error status with its message (the span holds only which status it has).
    pub(crate) error_status: Option<SpanStatus>,
    /// Limits other than the defaults.
    pub(crate) limits: Option<SpanLimits>,
}

/// Which status a span has; an error's message lives in its extras.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum StatusKind {
    #[default]
    Unset,
    Ok,
    Error,
}

static UNSET: SpanStatus = SpanStatus::Unset;
static OK: SpanStatus = SpanStatus::Ok;

/// One operation in a trace.
///
/// # Examples
/// ```
/// use otlp_collector::{Span, SpanKind, SpanStatus};
/// let parent = Span::new("GET /cart").with_kind(SpanKind::Server);
/// let child = parent
///     .child("SELECT cart")
///     .with_attribute("db.system", "postgresql")
///     .end();
/// let parent = parent.with_status(SpanStatus::Ok).end();
/// assert_eq!(child.trace_id(), parent.trace_id());
/// assert_eq!(child.parent_span_id(), Some(parent.span_id()));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) parent_span_id: Option<SpanId>,
    pub(crate) parent_is_remote: Option<bool>,
    pub(crate) trace_flags: u8,
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) end_time_unix_nano: u64,
    pub(crate) attributes: Attributes,
    pub(crate) status: StatusKind,
    /// Rarely used parts (trace state, events, links, scope, an error status, custom
    /// limits), so the span itself stays small.
    pub(crate) extras: Option<Box<SpanExtras>>,
}

impl Span {
    /// Starts a root span (a new trace) now, with the default [`SpanLimits`].
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Span::starting(
            TraceId::random(),
            None,
            SAMPLED_FLAG,
            name,
            now_unix_nanos(),
        )
    }

    /// Starts a span whose parent is `parent` (local, or remote from a `traceparent`).
    pub fn child_of(parent: &SpanContext, name: impl Into<Cow<'static, str>>) -> Self {
        Span::starting(
            parent.trace_id,
            Some(parent),
            parent.trace_flags,
            name,
            now_unix_nanos(),
        )
    }

    /// A span in `trace_id` under `parent` (if any, whose `tracestate` it carries), with
    /// `trace_flags`, started at `start_time_unix_nano` (0 for an unsampled span, which
    /// spares reading the clock).
    pub(crate) fn starting(
        trace_id: TraceId,
        parent: Option<&SpanContext>,
        trace_flags: u8,
        name: impl Into<Cow<'static, str>>,
        start_time_unix_nano: u64,
    ) -> Self {
        let mut span = Span {
            trace_id,
            span_id: SpanId::random(),
            parent_span_id: parent.map(|parent| parent.span_id),
            parent_is_remote: parent.map(|parent| parent.is_remote),
            trace_flags,
            name: name.into(),
            kind: SpanKind::Internal,
            start_time_unix_nano,
            end_time_unix_nano: 0,
            attributes: Attributes::default(),
            status: StatusKind::Unset,
            extras: None,
        };
        if let Some(trace_state) = parent.and_then(|parent| parent.trace_state.as_ref()) {
            span.extras_mut().trace_state = Some(trace_state.clone());
        }
        span
    }

    /// Starts a child of this span: same trace, this span as parent, same scope and limits.
    pub fn child(&self, name: impl Into<Cow<'static, str>>) -> Span {
        let mut span = Span::new(name);
        span.trace_id = self.trace_id;
        span.parent_span_id = Some(self.span_id);
        span.parent_is_remote = Some(false);
        span.trace_flags = self.trace_flags;
        if let Some(extras) = &self.extras {
            if extras.trace_state.is_some() || extras.scope.is_some() || extras.limits.is_some() {
                let child = span.extras_mut();
                child.trace_state = extras.trace_state.clone();
                child.scope = extras.scope.clone();
                child.limits = extras.limits;
            }
        }
        span
    }

    /// This span's identity, for children, links and outgoing `traceparent` headers.
    pub fn context(&self) -> SpanContext {
        SpanContext {
            trace_id: self.trace_id,
            span_id: self.span_id,
            trace_flags: self.trace_flags,
            trace_state: self
                .extras
                .as_ref()
                .and_then(|extras| extras.trace_state.clone()),
            is_remote: false,
        }
    }

    /// Sets the kind.
    pub fn with_kind(mut self, kind: SpanKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets an attribute (see [`Span::set_attribute`]).
    pub fn with_attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.set_attribute(key, value);
        self
    }

    /// Sets several attributes.
    pub fn with_attributes<K, V>(mut self, attributes: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<Key>,
        V: Into<Value>,
    {
        for (key, value) in attributes {
            self.set_attribute(key, value);
        }
        self
    }

    /// Sets the status (see [`Span::set_status`]).
    pub fn with_status(mut self, status: SpanStatus) -> Self {
        self.set_status(status);
        self
    }

    /// Adds an event (see [`Span::add_event`]).
    pub fn with_event(mut self, event: Event) -> Self {
        self.add_event(event);
        self
    }

    /// Adds a link (see [`Span::add_link`]).
    pub fn with_link(mut self, link: Link) -> Self {
        self.add_link(link);
        self
    }

    /// Sets the W3C `tracestate` carried with this span.
    pub fn with_trace_state(mut self, trace_state: impl Into<Cow<'static, str>>) -> Self {
        self.extras_mut().trace_state = Some(trace_state.into());
        self
    }

    /// Sets the instrumentation scope; spans without one use the collector's.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.extras_mut().scope = Some(scope);
        self
    }

    /// Replaces the limits applied to data added from now on.
    pub fn with_limits(mut self, limits: SpanLimits) -> Self {
        // The defaults cost nothing to carry; others ride in the extras.
        if limits != SpanLimits::default() {
            self.extras_mut().limits = Some(limits);
        } else if let Some(extras) = &mut self.extras {
            extras.limits = None;
        }
        self
    }

    /// The limits applied to data added to this span.
    pub fn limits(&self) -> SpanLimits {
        self.extras
            .as_ref()
            .and_then(|extras| extras.limits)
            .unwrap_or_default()
    }

    /// Sets the start time (ns since the Unix epoch), for spans recorded after the fact.
    pub fn with_start_time(mut self, start_time_unix_nano: u64) -> Self {
        self.start_time_unix_nano = start_time_unix_nano;
        self
    }

    /// Sets an attribute. An existing key is overwritten; a new key beyond the limit is
    /// dropped and counted; text longer than the value length limit is truncated.
    pub fn set_attribute(&mut self, key: impl Into<Key>, value: impl Into<Value>) {
        if !self.is_recording() {
            return;
        }
        let limits = self.limits();
        self.attributes.set(
            key.into(),
            value.into(),
            limits.max_attributes,
            limits.max_attribute_value_length,
        );
    }

    /// Makes room for `additional` more attributes (an unsampled span takes none).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))] // the `tracing` layer's
    pub(crate) fn reserve_attributes(&mut self, additional: usize) {
        if self.is_recording() {
            self.attributes.reserve(additional);
        }
    }

    /// Adds an event; beyond the event limit it is dropped and counted.
    pub fn add_event(&mut self, mut event: Event) {
        if !self.is_recording() {
            return;
        }
        let limits = self.limits();
        let max_events = limits.max_events as usize;
        let extras = self.extras_mut();
        if extras.events.len() >= max_events {
            extras.dropped_events_count = extras.dropped_events_count.saturating_add(1);
            return;
        }
        event.attributes.enforce(
            limits.max_attributes_per_event,
            limits.max_attribute_value_length,
        );
        self.extras_mut().events.push(event);
    }

    /// Adds a link; beyond the link limit it is dropped and counted.
    pub fn add_link(&mut self, mut link: Link) {
        if !self.is_recording() {
            return;
        }
        let limits = self.limits();
        let max_links = limits.max_links as usize;
        let extras = self.extras_mut();
        if extras.links.len() >= max_links {
            extras.dropped_links_count = extras.dropped_links_count.saturating_add(1);
            return;
        }
        link.attributes.enforce(
            limits.max_attributes_per_link,
            limits.max_attribute_value_length,
        );
        self.extras_mut().links.push(link);
    }

    /// Sets the status. As the OpenTelemetry API requires, `Ok` is final and setting
    /// `Unset` is ignored.
    pub fn set_status(&mut self, status: SpanStatus) {
        if self.status == StatusKind::Ok {
            return;
        }
        match status {
            SpanStatus::Unset => {}
            SpanStatus::Ok => {
                self.status = StatusKind::Ok;
                if let Some(extras) = &mut self.extras {
                    extras.error_status = None;
                }
            }
            SpanStatus::Error { .. } => {
                self.status = StatusKind::Error;
                self.extras_mut().error_status = Some(status);
            }
        }
    }

    /// Sets the status whatever it was (a transform rule may change an `Ok`, which the
    /// API's [`set_status`](Self::set_status) keeps final).
    #[cfg_attr(not(feature = "transform"), allow(dead_code))]
    pub(crate) fn replace_status(&mut self, status: SpanStatus) {
        self.status = match status {
            SpanStatus::Unset => StatusKind::Unset,
            SpanStatus::Ok => StatusKind::Ok,
            SpanStatus::Error { .. } => StatusKind::Error,
        };
        let error_status = matches!(status, SpanStatus::Error { .. }).then_some(status);
        if error_status.is_some() || self.extras.is_some() {
            self.extras_mut().error_status = error_status;
        }
    }

    /// Records `error` as the semantic conventions have it: an `exception` event with
    /// `exception.message` (the error and its causes) and an error status.
    ///
    /// # Examples
    /// ```
    /// use otlp_collector::Span;
    /// let mut span = Span::new("read config");
    /// let error = std::io::Error::other("permission denied");
    /// span.record_error(&error);
    /// assert_eq!(span.events()[0].name(), "exception");
    /// ```
    pub fn record_error(&mut self, error: &(dyn std::error::Error + 'static)) {
        let message = error_chain(error);
        self.add_event(
            Event::new("exception").with_attribute("exception.message", message.clone()),
        );
        self.set_status(SpanStatus::error(message));
    }

    /// Renames the span (e.g. once the route is known).
    pub fn set_name(&mut self, name: impl Into<Cow<'static, str>>) {
        self.name = name.into();
    }

    /// Ends the span now. Ending twice keeps the first end time.
    pub fn end(self) -> Self {
        let now = now_unix_nanos();
        self.end_at(now)
    }

    /// Ends the span at `end_time_unix_nano` (never before its start).
    pub fn end_at(mut self, end_time_unix_nano: u64) -> Self {
        if self.end_time_unix_nano == 0 {
            self.end_time_unix_nano = end_time_unix_nano.max(self.start_time_unix_nano);
        }
        self
    }

    /// Whether [`Span::end`] has been called.
    pub fn is_ended(&self) -> bool {
        self.end_time_unix_nano != 0
    }

    /// Makes `parent` this span's parent (its trace, span id and `tracestate`), sampled or
    /// not as `sampled` says; for a remote parent that becomes known after the span started.
    #[allow(dead_code)] // only the `tracing` layer reparents spans
    pub(crate) fn reparent(&mut self, parent: &SpanContext, sampled: bool) {
        self.trace_id = parent.trace_id;
        self.parent_span_id = Some(parent.span_id);
        self.parent_is_remote = Some(parent.is_remote);
        self.trace_flags = if sampled {
            parent.trace_flags | SAMPLED_FLAG
        } else {
            parent.trace_flags & !SAMPLED_FLAG
        };
        match &parent.trace_state {
            Some(state) => self.extras_mut().trace_state = Some(state.clone()),
            None => {
                if let Some(extras) = &mut self.extras {
                    extras.trace_state = None;
                }
            }
        }
    }

    /// Whether the span was sampled: an unsampled one records no attributes, events or
    /// links and is never exported (its children, by default, are not sampled either).
    pub fn is_recording(&self) -> bool {
        self.trace_flags & SAMPLED_FLAG != 0
    }

    /// The trace id.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span id.
    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// The parent's span id, `None` for a root span.
    pub fn parent_span_id(&self) -> Option<SpanId> {
        self.parent_span_id
    }

    /// The W3C `tracestate` carried with this span.
    pub fn trace_state(&self) -> Option<&str> {
        self.extras.as_ref()?.trace_state.as_deref()
    }

    /// The W3C trace flags (bit 0: sampled).
    pub fn trace_flags(&self) -> u8 {
        self.trace_flags
    }

    /// Whether the parent came from another process; `None` for a root span.
    pub fn parent_is_remote(&self) -> Option<bool> {
        self.parent_is_remote
    }

    /// The instrumentation scope set on this span, if any.
    pub fn scope(&self) -> Option<&Scope> {
        self.extras.as_ref()?.scope.as_ref()
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind.
    pub fn kind(&self) -> SpanKind {
        self.kind
    }

    /// The status.
    pub fn status(&self) -> &SpanStatus {
        match self.status {
            StatusKind::Unset => &UNSET,
            StatusKind::Ok => &OK,
            StatusKind::Error => self
                .extras
                .as_ref()
                .and_then(|extras| extras.error_status.as_ref())
                .unwrap_or(&UNSET),
        }
    }

    /// Start time, ns since the Unix epoch.
    pub fn start_time_unix_nano(&self) -> u64 {
        self.start_time_unix_nano
    }

    /// End time, ns since the Unix epoch; 0 until ended.
    pub fn end_time_unix_nano(&self) -> u64 {
        self.end_time_unix_nano
    }

    /// The attributes and how many were dropped.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The events kept.
    pub fn events(&self) -> &[Event] {
        self.extras.as_ref().map_or(&[], |extras| &extras.events)
    }

    /// Events refused by the limit.
    pub fn dropped_events_count(&self) -> u32 {
        self.extras
            .as_ref()
            .map_or(0, |extras| extras.dropped_events_count)
    }

    /// The links kept.
    pub fn links(&self) -> &[Link] {
        self.extras.as_ref().map_or(&[], |extras| &extras.links)
    }

    /// Links refused by the limit.
    pub fn dropped_links_count(&self) -> u32 {
        self.extras
            .as_ref()
            .map_or(0, |extras| extras.dropped_links_count)
    }

    pub(crate) fn extras_mut(&mut self) -> &mut SpanExtras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// The OTLP `flags` field: W3C trace flags plus whether the parent is remote.
    pub(crate) fn otlp_flags(&self) -> u32 {
        otlp_flags(self.trace_flags, self.parent_is_remote)
    }
}

/// OTLP span and link `flags`: bits 0–7 W3C flags, bit 8 "remote-ness known", bit 9 "remote".
pub(crate) fn otlp_flags(trace_flags: u8, is_remote: Option<bool>) -> u32 {
    const HAS_IS_REMOTE: u32 = 0x100;
    const IS_REMOTE: u32 = 0x200;
    let remote_bits = match is_remote {
        None => 0,
        Some(false) => HAS_IS_REMOTE,
        Some(true) => HAS_IS_REMOTE | IS_REMOTE,
    };
    u32::from(trace_flags) | remote_bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_shares_trace_and_points_at_parent() {
        let parent = Span::new("parent").with_trace_state("vendor=1");
        let child = parent.child("child");
        assert_eq!(child.trace_id(), parent.trace_id());
        assert_eq!(child.parent_span_id(), Some(parent.span_id()));
        assert_ne!(child.span_id(), parent.span_id());
        assert_eq!(child.trace_state(), Some("vendor=1"));
        assert_eq!(child.otlp_flags(), 0x101);
    }

    #[test]
    fn remote_parent_sets_remote_flag() {
        let remote = SpanContext::from_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .unwrap();
        let span = Span::child_of(&remote, "handler");
        assert_eq!(span.otlp_flags(), 0x301);
        assert_eq!(span.trace_id(), remote.trace_id);
    }

    #[test]
    fn ok_status_is_final_and_unset_is_ignored() {
        let mut span = Span::new("s");
        span.set_status(SpanStatus::error("boom"));
        span.set_status(SpanStatus::Unset);
        assert_eq!(span.status(), &SpanStatus::error("boom"));
        span.set_status(SpanStatus::Ok);
        span.set_status(SpanStatus::error("later"));
        assert_eq!(span.status(), &SpanStatus::Ok);
    }

    #[test]
    fn limits_fill_in_dropped_counts() {
        let limits = SpanLimits {
            max_attributes: 2,
            max_events: 1,
            max_links: 1,
            max_attributes_per_event: 1,
            max_attributes_per_link: 1,
            max_attribute_value_length: Some(3),
        };
        let link_target = Span::new("other").context();
        let span = Span::new("s")
            .with_limits(limits)
            .with_attribute("a", "abcdef")
            .with_attribute("b", 1)
            .with_attribute("c", 2)
            .with_event(
                Event::new("e1")
                    .with_attribute("x", 1)
                    .with_attribute("y", 2),
            )
            .with_event(Event::new("e2"))
            .with_link(Link::new(link_target.clone()).with_attribute("l", "long"))
            .with_link(Link::new(link_target));
        assert_eq!(span.attributes().as_slice()[0].value, Value::from("abc"));
        assert_eq!(span.attributes().dropped_count(), 1);
        assert_eq!(span.events().len(), 1);
        assert_eq!(span.events()[0].attributes().dropped_count(), 1);
        assert_eq!(span.dropped_events_count(), 1);
        assert_eq!(
            span.links()[0].attributes().as_slice()[0].value,
            Value::from("lon")
        );
        assert_eq!(span.dropped_links_count(), 1);
    }

    #[test]
    fn end_is_idempotent_and_never_before_start() {
        let span = Span::new("s").with_start_time(1_000).end_at(500);
        assert_eq!(span.end_time_unix_nano(), 1_000);
        let again = span.end_at(9_000);
        assert_eq!(again.end_time_unix_nano(), 1_000);
        assert!(again.is_ended());
    }
}
