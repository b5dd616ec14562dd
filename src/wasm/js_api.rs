//! The JavaScript API, made with wasm-bindgen: `new Collector(options)`, `startSpan`,
//! `flush`, `stats`, `shutdown`, and a `Span` with `setAttribute`, `setAttributes`,
//! `addEvent`, `setStatus`, `traceparent` and `end`.
//!
//! Option objects and attribute values are checked here; a bad one throws an `Error` whose
//! message names the option or attribute.

use std::time::Duration;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::collector::Collector;
use super::number::number_to_string;
use crate::config::Config;
use crate::encoding::{Compression, Protocol};
use crate::model::{Event, KeyValue, Span, SpanContext, SpanKind, SpanStatus, Value};

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn error(message: impl AsRef<str>) -> JsValue {
    js_sys::Error::new(message.as_ref()).into()
}

fn get(object: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &JsValue::from_str(key))
}

/// An optional string option.
fn string_option(options: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let value = get(options, key)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| error(format!("option {key} must be a string")))
}

/// An optional positive whole-number option.
fn count_option(options: &JsValue, key: &str) -> Result<Option<u64>, JsValue> {
    let value = get(options, key)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(number) if number.fract() == 0.0 && (1.0..=MAX_SAFE_INTEGER).contains(&number) => {
            Ok(Some(number as u64))
        }
        _ => Err(error(format!(
            "option {key} must be a positive whole number, got {}",
            describe(&value)
        ))),
    }
}

/// The entries of an optional plain object option, e.g. `headers`.
fn entries_option(options: &JsValue, key: &str) -> Result<Vec<(String, JsValue)>, JsValue> {
    let value = get(options, key)?;
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !value.is_object() || Array::is_array(&value) {
        return Err(error(format!("option {key} must be an object")));
    }
    Object::entries(value.unchecked_ref())
        .iter()
        .map(|entry| {
            let pair: Array = entry.unchecked_into();
            let name = pair.get(0).as_string().unwrap_or_default();
            Ok((name, pair.get(1)))
        })
        .collect()
}

/// A short description of a JavaScript value for error messages: `String(value)` for
/// strings and numbers (quoted strings), the type otherwise. JavaScript does the
/// formatting, so no Rust float printing ends up in the package.
fn describe(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return format!("'{text}'");
    }
    if let Some(number) = value.as_f64() {
        return number_to_string(number);
    }
    value.js_typeof().as_string().unwrap_or_default()
}

/// Builds a [`Config`] from a JavaScript options object.
fn config_from_options(options: &JsValue) -> Result<Config, JsValue> {
    if !options.is_object() || Array::is_array(options) {
        return Err(error("Collector options must be an object, e.g. { endpoint: 'http://localhost:4318/v1/traces' }"));
    }
    let mut config = Config::default();
    if let Some(endpoint) = string_option(options, "endpoint")? {
        config = config.with_endpoint(endpoint);
    }
    if let Some(name) = string_option(options, "serviceName")? {
        config = config.with_service_name(name);
    }
    if let Some(protocol) = string_option(options, "protocol")? {
        config = config.with_protocol(match protocol.as_str() {
            "http/protobuf" => Protocol::HttpProtobuf,
            "http/json" => Protocol::HttpJson,
            other => {
                return Err(error(format!(
                    "option protocol must be 'http/protobuf' or 'http/json', got '{other}'"
                )))
            }
        });
    }
    if let Some(compression) = string_option(options, "compression")? {
        config = config.with_compression(match compression.as_str() {
            "gzip" => Compression::Gzip,
            "none" => Compression::None,
            other => {
                return Err(error(format!(
                    "option compression must be 'gzip' or 'none', got '{other}'"
                )))
            }
        });
    }
    if let Some(size) = count_option(options, "batchSize")? {
        config = config.with_batch_size(size as usize);
    }
    if let Some(millis) = count_option(options, "batchTimeoutMs")? {
        config = config.with_batch_timeout(Duration::from_millis(millis));
    }
    if let Some(size) = count_option(options, "maxQueueSize")? {
        config = config.with_max_queue_size(size as usize);
    }
    if let Some(millis) = count_option(options, "exportTimeoutMs")? {
        config = config.with_export_timeout(Duration::from_millis(millis));
    }
    for (name, value) in entries_option(options, "headers")? {
        let value = value
            .as_string()
            .ok_or_else(|| error(format!("option headers.{name} must be a string")))?;
        config = config.with_header(name, value);
    }
    for (key, value) in entries_option(options, "resourceAttributes")? {
        let value = attribute_value(&key, &value)?;
        config = config.with_resource_attribute(key, value);
    }
    config
        .validate()
        .map_err(|problem| error(problem.to_string()))?;
    Ok(config)
}

