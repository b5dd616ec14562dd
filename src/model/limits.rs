//! Span limits with the OpenTelemetry SDK defaults, and the attribute list that obeys them.
//!
//! Limits are applied when data is added, so a span never holds more than it will send and
//! every entry it refused shows up in the `dropped_*_count` fields the backend receives.

use std::borrow::Cow;

use super::value::{Key, KeyValue, Value};

/// How much one span may hold. Defaults are the OpenTelemetry SDK's (128 of each, no
/// length limit); `OTEL_SPAN_*_COUNT_LIMIT` and `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` override them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanLimits {
    /// Attributes per span.
    pub max_attributes: u32,
    /// Events per span.
    pub max_events: u32,
    /// Links per span.
    pub max_links: u32,
    /// Attributes per event.
    pub max_attributes_per_event: u32,
    /// Attributes per link.
    pub max_attributes_per_link: u32,
    /// Longest text (in characters) or byte value kept; longer ones are truncated.
    pub max_attribute_value_length: Option<u32>,
}

impl Default for SpanLimits {
    fn default() -> Self {
        SpanLimits {
            max_attributes: 128,
            max_events: 128,
            max_links: 128,
            max_attributes_per_event: 128,
            max_attributes_per_link: 128,
            max_attribute_value_length: None,
        }
    }
}

/// An attribute list with unique keys and a count of what was refused.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes {
    entries: Vec<KeyValue>,
    dropped: u32,
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = &'a KeyValue;
    type IntoIter = std::slice::Iter<'a, KeyValue>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A key for [`Attributes::store`]: moved in, or copied only if the entry is new.
enum NewKey<'a> {
    Given(Key),
    Copied(&'a str),
}

