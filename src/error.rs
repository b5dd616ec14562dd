//! The errors a collector returns, one enum per operation. Every message says what
//! happened to the spans and what to change.

use crate::config::ConfigError;

/// Why [`Collector::new`](crate::Collector::new) failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The export thread or its runtime could not be started.
    #[error("could not start the export thread: {0}")]
    ExportThread(String),
    /// The configuration asks for something this build cannot do.
    #[error("not supported here: {0}")]
    Unsupported(&'static str),
    /// The transport (the HTTP client, or the gRPC channel) could not be set up.
    #[error("could not set up the transport: {0}")]
    Transport(String),
    /// A certificate file could not be used.
    #[error("{what} file {path:?}: {reason}")]
    Tls {
        /// What the file was for, e.g. "CA certificate".
        what: &'static str,
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a span was not accepted by `collect`. Either way it is counted as dropped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    /// The buffer is at capacity.
    #[error("span buffer full ({capacity} spans): the span was dropped and counted; raise max_queue_size or use collect_or_wait to wait for room")]
    BufferFull {
        /// The buffer's capacity.
        capacity: usize,
    },
    /// `shutdown` has been called.
    #[error("the collector has shut down: the span was dropped and counted")]
    ShutDown,
}

/// Why `flush` did not deliver everything.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlushError {
    /// The flush timeout passed; the spans stay buffered and will be sent later.
    #[error("flush timed out with {still_buffered} spans still buffered; they will be sent later")]
    TimedOut {
        /// Spans not yet exported.
        still_buffered: u64,
    },
    /// Some spans were dropped during the flush (see `stats()` for the reasons).
    #[error("{dropped} spans could not be delivered and were dropped (see stats() for the reasons; last error: {last_error})")]
    Undelivered {
        /// Spans dropped while flushing.
        dropped: u64,
        /// The last export error.
        last_error: String,
    },
    /// `shutdown` has been called.
    #[error("the collector has shut down")]
    ShutDown,
}

/// Why `shutdown` did not deliver everything.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShutdownError {
    /// The shutdown timeout passed; what was left is counted as dropped.
    #[error("shutdown timed out: {dropped} spans were dropped and counted")]
    TimedOut {
        /// Spans dropped because time ran out.
        dropped: u64,
    },
    /// Some spans could not be delivered (see `stats()` for the reasons).
    #[error("{dropped} spans could not be delivered during shutdown (see stats() for the reasons; last error: {last_error})")]
    Undelivered {
        /// Spans dropped while shutting down.
        dropped: u64,
        /// The last export error.
        last_error: String,
    },
    /// `shutdown` was already called.
    #[error("the collector was already shut down")]
    AlreadyShutDown,
    /// The export thread had stopped on its own (a bug: it panicked); what it held was
    /// dropped and counted.
    #[error("the export thread had stopped unexpectedly: {dropped} spans were dropped and counted (see last_export_error())")]
    ExportStopped {
        /// Spans dropped at or since then.
        dropped: u64,
    },
}
