//! # otlp-collector
//!
//! Collects OpenTelemetry spans inside an application, batches them and ships them over
//! OTLP/HTTP to any OpenTelemetry backend — natively on tokio, and in the browser on
//! wasm32 (with a JavaScript API for npm users), behind one API.
//!
//! The span model, OTLP encoding, batching policy, retry policy and configuration are
//! shared and target-free. The backend — buffer, export loop and transport — is chosen
//! once, below: `native/` (crossbeam, tokio, reqwest) or `wasm/`.
//!
//! # Examples
//! Spans go to `Config::from_env()`'s endpoint; here, to the project's loopback receiver.
//! ```
//! use otlp_collector::{Collector, Config, SpanKind, SpanStatus};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let receiver = otlp_test_receiver::Receiver::start().await?;
//! # let endpoint = receiver.endpoint();
//! let config = Config::from_env()?
//!     .with_endpoint(endpoint)
//!     .with_service_name("checkout");
//! let collector = Collector::new(config)?;
//! let request = collector.start_span("GET /cart").with_kind(SpanKind::Server);
//! collector.collect(request.child("SELECT cart").end())?;
//! collector.collect(request.with_status(SpanStatus::Ok).end())?;
//! collector.shutdown().await?;
//!
//! let stats = collector.stats();
//! assert_eq!((stats.exported, stats.dropped()), (2, 0));
//! # assert_eq!(receiver.span_count(), 2);
//! # Ok(())
//! # }
//! ```
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tls` | yes | `https://` endpoints (rustls, webpki roots), `with_ca_certificate`, `with_client_certificate` |
//! | `grpc` | no | `Protocol::Grpc` (tonic); implies `tls` |
//! | `gzip` | no | `Compression::Gzip` (flate2; in the browser, a compact encoder of our own) |
//! | `tracing` | no | `OtlpLayer`: `tracing` spans become OTLP spans; problems logged as `tracing` events |
//!
//! Asking for what a build lacks — in code or through `OTEL_*` variables — is a
//! [`ConfigError::FeatureDisabled`] naming the feature, when the collector starts.
//!
//! With `grpc`, the same collector speaks OTLP/gRPC:
//! ```
//! # #[cfg(feature = "grpc")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use otlp_collector::{Collector, Config, Protocol};
//! # let receiver = otlp_test_receiver::GrpcReceiver::start().await?;
//! # let endpoint = receiver.endpoint();
//! let config = Config::default()
//!     .with_protocol(Protocol::Grpc)
//!     .with_endpoint(endpoint); // e.g. http://localhost:4317
//! let collector = Collector::new(config)?;
//! collector.collect(collector.start_span("over gRPC").end())?;
//! collector.shutdown().await?;
//! assert_eq!(collector.stats().exported, 1);
//! # assert_eq!(receiver.spans().len(), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "grpc"))]
//! # fn main() {}
//! ```
//!
//! With `gzip`, request bodies are compressed (`Content-Encoding: gzip`):
//! ```
//! # #[cfg(feature = "gzip")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use otlp_collector::{Collector, Compression, Config};
//! # let receiver = otlp_test_receiver::Receiver::start().await?;
//! # let endpoint = receiver.endpoint();
//! let config = Config::default()
//!     .with_compression(Compression::Gzip)
//!     .with_endpoint(endpoint);
//! let collector = Collector::new(config)?;
//! collector.collect(collector.start_span("compressed").end())?;
//! collector.shutdown().await?;
//! assert_eq!(collector.stats().exported, 1);
//! # let request = &receiver.requests()[0];
//! # assert_eq!(request.content_encoding.as_deref(), Some("gzip"));
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "gzip"))]
//! # fn main() {}
//! ```
//!
//! Without `tls`, configuring an `https://` endpoint is refused when the collector starts:
//! ```
//! use otlp_collector::{Collector, Config};
//! let started = Collector::new(Config::default().with_endpoint("https://collector.example/v1/traces"));
//! assert_eq!(started.is_ok(), cfg!(feature = "tls"));
//! ```

#![warn(missing_docs)]

mod batch;
mod config;
#[doc(hidden)] // public for the benches only; not a stable API
pub mod encoding;
mod error;
mod export;
// Natively, only the span record's reader and encoder are compiled, for their tests.
#[cfg(any(target_arch = "wasm32", test))]
mod js_api;
mod js_boundary;
#[cfg(feature = "tracing")]
mod layer;
mod model;
mod observe;
// In the browser, only the module of `otlp-collector/opamp` uses it (feature `opamp`).
#[cfg_attr(
    all(target_arch = "wasm32", not(feature = "opamp")),
    allow(dead_code, unused_imports)
)]
mod opamp;
mod platform;
mod propagation;
mod sampling;
mod scoped;
mod transform;

pub use config::{
    Config, ConfigError, ConfigSource, Destination, DEFAULT_ENDPOINT, DEFAULT_GRPC_ENDPOINT,
    DEFAULT_OPAMP_POLL_INTERVAL,
};
pub use encoding::{Compression, Protocol};
pub use error::{CollectError, FlushError, ShutdownError, StartError};
pub use export::retry::RetryPolicy;
#[cfg(feature = "tracing")]
pub use layer::{OtlpLayer, OtlpSpanExt};
pub use model::{
    normalize_trace_state, now_unix_nanos, Attributes, Event, IdError, Key, KeyValue, Link,
    Resource, Scope, Span, SpanContext, SpanId, SpanKind, SpanLimits, SpanStatus, TraceId,
    TraceparentError, Value, MAX_TRACE_STATE_MEMBERS, MAX_VALUE_NESTING, SAMPLED_FLAG,
    UNKNOWN_SERVICE,
};
pub use observe::problems::{Problem, REPORT_INTERVAL};
pub use observe::stats::{DestinationStats, DropReason, Stats};
pub use platform::Collector;
pub use propagation::{extract_context, inject_context};
pub use sampling::Sampler;
pub use scoped::ScopedSpan;
#[doc(hidden)] // for the benches only; not a stable API
pub use transform::BenchRules;
pub use transform::{ErrorMode, RuleError};
