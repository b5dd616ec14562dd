//! Who produced the spans: the resource (`service.name` and friends) and the
//! instrumentation scope (the library or module that made them).

use std::borrow::Cow;
use std::sync::Arc;

use super::value::{Key, KeyValue, Value};

/// The service name OpenTelemetry uses when none is configured.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

pub(crate) const SERVICE_NAME: &str = "service.name";

/// The entity producing telemetry. Always carries `service.name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    attributes: Vec<KeyValue>,
}

impl Resource {
    /// A resource for `service_name`.
    pub fn new(service_name: impl Into<Cow<'static, str>>) -> Self {
        Resource {
            attributes: vec![KeyValue::new(
                SERVICE_NAME,
                Value::String(service_name.into()),
            )],
        }
    }

    /// Adds or overwrites an attribute; setting `service.name` renames the service. A value
    /// nesting deeper than [`MAX_VALUE_NESTING`](super::value::MAX_VALUE_NESTING) is ignored.
    pub fn with_attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.set_attribute(key.into(), value.into());
        self
    }

    pub(crate) fn set_attribute(&mut self, key: Key, value: Value) {
        if value.nests_too_deep() {
            value.drop_iteratively();
            return;
        }
        match self.attributes.iter_mut().find(|kv| kv.key == key) {
            Some(existing) => existing.value = value,
            None => self.attributes.push(KeyValue { key, value }),
        }
    }

    /// The `service.name` attribute.
    pub fn service_name(&self) -> &str {
        match self.attributes.iter().find(|kv| kv.key == SERVICE_NAME) {
            Some(KeyValue {
                value: Value::String(name),
                ..
            }) => name,
            _ => UNKNOWN_SERVICE,
        }
    }

    /// All attributes, `service.name` first.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }
}

impl Default for Resource {
    fn default() -> Self {
        Resource::new(UNKNOWN_SERVICE)
    }
}

/// The instrumentation scope: the library or module that created a span. Cheap to clone
/// (shared), so every span of a scope points at one copy.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    fields: Arc<ScopeFields>,
}

#[derive(Clone, Debug, PartialEq)]
struct ScopeFields {
    name: Cow<'static, str>,
    version: Option<Cow<'static, str>>,
    attributes: Vec<KeyValue>,
}

impl Scope {
    /// A scope named after the instrumenting library, e.g. `my-http-server`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Scope {
            fields: Arc::new(ScopeFields {
                name: name.into(),
                version: None,
                attributes: Vec::new(),
            }),
        }
    }

    /// Sets the library version.
    pub fn with_version(mut self, version: impl Into<Cow<'static, str>>) -> Self {
        Arc::make_mut(&mut self.fields).version = Some(version.into());
        self
    }

    /// Adds an attribute describing the scope. A value nesting deeper than
    /// [`MAX_VALUE_NESTING`](super::value::MAX_VALUE_NESTING) is ignored.
    pub fn with_attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        let value = value.into();
        if value.nests_too_deep() {
            value.drop_iteratively();
            return self;
        }
        Arc::make_mut(&mut self.fields).attributes.push(KeyValue {
            key: key.into(),
            value,
        });
        self
    }

    /// The scope's name.
    pub fn name(&self) -> &str {
        &self.fields.name
    }

    /// The scope's version, if set.
    pub fn version(&self) -> Option<&str> {
        self.fields.version.as_deref()
    }

    /// The scope's attributes.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.fields.attributes
    }

    /// The handle as a pointer, for a span record to carry (the scope stays alive until
    /// [`from_raw`](Self::from_raw) takes it back).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the native span records'
    pub(crate) fn into_raw(self) -> *const () {
        Arc::into_raw(self.fields).cast()
    }

    /// Takes back a handle [`into_raw`](Self::into_raw) gave.
    ///
    /// # Safety
    /// `raw` comes from `into_raw` and is taken back once.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) unsafe fn from_raw(raw: *const ()) -> Scope {
        // SAFETY: the caller's contract: `raw` is an `Arc<ScopeFields>` given up once.
        Scope {
            fields: unsafe { Arc::from_raw(raw.cast::<ScopeFields>()) },
        }
    }

    /// How many handles share this scope (the span records' tests check none is leaked).
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(crate) fn handles(&self) -> usize {
        Arc::strong_count(&self.fields)
    }

    /// Whether two handles are the same scope (cheap pointer test first).
    pub(crate) fn same_as(&self, other: &Scope) -> bool {
        Arc::ptr_eq(&self.fields, &other.fields) || self.fields == other.fields
    }
}

/// The scope of spans that name none: this library.
pub(crate) const DEFAULT_SCOPE: (&str, &str) = (env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));

impl Default for Scope {
    fn default() -> Self {
        Scope::new(DEFAULT_SCOPE.0).with_version(DEFAULT_SCOPE.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_always_has_a_service_name() {
        assert_eq!(Resource::default().service_name(), UNKNOWN_SERVICE);
        let resource = Resource::new("checkout").with_attribute("service.name", "cart");
        assert_eq!(resource.service_name(), "cart");
        assert_eq!(resource.attributes().len(), 1);
    }

    #[test]
    fn scopes_compare_by_content() {
        let a = Scope::new("lib").with_version("1.0");
        let b = Scope::new("lib").with_version("1.0");
        assert!(a.same_as(&b));
        assert!(!a.same_as(&Scope::new("other")));
        assert_eq!(a.version(), Some("1.0"));
    }
}