impl Attributes {
    /// An empty list with room for `capacity` entries (one allocation when the count is
    /// known, as a `tracing` callsite's fields are).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))] // the `tracing` layer's
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Attributes {
            entries: Vec::with_capacity(capacity),
            dropped: 0,
        }
    }

    /// A list as it was kept: entries already within the limits, and the refused count.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the native span records'
    pub(crate) fn from_parts(entries: Vec<KeyValue>, dropped: u32) -> Self {
        Attributes { entries, dropped }
    }

    /// The entries, given up (the refused count is read first).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the native span records'
    pub(crate) fn into_entries(self) -> Vec<KeyValue> {
        self.entries
    }

    /// Makes room for `additional` more entries.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))] // the `tracing` layer's
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
    }

    /// Sets `key`, overwriting an existing entry; a new key beyond `max_count` is dropped
    /// and counted, and so is a value nesting deeper than
    /// [`MAX_VALUE_NESTING`](super::value::MAX_VALUE_NESTING). Values longer than
    /// `max_value_length` are truncated.
    pub(crate) fn set(
        &mut self,
        key: Key,
        value: Value,
        max_count: u32,
        max_value_length: Option<u32>,
    ) {
        self.store(NewKey::Given(key), value, max_count, max_value_length);
    }

    /// Like [`set`](Self::set) for a key given as text: it is copied only when the entry is
    /// new (a transform rule rewriting an attribute costs no allocation for the key).
    #[cfg_attr(not(feature = "transform"), allow(dead_code))]
    pub(crate) fn set_named(
        &mut self,
        key: &str,
        value: Value,
        max_count: u32,
        max_value_length: Option<u32>,
    ) {
        self.store(NewKey::Copied(key), value, max_count, max_value_length);
    }

    /// The one scan of [`set`](Self::set): `value` replaces the entry of that key, or is
    /// added when there is room.
    fn store(
        &mut self,
        key: NewKey<'_>,
        mut value: Value,
        max_count: u32,
        max_value_length: Option<u32>,
    ) {
        if value.nests_too_deep() {
            value.drop_iteratively();
            self.dropped = self.dropped.saturating_add(1);
            return;
        }
        if let Some(max_len) = max_value_length {
            value.truncate(max_len as usize);
        }
        let name = match &key {
            NewKey::Given(key) => key.as_ref(),
            NewKey::Copied(key) => key,
        };
        if let Some(existing) = self.entries.iter_mut().find(|kv| kv.key == name) {
            existing.value = value;
        } else if self.entries.len() < max_count as usize {
            let key = match key {
                NewKey::Given(key) => key,
                NewKey::Copied(key) => Cow::Owned(key.to_owned()),
            };
            self.entries.push(KeyValue { key, value });
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// The entries, for rules that rename, remove or rewrite them in place (a transform
    /// adds entries through [`set`](Self::set), so the limits still hold).
    #[cfg_attr(not(feature = "transform"), allow(dead_code))]
    pub(crate) fn entries_mut(&mut self) -> &mut Vec<KeyValue> {
        &mut self.entries
    }

    /// Counts `count` entries refused before they got here (e.g. by the JavaScript API,
    /// for values of a type OTLP cannot carry).
    #[allow(dead_code)] // only the browser package refuses values before they are set
    pub(crate) fn record_dropped(&mut self, count: u32) {
        self.dropped = self.dropped.saturating_add(count);
    }

    /// Re-applies limits to a list built without them (events and links are built before
    /// they are added to a span).
    pub(crate) fn enforce(&mut self, max_count: u32, max_value_length: Option<u32>) {
        let max_count = max_count as usize;
        if self.entries.len() > max_count {
            let excess = self.entries.len() - max_count;
            self.entries.truncate(max_count);
            self.dropped = self.dropped.saturating_add(excess as u32);
        }
        if let Some(max_len) = max_value_length {
            for entry in &mut self.entries {
                entry.value.truncate(max_len as usize);
            }
        }
    }

    /// The kept attributes, in the order they were first set.
    pub fn iter(&self) -> std::slice::Iter<'_, KeyValue> {
        self.as_slice().iter()
    }

    /// The kept attributes, in insertion order.
    pub fn as_slice(&self) -> &[KeyValue] {
        &self.entries
    }

    /// How many attributes were refused by the count limit.
    pub fn dropped_count(&self) -> u32 {
        self.dropped
    }

    /// Whether nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overwrites_existing_keys_without_counting_a_drop() {
        let mut attributes = Attributes::default();
        attributes.set("a".into(), 1.into(), 1, None);
        attributes.set("a".into(), 2.into(), 1, None);
        assert_eq!(attributes.as_slice(), &[KeyValue::new("a", 2)]);
        assert_eq!(attributes.dropped_count(), 0);
    }

    #[test]
    fn counts_attributes_beyond_the_limit() {
        let mut attributes = Attributes::default();
        for i in 0..200 {
            attributes.set(format!("k{i}").into(), i.into(), 128, None);
        }
        assert_eq!(attributes.as_slice().len(), 128);
        assert_eq!(attributes.dropped_count(), 72);
    }

    #[test]
    fn values_nested_too_deep_are_dropped_and_counted() {
        let mut deep = Value::from(1);
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        let mut attributes = Attributes::default();
        attributes.set("deep".into(), deep, 128, None);
        attributes.set("ok".into(), Value::Array(vec![Value::from(1)]), 128, None);
        assert_eq!(attributes.as_slice().len(), 1);
        assert_eq!(attributes.dropped_count(), 1);
    }

    #[test]
    fn enforce_truncates_lists_built_without_limits() {
        let mut attributes = Attributes::default();
        for i in 0..5 {
            attributes.set(format!("k{i}").into(), "long value".into(), u32::MAX, None);
        }
        attributes.enforce(3, Some(4));
        assert_eq!(attributes.as_slice().len(), 3);
        assert_eq!(attributes.dropped_count(), 2);
        assert_eq!(attributes.as_slice()[0].value, Value::from("long"));
    }
}