/// Converts a JavaScript attribute value: string, number (whole numbers become ints,
/// others doubles), boolean, or an array of those.
fn attribute_value(key: &str, value: &JsValue) -> Result<Value, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(Value::from(text));
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Value::Bool(flag));
    }
    if let Some(number) = value.as_f64() {
        let is_int = number.fract() == 0.0 && number.abs() <= MAX_SAFE_INTEGER;
        return Ok(if is_int {
            Value::Int(number as i64)
        } else {
            Value::Double(number)
        });
    }
    if Array::is_array(value) {
        let items: Array = value.clone().unchecked_into();
        let mut values = Vec::with_capacity(items.length() as usize);
        for item in items.iter() {
            if Array::is_array(&item) {
                return Err(error(format!("attribute {key}: arrays may not nest")));
            }
            values.push(attribute_value(key, &item)?);
        }
        return Ok(Value::Array(values));
    }
    Err(error(format!(
        "attribute {key} must be a string, number, boolean or an array of those, got {}",
        describe(value)
    )))
}

/// Every own property of `attributes` as a key-value pair.
fn attributes_from(attributes: &JsValue) -> Result<Vec<KeyValue>, JsValue> {
    if attributes.is_undefined() || attributes.is_null() {
        return Ok(Vec::new());
    }
    if !attributes.is_object() || Array::is_array(attributes) {
        return Err(error("attributes must be an object of key: value pairs"));
    }
    Object::entries(attributes.unchecked_ref())
        .iter()
        .map(|entry| {
            let pair: Array = entry.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            let value = attribute_value(&key, &pair.get(1))?;
            Ok(KeyValue::new(key, value))
        })
        .collect()
}

fn span_kind(kind: &str) -> Result<SpanKind, JsValue> {
    Ok(match kind {
        "internal" => SpanKind::Internal,
        "server" => SpanKind::Server,
        "client" => SpanKind::Client,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        other => {
            return Err(error(format!(
                "option kind must be 'internal', 'server', 'client', 'producer' or 'consumer', got '{other}'"
            )))
        }
    })
}

/// The parent's context: a `Span` (anything with a `traceparent()` method) or a
/// `traceparent` header string.
fn parent_context(parent: &JsValue) -> Result<SpanContext, JsValue> {
    let header = match parent.as_string() {
        Some(header) => header,
        None => {
            let method = get(parent, "traceparent")?;
            let method: &js_sys::Function = method
                .dyn_ref()
                .ok_or_else(|| error("option parent must be a Span or a traceparent string"))?;
            method
                .call0(parent)?
                .as_string()
                .ok_or_else(|| error("option parent's traceparent() must return a string"))?
        }
    };
    SpanContext::from_traceparent(&header)
        .map_err(|problem| error(format!("option parent: {problem}")))
}

/// Collects spans in the browser and exports them over OTLP/HTTP with `fetch`.
#[wasm_bindgen(js_name = Collector)]
pub struct JsCollector {
    collector: Collector,
}

