//! `tracing` fields as OTLP attributes, with their native types: integers as ints (beyond
//! `i64` as text), floats, booleans, strings; `Debug` and `Display` values as text. The
//! `otel.*` fields and `error` steer the span instead of (or beside) becoming attributes.

use std::borrow::Cow;
use std::fmt::Debug;

use tracing::field::{Field, Visit};

use crate::model::{error_chain, Event, Key, Span, SpanKind, SpanStatus, Value};

/// Where visited fields go: typed values, and text (strings, errors, `Debug`/`Display`).
pub(super) trait FieldSink {
    fn set(&mut self, field: &Field, value: Value);
    fn text(&mut self, field: &Field, text: String);
}

/// Visits `tracing` fields into a [`FieldSink`], each with its native type.
pub(super) struct Fields<T>(pub(super) T);

impl<T: FieldSink> Visit for Fields<T> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.set(field, Value::Int(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.set(field, Value::from(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.0.set(field, Value::from(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.0.set(field, Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.set(field, Value::Double(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.set(field, Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.text(field, value.to_owned());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.text(field, error_chain(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.text(field, format!("{value:?}"));
    }
}

/// Writes a span's fields onto it; [`finish`](SpanFields::finish) applies the status
/// fields, which may come in either order, even in separate `record` calls (the message is
/// kept until the code comes).
pub(super) struct SpanFields<'a> {
    span: &'a mut Span,
    status_code: Option<String>,
    status_message: &'a mut Option<String>,
}

impl<'a> SpanFields<'a> {
    pub(super) fn new(span: &'a mut Span, status_message: &'a mut Option<String>) -> Self {
        SpanFields {
            span,
            status_code: None,
            status_message,
        }
    }

    /// Applies `otel.status_code` (`OK` / `ERROR`, any case) with `otel.status_message`.
    pub(super) fn finish(self) {
        match self
            .status_code
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("ok") => self.span.set_status(SpanStatus::Ok),
            Some("error") => self.span.set_status(SpanStatus::error(
                self.status_message.clone().unwrap_or_default(),
            )),
            _ => {}
        }
    }
}

impl FieldSink for SpanFields<'_> {
    fn set(&mut self, field: &Field, value: Value) {
        self.span.set_attribute(field.name(), value);
    }

    /// A text field: the `otel.*` names and `error` first, anything else an attribute.
    fn text(&mut self, field: &Field, text: String) {
        match field.name() {
            "otel.name" => self.span.set_name(text),
            "otel.kind" => {
                if let Some(kind) = span_kind(&text) {
                    self.span.kind = kind;
                }
            }
            "otel.status_code" => self.status_code = Some(text),
            "otel.status_message" => *self.status_message = Some(text),
            "error" => {
                self.span.add_event(
                    Event::new("exception").with_attribute("exception.message", text.clone()),
                );
                self.span.set_status(SpanStatus::error(text.clone()));
                self.span.set_attribute("error", text);
            }
            name => self.span.set_attribute(Key::Borrowed(name), text),
        }
    }
}

/// `otel.kind` as tracing-opentelemetry reads it: `server`, `client`, … in any case.
fn span_kind(text: &str) -> Option<SpanKind> {
    Some(match text.to_ascii_lowercase().as_str() {
        "internal" => SpanKind::Internal,
        "server" => SpanKind::Server,
        "client" => SpanKind::Client,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        _ => return None,
    })
}

/// An event's fields: the `message` (its name), an `error`, and the rest as attributes of
/// the event being built (no list in between).
pub(super) struct EventFields {
    pub(super) message: Option<String>,
    pub(super) error: Option<String>,
    pub(super) event: Event,
}

impl FieldSink for EventFields {
    fn set(&mut self, field: &Field, value: Value) {
        // Limits apply when the event joins its span.
        self.event
            .attributes
            .set(Cow::Borrowed(field.name()), value, u32::MAX, None);
    }

    fn text(&mut self, field: &Field, text: String) {
        match field.name() {
            "message" => self.message = Some(text),
            "error" => self.error = Some(text),
            _ => self.set(field, Value::from(text)),
        }
    }
}
