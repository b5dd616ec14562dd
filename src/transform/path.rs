//! The paths of OTTL's span context — `name`, `attributes["k"][0]`,
//! `resource.attributes["k"]`, `status.code`, … — read from and written to a span.

use std::borrow::Cow;

use super::parse::{Key, RawPath};
use super::value::{kind_of, Val};
use crate::model::{KeyValue, Resource, Scope, Span, SpanId, SpanKind, SpanStatus, TraceId, Value};

/// A field of the span context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Name,
    Kind,
    StatusCode,
    StatusMessage,
    Attributes,
    ResourceAttributes,
    ScopeName,
    ScopeVersion,
    TraceId,
    SpanId,
    ParentSpanId,
    StartTime,
    EndTime,
    TraceState,
}

/// The paths this subset knows, as written.
const FIELDS: [(&str, Field); 14] = [
    ("name", Field::Name),
    ("kind", Field::Kind),
    ("status.code", Field::StatusCode),
    ("status.message", Field::StatusMessage),
    ("attributes", Field::Attributes),
    ("resource.attributes", Field::ResourceAttributes),
    ("instrumentation_scope.name", Field::ScopeName),
    ("instrumentation_scope.version", Field::ScopeVersion),
    ("trace_id.string", Field::TraceId),
    ("span_id.string", Field::SpanId),
    ("parent_span_id.string", Field::ParentSpanId),
    ("start_time_unix_nano", Field::StartTime),
    ("end_time_unix_nano", Field::EndTime),
    ("trace_state", Field::TraceState),
];

/// A path: a field and, for maps, the keys into it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Path {
    pub(crate) field: Field,
    pub(crate) keys: Vec<Key>,
}

impl Path {
    /// The path `raw` names; `Err` with a message saying which paths exist.
    pub(crate) fn resolve(raw: &RawPath) -> Result<Path, String> {
        // `span.name` is the same as `name` (OTTL's explicit context prefix).
        let fields: Vec<&str> = match raw.fields.first().map(String::as_str) {
            Some("span") if raw.fields.len() > 1 => {
                raw.fields[1..].iter().map(String::as_str).collect()
            }
            _ => raw.fields.iter().map(String::as_str).collect(),
        };
        let written = fields.join(".");
        let Some((_, field)) = FIELDS.iter().find(|(name, _)| *name == written) else {
            let known: Vec<&str> = FIELDS.iter().map(|(name, _)| *name).collect();
            return Err(format!(
                "unknown path '{written}' (the span paths are {})",
                known.join(", ")
            ));
        };
        if !raw.keys.is_empty() && !matches!(field, Field::Attributes | Field::ResourceAttributes) {
            return Err(format!(
                "'{written}' cannot be indexed: only attributes are maps"
            ));
        }
        Ok(Path {
            field: *field,
            keys: raw.keys.clone(),
        })
    }

    /// Whether statements may write it (the resource is the process's, set in the
    /// configuration, shared by every span).
    pub(crate) fn is_writable(&self) -> bool {
        self.field != Field::ResourceAttributes
    }
}

/// What a statement runs on: one span, and the resource and scope it will be sent with.
pub(crate) struct Target<'a> {
    pub(crate) span: &'a mut Span,
    pub(crate) resource: &'a Resource,
    pub(crate) scope: &'a Scope,
}

