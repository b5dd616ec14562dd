//! Collector configuration: defaults, a builder, validation that names the bad field, and
//! [`Config::from_env`] for the standard `OTEL_*` variables.
//!
//! # Examples
//! ```
//! use std::time::Duration;
//! use otlp_collector::Config;
//!
//! let config = Config::default()
//!     .with_endpoint("http://collector:4318/v1/traces")
//!     .with_service_name("checkout")
//!     .with_batch_timeout(Duration::from_millis(500));
//! assert!(config.validate().is_ok());
//! ```

mod destination;
mod endpoint;
mod env;
mod error;
mod export_settings;
mod limits;
mod opamp;
mod rules;
mod validate;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::encoding::{Compression, Protocol};
use crate::export::retry::RetryPolicy;
use crate::model::{Key, Resource, Scope, SpanLimits, Value};
use crate::observe::problems::{Problem, ProblemHandler};
use crate::sampling::Sampler;
use crate::transform::ErrorMode;

pub use destination::Destination;
pub(crate) use destination::RedactedHeaders;
pub(crate) use endpoint::redact_password;
pub use env::ConfigSource;
pub use error::ConfigError;
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
pub(crate) use export_settings::ExportSettings;
pub(crate) use limits::{DEFAULT_MAX_REQUEST_BYTES, FRAMING_HEADERS, HEADER_NAME_SYMBOLS};
pub use limits::{MAX_CONCURRENT_EXPORTS_LIMIT, MAX_QUEUE_SIZE_LIMIT, MAX_REQUEST_BYTES_LIMIT};
pub(crate) use opamp::OpampSettings;
pub use opamp::DEFAULT_OPAMP_POLL_INTERVAL;
use validate::check_header;

/// The OTLP/HTTP traces endpoint of a collector on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/traces";

/// The OTLP/gRPC endpoint of a collector on this machine.
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

/// The endpoint a collector on this machine listens on for `protocol`.
fn default_endpoint(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Grpc => DEFAULT_GRPC_ENDPOINT,
        Protocol::HttpProtobuf | Protocol::HttpJson => DEFAULT_ENDPOINT,
    }
}

/// Everything a collector needs: where to send, how to encode, and how to batch.
///
/// Its `Debug` output hides header values and URL passwords, so a configuration can be
/// logged.
#[derive(Clone, PartialEq)]
pub struct Config {
    pub(crate) endpoint: String,
    pub(crate) protocol: Protocol,
    pub(crate) compression: Compression,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) export_timeout: Duration,
    pub(crate) resource: Resource,
    pub(crate) scope: Scope,
    pub(crate) max_queue_size: usize,
    pub(crate) batch_size: usize,
    pub(crate) batch_timeout: Duration,
    pub(crate) max_request_bytes: usize,
    pub(crate) max_concurrent_exports: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) flush_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) span_limits: SpanLimits,
    /// Backends that receive every batch too (fan-out), beside `endpoint`.
    pub(crate) extra_destinations: Vec<Destination>,
    /// A PEM file of CA certificates to trust for `https` endpoints, beside the built-in
    /// roots.
    pub(crate) ca_certificate: Option<PathBuf>,
    /// PEM files of a client certificate and its private key, for mutual TLS.
    pub(crate) client_certificate: Option<(PathBuf, PathBuf)>,
    /// Accept spans and do nothing with them (`OTEL_SDK_DISABLED`).
    pub(crate) disabled: bool,
    /// Which spans are recorded and exported, decided when each starts.
    pub(crate) sampler: Sampler,
    /// Told of failures and drops as they happen.
    pub(crate) problem_handler: Option<ProblemHandler>,
    /// Settings read from the environment that were ignored (warned about, not fatal, as
    /// the SDK configuration specification asks for samplers), reported when a collector
    /// starts.
    pub(crate) ignored_settings: Vec<String>,
    /// OTTL statements run on each span before it is encoded, in order.
    pub(crate) transform: Vec<String>,
    /// OTTL conditions: a span that meets any is dropped (counted as `filtered_out`).
    pub(crate) drop_spans: Vec<String>,
    /// What a statement that fails on a span does.
    pub(crate) rule_error_mode: ErrorMode,
    /// The OpAMP server that manages this collector, if any.
    pub(crate) opamp: Option<OpampSettings>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Config")
            .field("endpoint", &endpoint::redact_password(&self.endpoint))
            .field("protocol", &self.protocol)
            .field("compression", &self.compression)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("export_timeout", &self.export_timeout)
            .field("resource", &self.resource)
            .field("scope", &self.scope)
            .field("max_queue_size", &self.max_queue_size)
            .field("batch_size", &self.batch_size)
            .field("batch_timeout", &self.batch_timeout)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("max_concurrent_exports", &self.max_concurrent_exports)
            .field("retry", &self.retry)
            .field("flush_timeout", &self.flush_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("span_limits", &self.span_limits)
            .field("extra_destinations", &self.extra_destinations)
            .field("ca_certificate", &self.ca_certificate)
            .field("client_certificate", &self.client_certificate)
            .field("disabled", &self.disabled)
            .field("sampler", &self.sampler)
            .field("problem_handler", &self.problem_handler)
            .field("ignored_settings", &self.ignored_settings)
            .field("transform", &self.transform)
            .field("drop_spans", &self.drop_spans)
            .field("rule_error_mode", &self.rule_error_mode)
            .field("opamp", &self.opamp)
            .finish()
    }
}