#[wasm_bindgen(js_class = Collector)]
impl JsCollector {
    /// `new Collector({ endpoint, serviceName, protocol, batchSize, batchTimeoutMs,
    /// maxQueueSize, exportTimeoutMs, headers, resourceAttributes })`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsCollector, JsValue> {
        let config = config_from_options(&options)?;
        let collector = Collector::new(config).map_err(|problem| error(problem.to_string()))?;
        Ok(JsCollector { collector })
    }

    /// Starts a span: `startSpan(name, { kind, attributes, parent })`.
    #[wasm_bindgen(js_name = startSpan)]
    pub fn start_span(&self, name: String, options: JsValue) -> Result<JsSpan, JsValue> {
        let span = if options.is_undefined() || options.is_null() {
            self.collector.start_span(name)
        } else {
            if !options.is_object() {
                return Err(error("startSpan options must be an object"));
            }
            let parent = get(&options, "parent")?;
            let mut span = if parent.is_undefined() || parent.is_null() {
                self.collector.start_span(name)
            } else {
                Span::child_of(&parent_context(&parent)?, name)
                    .with_limits(self.collector.config().span_limits())
            };
            if let Some(kind) = string_option(&options, "kind")? {
                span = span.with_kind(span_kind(&kind)?);
            }
            for pair in attributes_from(&get(&options, "attributes")?)? {
                span.set_attribute(pair.key, pair.value);
            }
            span
        };
        Ok(JsSpan {
            span: Some(span),
            collector: self.collector.clone(),
        })
    }

    /// Exports everything collected so far; resolves when done, rejects with what was lost.
    pub fn flush(&self) -> Promise {
        let collector = self.collector.clone();
        future_to_promise(async move {
            collector
                .flush()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|problem| error(problem.to_string()))
        })
    }

    /// Stops accepting spans and exports what is buffered.
    pub fn shutdown(&self) -> Promise {
        let collector = self.collector.clone();
        future_to_promise(async move {
            collector
                .shutdown()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|problem| error(problem.to_string()))
        })
    }

    /// `{ collected, exported, dropped, droppedBufferFull, droppedExportFailed, batches,
    /// retries, bytesSent, buffered, … }`.
    pub fn stats(&self) -> Object {
        let stats = self.collector.stats();
        let object = Object::new();
        let fields = [
            ("collected", stats.collected),
            ("exported", stats.exported),
            ("dropped", stats.dropped()),
            ("droppedBufferFull", stats.dropped_buffer_full),
            (
                "droppedExportFailed",
                stats.dropped_retries_exhausted + stats.dropped_rejected + stats.dropped_timed_out,
            ),
            ("droppedRetriesExhausted", stats.dropped_retries_exhausted),
            ("droppedRejected", stats.dropped_rejected),
            ("droppedTimedOut", stats.dropped_timed_out),
            ("droppedTooLarge", stats.dropped_too_large),
            ("droppedShutdown", stats.dropped_shutdown),
            ("droppedPageUnload", stats.dropped_page_unload),
            ("batches", stats.batches),
            ("retries", stats.retries),
            ("bytesSent", stats.bytes_sent),
            ("buffered", stats.buffered),
        ];
        for (name, value) in fields {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(
                &object,
                &JsValue::from_str(name),
                &JsValue::from_f64(value as f64),
            );
        }
        object
    }
}

/// A span being recorded; `end()` hands it to its collector.
#[wasm_bindgen(js_name = Span)]
pub struct JsSpan {
    /// `None` once ended.
    span: Option<Span>,
    collector: Collector,
}

#[wasm_bindgen(js_class = Span)]
impl JsSpan {
    fn recording(&mut self) -> Result<&mut Span, JsValue> {
        self.span
            .as_mut()
            .ok_or_else(|| error("the span has already ended"))
    }

    /// Sets one attribute.
    #[wasm_bindgen(js_name = setAttribute)]
    pub fn set_attribute(&mut self, key: String, value: JsValue) -> Result<(), JsValue> {
        let value = attribute_value(&key, &value)?;
        self.recording()?.set_attribute(key, value);
        Ok(())
    }

    /// Sets every property of `attributes`.
    #[wasm_bindgen(js_name = setAttributes)]
    pub fn set_attributes(&mut self, attributes: JsValue) -> Result<(), JsValue> {
        let pairs = attributes_from(&attributes)?;
        let span = self.recording()?;
        for pair in pairs {
            span.set_attribute(pair.key, pair.value);
        }
        Ok(())
    }

    /// Records an event now, with optional attributes.
    #[wasm_bindgen(js_name = addEvent)]
    pub fn add_event(&mut self, name: String, attributes: JsValue) -> Result<(), JsValue> {
        let mut event = Event::new(name);
        for pair in attributes_from(&attributes)? {
            event = event.with_attribute(pair.key, pair.value);
        }
        self.recording()?.add_event(event);
        Ok(())
    }

    /// `setStatus('unset' | 'ok' | 'error', message?)`.
    #[wasm_bindgen(js_name = setStatus)]
    pub fn set_status(&mut self, code: String, message: Option<String>) -> Result<(), JsValue> {
        let status = match code.as_str() {
            "unset" => SpanStatus::Unset,
            "ok" => SpanStatus::Ok,
            "error" => SpanStatus::error(message.unwrap_or_default()),
            other => {
                return Err(error(format!(
                    "status must be 'unset', 'ok' or 'error', got '{other}'"
                )))
            }
        };
        self.recording()?.set_status(status);
        Ok(())
    }

    /// The W3C `traceparent` header value for outgoing requests made within this span.
    pub fn traceparent(&self) -> Result<String, JsValue> {
        self.span
            .as_ref()
            .map(|span| span.context().to_traceparent())
            .ok_or_else(|| error("the span has already ended"))
    }

    /// Ends the span and hands it to the collector. Throws if the buffer is full (the span
    /// is counted as dropped either way).
    pub fn end(&mut self) -> Result<(), JsValue> {
        let span = self
            .span
            .take()
            .ok_or_else(|| error("the span has already ended"))?;
        self.collector
            .collect(span.end())
            .map_err(|problem| error(problem.to_string()))
    }
}