impl Target<'_> {
    fn scope(&self) -> &Scope {
        self.span.scope().unwrap_or(self.scope)
    }

    /// The value at `path`, borrowed where the span holds it (attributes, the name);
    /// `Err` when a key does not fit the value (an index into a string, an index out of
    /// range).
    pub(crate) fn fetch(&self, path: &Path) -> Result<Option<Cow<'_, Value>>, String> {
        let span = &*self.span;
        let owned = |value: Value| Ok(Some(Cow::Owned(value)));
        let text = |text: &str| owned(Value::String(Cow::Owned(text.to_owned())));
        match path.field {
            Field::Name => owned(Value::String(span.name.clone())),
            Field::Kind => owned(Value::Int(span.kind().otlp_code().into())),
            Field::StatusCode => owned(Value::Int(span.status().otlp_code().into())),
            Field::StatusMessage => match span.status() {
                SpanStatus::Error { message } => owned(Value::String(message.clone())),
                _ => text(""),
            },
            Field::Attributes => index(span.attributes().as_slice(), &path.keys),
            Field::ResourceAttributes => index(self.resource.attributes(), &path.keys),
            Field::ScopeName => text(self.scope().name()),
            Field::ScopeVersion => text(self.scope().version().unwrap_or("")),
            Field::TraceId => text(&span.trace_id().to_string()),
            Field::SpanId => text(&span.span_id().to_string()),
            Field::ParentSpanId => text(
                &span
                    .parent_span_id()
                    .map_or(String::new(), |id| id.to_string()),
            ),
            Field::StartTime => owned(Value::Int(span.start_time_unix_nano() as i64)),
            Field::EndTime => owned(Value::Int(span.end_time_unix_nano() as i64)),
            Field::TraceState => text(span.trace_state().unwrap_or("")),
        }
    }

    /// The value at `path`, owned.
    pub(crate) fn get(&self, path: &Path) -> Result<Val, String> {
        Ok(self.fetch(path)?.map(Cow::into_owned))
    }

    /// Writes `value` at `path`. As the Collector's span context does, a value of the wrong
    /// kind for a span field is ignored; `Err` for what cannot be written at all.
    pub(crate) fn set(&mut self, path: &Path, value: Value) -> Result<(), String> {
        let span = &mut *self.span;
        match (path.field, value) {
            (Field::Name, Value::String(name)) => span.name = Cow::Owned(name.into_owned()),
            (Field::Kind, Value::Int(code)) => {
                span.kind = match code {
                    1 => SpanKind::Internal,
                    2 => SpanKind::Server,
                    3 => SpanKind::Client,
                    4 => SpanKind::Producer,
                    5 => SpanKind::Consumer,
                    other => return Err(format!("span kind {other} cannot be sent (1 to 5 can)")),
                }
            }
            (Field::StatusCode, Value::Int(code)) => {
                let message = match span.status() {
                    SpanStatus::Error { message } => message.clone(),
                    _ => Cow::Borrowed(""),
                };
                let status = match code {
                    0 => SpanStatus::Unset,
                    1 => SpanStatus::Ok,
                    2 => SpanStatus::Error { message },
                    other => return Err(format!("status code {other} does not exist (0 to 2 do)")),
                };
                force_status(span, status);
            }
            (Field::StatusMessage, Value::String(message)) => {
                // OpenTelemetry keeps a description only with an error status.
                if let SpanStatus::Error { .. } = span.status() {
                    force_status(span, SpanStatus::error(message.into_owned()));
                }
            }
            (Field::Attributes, value) => {
                let limits = span.limits();
                let attributes = &mut span.attributes;
                match path.keys.split_first() {
                    None => match value {
                        Value::KvList(entries) => {
                            attributes.entries_mut().clear();
                            for entry in entries {
                                attributes.set(
                                    entry.key,
                                    entry.value,
                                    limits.max_attributes,
                                    limits.max_attribute_value_length,
                                );
                            }
                        }
                        other => {
                            return Err(format!(
                                "attributes can be set to a map, not {}",
                                kind_of(&other)
                            ))
                        }
                    },
                    Some((Key::Name(name), [])) => attributes.set_named(
                        name,
                        value,
                        limits.max_attributes,
                        limits.max_attribute_value_length,
                    ),
                    Some((Key::Name(name), rest)) => {
                        match attributes
                            .entries_mut()
                            .iter_mut()
                            .find(|kv| kv.key == *name)
                        {
                            Some(entry) => set_in(&mut entry.value, rest, value)?,
                            // A missing key is created, as maps down to the value.
                            None => attributes.set(
                                Cow::Owned(name.clone()),
                                nested(rest, value)?,
                                limits.max_attributes,
                                limits.max_attribute_value_length,
                            ),
                        }
                    }
                    Some((Key::Index(_), _)) => {
                        return Err("attributes are a map: index it with a key".into())
                    }
                }
            }
            (Field::ScopeName | Field::ScopeVersion, Value::String(text)) => {
                let current = self.span.scope().unwrap_or(self.scope).clone();
                let (name, version) = if path.field == Field::ScopeName {
                    (text.into_owned(), current.version().map(str::to_owned))
                } else {
                    (current.name().to_owned(), Some(text.into_owned()))
                };
                let mut scope = Scope::new(name);
                if let Some(version) = version.filter(|version| !version.is_empty()) {
                    scope = scope.with_version(version);
                }
                for entry in current.attributes() {
                    scope = scope.with_attribute(entry.key.clone(), entry.value.clone());
                }
                self.span.extras_mut().scope = Some(scope);
            }
            (Field::TraceId, Value::String(hex)) => {
                span.trace_id =
                    TraceId::from_hex(&hex).map_err(|error| format!("trace_id.string: {error}"))?
            }
            (Field::SpanId, Value::String(hex)) => {
                span.span_id =
                    SpanId::from_hex(&hex).map_err(|error| format!("span_id.string: {error}"))?
            }
            (Field::ParentSpanId, Value::String(hex)) => {
                span.parent_span_id = if hex.is_empty() {
                    None
                } else {
                    Some(
                        SpanId::from_hex(&hex)
                            .map_err(|error| format!("parent_span_id.string: {error}"))?,
                    )
                }
            }
            (Field::StartTime, Value::Int(time)) if time >= 0 => {
                span.start_time_unix_nano = time as u64
            }
            (Field::EndTime, Value::Int(time)) if time >= 0 => {
                span.end_time_unix_nano = time as u64
            }
            (Field::TraceState, Value::String(state)) => {
                span.extras_mut().trace_state =
                    (!state.is_empty()).then(|| Cow::Owned(state.into_owned()))
            }
            (Field::ResourceAttributes, _) => return Err(
                "resource.attributes are read-only here: the resource is set in the configuration"
                    .into(),
            ),
            // A value of another kind: ignored, as the Collector's span context does.
            _ => {}
        }
        Ok(())
    }

    /// The attributes map at `path` for an editor (`delete_key(attributes, …)`); `None`
    /// when the path holds no map.
    pub(crate) fn map_mut(&mut self, path: &Path) -> Result<Option<MapMut<'_>>, String> {
        if path.field != Field::Attributes {
            return Err("only attributes can be edited".into());
        }
        let limits = self.span.limits();
        let attributes = &mut self.span.attributes;
        let Some((first, rest)) = path.keys.split_first() else {
            return Ok(Some(MapMut {
                entries: attributes.entries_mut(),
                max_count: Some(limits.max_attributes),
            }));
        };
        let Key::Name(name) = first else {
            return Err("attributes are a map: index it with a key".into());
        };
        let Some(entry) = attributes
            .entries_mut()
            .iter_mut()
            .find(|kv| kv.key == *name)
        else {
            return Ok(None);
        };
        let mut value = &mut entry.value;
        for key in rest {
            value = step_mut(value, key)?.ok_or_else(|| "no such key".to_owned())?;
        }
        Ok(match value {
            Value::KvList(entries) => Some(MapMut {
                entries,
                max_count: None,
            }),
            _ => None,
        })
    }
}