impl Default for Config {
    /// The OpenTelemetry batch span processor's defaults (queue 2048, batch 512, 5 s
    /// delay), a 10 s request timeout and 4 MiB request bodies.
    fn default() -> Self {
        Config {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            protocol: Protocol::HttpProtobuf,
            compression: Compression::None,
            headers: Vec::new(),
            export_timeout: Duration::from_secs(10),
            resource: Resource::default(),
            scope: Scope::default(),
            max_queue_size: 2048,
            batch_size: 512,
            batch_timeout: Duration::from_millis(5000),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_concurrent_exports: 1,
            retry: RetryPolicy::default(),
            flush_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
            span_limits: SpanLimits::default(),
            extra_destinations: Vec::new(),
            ca_certificate: None,
            client_certificate: None,
            disabled: false,
            sampler: Sampler::default(),
            problem_handler: None,
            ignored_settings: Vec::new(),
            transform: Vec::new(),
            drop_spans: Vec::new(),
            rule_error_mode: ErrorMode::default(),
            opamp: None,
        }
    }
}

impl Config {
    /// Defaults overridden by the process environment's `OTEL_*` variables; see
    /// [`Config::from_source`] for the list.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_source(&|name: &str| std::env::var(name).ok())
    }

    /// Defaults overridden by `OTEL_*` variables looked up in `source`.
    ///
    /// Reads `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` (for HTTP the generic one gets
    /// `/v1/traces` appended), `_HEADERS`, `_TIMEOUT`, `_PROTOCOL`, `_COMPRESSION`,
    /// `_CERTIFICATE`, `_CLIENT_CERTIFICATE` and `_CLIENT_KEY`, `OTEL_SDK_DISABLED`,
    /// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_SCHEDULE_DELAY`,
    /// `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`,
    /// `OTEL_BSP_MAX_CONCURRENT_EXPORTS` and the `OTEL_SPAN_*_LIMIT` /
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` limits. Empty variables count as unset.
    pub fn from_source(source: &dyn ConfigSource) -> Result<Config, ConfigError> {
        let config = env::apply(Config::default(), source)?;
        config.validate()?;
        Ok(config)
    }

    /// Sets the full URL of the traces endpoint (nothing is appended).
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = url.into();
        self
    }

    /// Sets the protocol. An endpoint still at the old protocol's default moves to the new
    /// one's (`localhost:4318/v1/traces` for HTTP, `localhost:4317` for gRPC).
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        if self.endpoint == default_endpoint(self.protocol) {
            self.endpoint = default_endpoint(protocol).to_owned();
        }
        self.protocol = protocol;
        self
    }

    /// Sets the body compression.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Adds a header sent with every request to the main endpoint (e.g. its API key); a
    /// [`Destination`] added for fan-out gets only its own headers.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers
            .retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Also sends every batch to `destination`. Each batch is encoded once and shared by all
    /// destinations; each retries on its own, so a slow or failing one does not hold the
    /// others back (native builds; the browser build refuses it).
    pub fn with_destination(mut self, destination: Destination) -> Self {
        self.extra_destinations.push(destination);
        self
    }

    /// Every destination: the main endpoint with `headers`, then the added ones.
    pub fn destinations(&self) -> Vec<Destination> {
        std::iter::once(self.main_destination())
            .chain(self.extra_destinations.iter().cloned())
            .collect()
    }

    /// Sets the time one export request may take.
    pub fn with_export_timeout(mut self, timeout: Duration) -> Self {
        self.export_timeout = timeout;
        self
    }

    /// Sets `service.name` on the resource.
    pub fn with_service_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.resource
            .set_attribute("service.name".into(), Value::String(name.into()));
        self
    }

    /// Names the service unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` (or an
    /// earlier call) already did: a program's own default that the environment overrides.
    ///
    /// # Examples
    /// ```
    /// use otlp_collector::Config;
    /// let variables = |name: &str| (name == "OTEL_SERVICE_NAME").then(|| "checkout-eu".to_owned());
    /// let config = Config::from_source(&variables)?.with_default_service_name("checkout");
    /// assert_eq!(config.resource().service_name(), "checkout-eu");
    /// # Ok::<(), otlp_collector::ConfigError>(())
    /// ```
    pub fn with_default_service_name(self, name: impl Into<Cow<'static, str>>) -> Self {
        if self.resource.service_name() == crate::model::UNKNOWN_SERVICE {
            self.with_service_name(name)
        } else {
            self
        }
    }

    /// Adds or overwrites a resource attribute.
    pub fn with_resource_attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.resource.set_attribute(key.into(), value.into());
        self
    }

    /// Replaces the resource.
    pub fn with_resource(mut self, resource: Resource) -> Self {
        self.resource = resource;
        self
    }

    /// Sets the scope for spans that do not name their own.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Sets how many spans the buffer holds before `collect` reports it full.
    pub fn with_max_queue_size(mut self, spans: usize) -> Self {
        self.max_queue_size = spans;
        self
    }

    /// Sets how many spans fill a batch.
    pub fn with_batch_size(mut self, spans: usize) -> Self {
        self.batch_size = spans;
        self
    }

    /// Sets how many export requests may be in flight at once per destination (default 1).
    /// More overlap encoding with sending and the backend's work with ours, for high
    /// volumes; batches may then arrive out of order (native builds; the browser build
    /// refuses more than 1).
    pub fn with_max_concurrent_exports(mut self, requests: usize) -> Self {
        self.max_concurrent_exports = requests;
        self
    }

    /// Sets how long a partial batch waits, from its first span, before it goes out.
    pub fn with_batch_timeout(mut self, timeout: Duration) -> Self {
        self.batch_timeout = timeout;
        self
    }

    /// Sets the largest request body before compression; larger batches are split. Set it
    /// to the receiver's limit when that is lower than the default 4 MiB (the
    /// OpenTelemetry Collector's `max_request_body_size`, 20 MiB by default, counts the
    /// decompressed body and answers 400 "request body too large" above it).
    pub fn with_max_request_bytes(mut self, bytes: usize) -> Self {
        self.max_request_bytes = bytes;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how long `flush` waits for its exports.
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// Sets how long `shutdown` may take before dropping what is left.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Sets the limits for spans started by the collector.
    pub fn with_span_limits(mut self, limits: SpanLimits) -> Self {
        self.span_limits = limits;
        self
    }

    /// The traces endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The encoding.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The compression.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The headers sent to the main endpoint.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The resource.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// The buffer capacity.
    pub fn max_queue_size(&self) -> usize {
        self.max_queue_size
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// How many export requests may be in flight at once per destination.
    pub fn max_concurrent_exports(&self) -> usize {
        self.max_concurrent_exports
    }

    /// The batch timeout.
    pub fn batch_timeout(&self) -> Duration {
        self.batch_timeout
    }

    /// The request timeout.
    pub fn export_timeout(&self) -> Duration {
        self.export_timeout
    }

    /// The span limits.
    pub fn span_limits(&self) -> SpanLimits {
        self.span_limits
    }

    /// The instrumentation scope of spans the collector starts.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The largest request body before compression; larger batches are split.
    pub fn max_request_bytes(&self) -> usize {
        self.max_request_bytes
    }

    /// How long `flush` waits at most.
    pub fn flush_timeout(&self) -> Duration {
        self.flush_timeout
    }

    /// How long `shutdown` waits at most.
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// The PEM file of CA certificates trusted beside the built-in roots, if any.
    pub fn ca_certificate(&self) -> Option<&Path> {
        self.ca_certificate.as_deref()
    }

    /// The client certificate and private key files for mutual TLS, if any.
    pub fn client_certificate(&self) -> Option<(&Path, &Path)> {
        self.client_certificate
            .as_ref()
            .map(|(certificate, key)| (certificate.as_path(), key.as_path()))
    }

    /// The protocol or compression asked for whose cargo feature this build lacks.
    fn missing_feature(&self) -> Option<(&'static str, &'static str)> {
        if self.protocol == Protocol::Grpc && !cfg!(feature = "grpc") {
            return Some(("protocol grpc", "grpc"));
        }
        if self.protocol == Protocol::HttpJson && !cfg!(feature = "json") {
            return Some(("protocol http/json", "json"));
        }
        if self.compression == Compression::Gzip && !cfg!(feature = "gzip") {
            return Some(("compression gzip", "gzip"));
        }
        if cfg!(not(feature = "transform"))
            && (!self.transform.is_empty() || !self.drop_spans.is_empty())
        {
            return Some(("transform and drop rules", "transform"));
        }
        // Browsers do TLS themselves; natively it is the `tls` feature.
        if cfg!(all(not(target_arch = "wasm32"), not(feature = "tls"))) {
            let https = self
                .destinations()
                .iter()
                .any(|destination| destination.endpoint.starts_with("https://"));
            if https {
                return Some(("an https:// endpoint", "tls"));
            }
            if self.ca_certificate.is_some() || self.client_certificate.is_some() {
                return Some(("certificate files", "tls"));
            }
        }
        None
    }

    /// Trusts the CA certificates in the PEM file at `path` for `https` endpoints, beside
    /// the built-in roots (`OTEL_EXPORTER_OTLP_CERTIFICATE`). Read when the collector
    /// starts; native builds only (browsers use their own certificate store).
    pub fn with_ca_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_certificate = Some(path.into());
        self
    }

    /// Presents the client certificate and private key in these PEM files to `https`
    /// endpoints that ask for one: mutual TLS (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`). Read when the collector starts; native builds only.
    pub fn with_client_certificate(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.client_certificate = Some((certificate.into(), key.into()));
        self
    }

    /// With `true`, the collector accepts spans and does nothing with them: nothing is
    /// counted, buffered or sent (`OTEL_SDK_DISABLED=true`). For turning telemetry off
    /// without changing the code that produces it.
    pub fn with_disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// Whether the collector is switched off (see [`with_disabled`](Self::with_disabled)).
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// Decides which spans are recorded and exported, as each starts
    /// (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`); `ParentBasedAlwaysOn` by default.
    pub fn with_sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = sampler;
        self
    }

    /// The sampler in use.
    pub fn sampler(&self) -> Sampler {
        self.sampler
    }

    /// Environment settings that were invalid and ignored (the default applies instead),
    /// each naming its variable. A collector reports each as
    /// [`Problem::SettingIgnored`] when it starts.
    pub fn ignored_settings(&self) -> &[String] {
        &self.ignored_settings
    }

    /// Calls `handler` with each problem as it happens — an export that failed, spans
    /// dropped, with their reason — rate-limited per kind (the first at once, then one report
    /// every 10 s with how many it stands for). It runs on the collector's export thread or
    /// in `collect`, so it should be quick; it must not collect spans itself.
    pub fn with_problem_handler(
        mut self,
        handler: impl Fn(&Problem) + Send + Sync + 'static,
    ) -> Self {
        self.problem_handler = Some(ProblemHandler(std::sync::Arc::new(handler)));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn zero_sizes_name_the_field() {
        let cases = [
            (Config::default().with_batch_size(0), "batch_size"),
            (Config::default().with_max_queue_size(0), "max_queue_size"),
            (
                Config::default().with_max_request_bytes(0),
                "max_request_bytes",
            ),
            (
                Config::default().with_batch_timeout(Duration::ZERO),
                "batch_timeout",
            ),
        ];
        for (config, field) in cases {
            assert_eq!(config.validate(), Err(ConfigError::Zero { field }));
            assert!(config.validate().unwrap_err().to_string().contains(field));
        }
    }

    #[test]
    fn batch_larger_than_queue_is_refused() {
        let config = Config::default()
            .with_max_queue_size(100)
            .with_batch_size(200);
        assert_eq!(
            config.validate(),
            Err(ConfigError::BatchLargerThanQueue {
                batch_size: 200,
                max_queue_size: 100
            })
        );
    }

    #[test]
    fn bad_endpoint_and_headers_are_refused() {
        let error = Config::default().with_endpoint("localhost:4318").validate();
        assert!(matches!(error, Err(ConfigError::InvalidEndpoint { .. })));
        let error = Config::default().with_header("x key", "v").validate();
        assert!(matches!(error, Err(ConfigError::InvalidHeader { .. })));
        let error = Config::default()
            .with_header("x-key", "line\nbreak")
            .validate();
        assert!(matches!(error, Err(ConfigError::InvalidHeader { .. })));
    }

    #[test]
    fn framing_headers_are_refused_in_any_case() {
        for name in [
            "Content-Length",
            "content-type",
            "CONTENT-ENCODING",
            "Host",
            "transfer-encoding",
        ] {
            let error = Config::default().with_header(name, "1").validate();
            assert!(
                matches!(&error, Err(ConfigError::InvalidHeader { name: refused, .. }) if refused == name),
                "{name}: {error:?}"
            );
        }
        let destination =
            Destination::new("http://localhost:4318/v1/traces").with_header("content-length", "1");
        assert!(Config::default()
            .with_destination(destination)
            .validate()
            .is_err());
    }

    #[test]
    fn sizes_past_their_bounds_and_odd_retry_growth_are_refused() {
        for queue in [MAX_QUEUE_SIZE_LIMIT + 1, usize::MAX / 2, usize::MAX] {
            let error = Config::default()
                .with_max_queue_size(queue)
                .validate()
                .unwrap_err();
            assert!(error.to_string().contains("max_queue_size"), "{error}");
        }
        let error = Config::default()
            .with_max_request_bytes(usize::MAX)
            .validate();
        assert!(matches!(
            error,
            Err(ConfigError::TooLarge {
                field: "max_request_bytes",
                ..
            })
        ));
        for multiplier in [f64::NAN, f64::INFINITY, 0.5, -2.0] {
            let retry = RetryPolicy {
                multiplier,
                ..RetryPolicy::default()
            };
            let error = Config::default().with_retry(retry).validate();
            assert!(
                matches!(error, Err(ConfigError::InvalidRetry(_))),
                "{multiplier}"
            );
        }
        assert_eq!(
            Config::default()
                .with_max_queue_size(MAX_QUEUE_SIZE_LIMIT)
                .validate(),
            Ok(())
        );
    }

    #[test]
    fn debug_output_hides_header_values_and_url_passwords() {
        let config = Config::default()
            .with_endpoint("https://user:hunter2@otel.example.com/v1/traces")
            .with_header("api-key", "secret-123")
            .with_destination(
                Destination::new("https://u:pw-456@other.example.com/v1/traces")
                    .with_header("authorization", "Bearer token-789"),
            );
        let printed = format!("{config:?} {:#?}", config.destinations());
        for secret in ["hunter2", "secret-123", "pw-456", "token-789"] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        for visible in ["api-key", "authorization", "otel.example.com", "user"] {
            assert!(
                printed.contains(visible),
                "{visible} missing from {printed}"
            );
        }
    }

    #[test]
    fn builder_sets_service_name_and_replaces_headers() {
        let config = Config::default()
            .with_service_name("checkout")
            .with_header("X-Key", "a")
            .with_header("x-key", "b");
        assert_eq!(config.resource().service_name(), "checkout");
        assert_eq!(config.headers(), &[("x-key".to_owned(), "b".to_owned())]);
    }
}
