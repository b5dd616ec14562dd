//! The options object of `new Collector(options)`, read into a [`Config`]. A bad option
//! throws an `Error` whose message names it.

use std::time::Duration;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::number::number_to_string;
use crate::config::{Config, ConfigError};
use crate::encoding::{Compression, Protocol};
use crate::model::Value;

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

pub(crate) fn error(message: impl AsRef<str>) -> JsValue {
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

/// An optional string option that must be one of two `choices`.
fn choice_option<T: Copy>(
    options: &JsValue,
    key: &str,
    [(first, first_value), (second, second_value)]: [(&str, T); 2],
) -> Result<Option<T>, JsValue> {
    let Some(given) = string_option(options, key)? else {
        return Ok(None);
    };
    if given == first {
        return Ok(Some(first_value));
    }
    if given == second {
        return Ok(Some(second_value));
    }
    Err(error(format!(
        "option {key} must be '{first}' or '{second}', got '{given}'"
    )))
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
pub(crate) fn config_from_options(options: &JsValue) -> Result<Config, JsValue> {
    // `new Collector()` takes every default.
    if options.is_undefined() || options.is_null() {
        return Ok(Config::default());
    }
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
    let protocols = [
        ("http/protobuf", Protocol::HttpProtobuf),
        ("http/json", Protocol::HttpJson),
    ];
    if let Some(protocol) = choice_option(options, "protocol", protocols)? {
        config = config.with_protocol(protocol);
    }
    let compressions = [("gzip", Compression::Gzip), ("none", Compression::None)];
    if let Some(compression) = choice_option(options, "compression", compressions)? {
        config = config.with_compression(compression);
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
    let on_error = get(options, "onError")?;
    if !(on_error.is_undefined() || on_error.is_null() || on_error.is_function()) {
        return Err(error(format!(
            "option onError must be a function, got {}",
            describe(&on_error)
        )));
    }
    config
        .validate()
        .map_err(|problem| error(in_js_terms(problem)))?;
    Ok(config)
}

/// A configuration error in the words of the JavaScript options.
fn in_js_terms(problem: ConfigError) -> String {
    let option = |field: &str| match field {
        "max_queue_size" => "maxQueueSize",
        "batch_size" => "batchSize",
        "batch_timeout" => "batchTimeoutMs",
        "export_timeout" => "exportTimeoutMs",
        _ => "an option",
    };
    match problem {
        ConfigError::Zero { field } => {
            format!("option {} must be greater than zero", option(field))
        }
        ConfigError::TooLarge { field, value, max } => {
            format!("option {} ({value}) must be at most {max}", option(field))
        }
        ConfigError::BatchLargerThanQueue {
            batch_size,
            max_queue_size,
        } => format!(
            "option batchSize ({batch_size}) must not exceed maxQueueSize ({max_queue_size})"
        ),
        ConfigError::InvalidEndpoint { url, reason } => {
            format!("option endpoint '{url}' is not a usable URL: {reason}")
        }
        ConfigError::InvalidHeader { name, reason } => {
            format!("option headers: header '{name}' is invalid: {reason}")
        }
        other => other.to_string(),
    }
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