/// A map an editor changes: the span's attributes (whose limit still holds) or a map
/// nested in one.
pub(crate) struct MapMut<'a> {
    pub(crate) entries: &'a mut Vec<KeyValue>,
    pub(crate) max_count: Option<u32>,
}

fn force_status(span: &mut Span, status: SpanStatus) {
    span.replace_status(status);
}

/// The value `keys` lead to inside a map, borrowed; nil for a missing key.
fn index<'v>(entries: &'v [KeyValue], keys: &[Key]) -> Result<Option<Cow<'v, Value>>, String> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(Some(Cow::Owned(Value::KvList(entries.to_vec()))));
    };
    let Key::Name(name) = first else {
        return Err("a map is indexed with a key, not a number".into());
    };
    let Some(mut value) = entries
        .iter()
        .find(|kv| kv.key == *name)
        .map(|kv| &kv.value)
    else {
        return Ok(None);
    };
    for key in rest {
        match step(value, key)? {
            Some(next) => value = next,
            None => return Ok(None),
        }
    }
    // An empty value (what `set(…, nil)` leaves) reads as nil, as the Collector's getters
    // read it (`ottlcommon.GetValue`): `String()` of it is nil, and it equals nil.
    if *value == Value::Empty {
        return Ok(None);
    }
    Ok(Some(Cow::Borrowed(value)))
}

