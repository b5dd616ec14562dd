//! # otlp-collector
//!
//! Collects OpenTelemetry spans inside an application, batches them and ships them over
//! OTLP/HTTP to any OpenTelemetry backend — natively on tokio, and (later) in the browser
//! on wasm32, behind one API.
//!
//! The span model, OTLP encoding, batching policy, retry policy and configuration are
//! shared and target-free. The backend — buffer, export loop and transport — is chosen
//! once, below: `native/` (crossbeam, tokio, reqwest) or `wasm/`.
//!
//! # Examples
//! ```no_run
//! use otlp_collector::{Collector, Config, Span, SpanKind, SpanStatus};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let collector = Collector::new(Config::from_env()?.with_service_name("checkout"))?;
//! let span = Span::new("GET /cart")
//!     .with_kind(SpanKind::Server)
//!     .with_attribute("http.response.status_code", 200)
//!     .with_status(SpanStatus::Ok)
//!     .end();
//! collector.collect(span)?;
//! collector.shutdown().await?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod batching;
mod config;
pub mod encoding;
mod error;
mod export;
mod model;
mod retry;
mod stats;

pub use config::{Config, ConfigError, ConfigSource, DEFAULT_ENDPOINT};
pub use encoding::{Compression, Protocol};
pub use error::{CollectError, FlushError, ShutdownError, StartError};
pub use model::*;
pub use retry::RetryPolicy;
pub use stats::{DropReason, Stats};

cfg_if::cfg_if! {
    if #[cfg(target_arch = "wasm32")] {
        mod wasm;
        use wasm as platform;
        pub use wasm::{Collector, JsCollector, JsSpan};
    } else {
        mod native;
        use native as platform;
        pub use native::Collector;
    }
}