fn step<'v>(value: &'v Value, key: &Key) -> Result<Option<&'v Value>, String> {
    match (value, key) {
        (Value::KvList(entries), Key::Name(name)) => Ok(entries
            .iter()
            .find(|kv| kv.key == *name)
            .map(|kv| &kv.value)),
        (Value::Array(items), Key::Index(index)) => usize::try_from(*index)
            .ok()
            .and_then(|index| items.get(index))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "index {index} is out of range for a list of {}",
                    items.len()
                )
            }),
        (other, Key::Name(_)) => Err(format!("{} cannot be indexed with a key", kind_of(other))),
        (other, Key::Index(_)) => Err(format!(
            "{} cannot be indexed with a number",
            kind_of(other)
        )),
    }
}

fn step_mut<'v>(value: &'v mut Value, key: &Key) -> Result<Option<&'v mut Value>, String> {
    match (value, key) {
        (Value::KvList(entries), Key::Name(name)) => Ok(entries
            .iter_mut()
            .find(|kv| kv.key == *name)
            .map(|kv| &mut kv.value)),
        (Value::Array(items), Key::Index(index)) => {
            let length = items.len();
            usize::try_from(*index)
                .ok()
                .and_then(|index| items.get_mut(index))
                .map(Some)
                .ok_or_else(|| format!("index {index} is out of range for a list of {length}"))
        }
        (other, Key::Name(_)) => Err(format!("{} cannot be indexed with a key", kind_of(other))),
        (other, Key::Index(_)) => Err(format!(
            "{} cannot be indexed with a number",
            kind_of(other)
        )),
    }
}

/// Sets `value` at `keys` inside `target`; keys missing from a map are added, as maps
/// down to the value (as the Collector does).
fn set_in(target: &mut Value, keys: &[Key], value: Value) -> Result<(), String> {
    let Some((first, rest)) = keys.split_first() else {
        *target = value;
        return Ok(());
    };
    if let (Value::KvList(entries), Key::Name(name)) = (&mut *target, first) {
        if !entries.iter().any(|kv| kv.key == *name) {
            entries.push(KeyValue::new(name.clone(), nested(rest, value)?));
            return Ok(());
        }
    }
    let next = step_mut(target, first)?.ok_or_else(|| "no such key".to_owned())?;
    set_in(next, rest, value)
}

/// `value` inside maps keyed by `keys` (`["a"]["b"]` → `{a: {b: value}}`).
fn nested(keys: &[Key], value: Value) -> Result<Value, String> {
    let mut value = value;
    for key in keys.iter().rev() {
        match key {
            Key::Name(name) => value = Value::KvList(vec![KeyValue::new(name.clone(), value)]),
            Key::Index(index) => return Err(format!("index {index} into a missing list")),
        }
    }
    Ok(value)
}
