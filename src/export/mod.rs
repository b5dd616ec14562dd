//! Sending a batch: encode it, send each request body, retry what the retry policy allows,
//! and settle every span as exported or dropped. Shared by every backend, and without I/O:
//! [`ExportJob`] says what to send and what to do with each answer; the backend sends.

// gRPC is native-only and optional (feature `grpc`); the module is pure code, compiled (and
// tested) everywhere.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))] // browsers' JavaScript words errors
mod error_status;
#[cfg_attr(any(target_arch = "wasm32", not(feature = "grpc")), allow(dead_code))]
mod grpc_status;
mod job;
mod partial_success;
pub(crate) mod retry;
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod retry_after;
pub(crate) mod wire;

#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
pub(crate) use error_status::error_text;
#[cfg_attr(
    any(target_arch = "wasm32", not(feature = "grpc")),
    allow(unused_imports)
)]
pub(crate) use grpc_status::{classify_grpc_code, retry_info_delay};
pub(crate) use job::{ExportJob, NextSend};
pub(crate) use partial_success::PartialSuccess;
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
// browsers' JavaScript reads the header
pub(crate) use retry_after::parse_retry_after;

use std::time::Duration;

use crate::export::retry::{classify_status, StatusClass};
use crate::observe::stats::{DropReason, StatsCounters};

/// Why one request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// The backend answered with a non-success status.
    #[error("HTTP {status}: {body}")]
    Status {
        status: u16,
        /// The start of the response body, for the error message.
        body: String,
        /// How long the backend asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The gRPC backend answered with a non-OK status.
    #[cfg_attr(any(target_arch = "wasm32", not(feature = "grpc")), allow(dead_code))]
    #[error("gRPC status {} ({code}): {message}", grpc_status::code_name(*.code))]
    Grpc {
        code: i32,
        message: String,
        /// The server's `RetryInfo` delay, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The request did not complete (refused, reset, …).
    #[error("network error: {0}")]
    Network(String),
    /// The TLS handshake failed on a certificate: permanent until the certificates or the
    /// configuration change, so never retried.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // browsers do TLS themselves
    #[error("TLS: {0}")]
    Certificate(String),
    /// No answer within the request timeout; the backend may still have taken the spans.
    #[error("request timed out after {} ms", .0.as_millis() as u64)]
    Timeout(Duration),
}

impl SendError {
    /// Whether sending the same body again may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            SendError::Status { status, .. } => classify_status(*status) == StatusClass::Retryable,
            SendError::Grpc {
                code, retry_after, ..
            } => classify_grpc_code(*code, retry_after.is_some()) == StatusClass::Retryable,
            SendError::Network(_) | SendError::Timeout(_) => true,
            SendError::Certificate(_) => false,
        }
    }

    /// How long the backend asked us to wait before trying again, if it said.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::Status { retry_after, .. } | SendError::Grpc { retry_after, .. } => {
                *retry_after
            }
            SendError::Network(_) | SendError::Timeout(_) | SendError::Certificate(_) => None,
        }
    }

    /// How the request's spans are counted when this was its last attempt.
    pub(crate) fn drop_reason(&self) -> DropReason {
        match self {
            SendError::Timeout(_) => DropReason::TimedOut,
            SendError::Status { status: 413, .. } => DropReason::TooLarge,
            _ if self.is_retryable() => DropReason::RetriesExhausted,
            _ => DropReason::Rejected,
        }
    }
}

/// What went wrong with an export, kept as data until someone words it: native drivers
/// record its text; the browser core hands its parts to JavaScript, which words it, so no
/// formatting code ships in the package.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportProblem {
    /// A request failed (its last attempt, or one that will be retried).
    #[error("{0}")]
    Failed(SendError),
    /// A 2xx response's partial success rejected some spans.
    #[error("the backend accepted the request but rejected {spans} spans: {message}")]
    Rejected { spans: u64, message: String },
    /// Spans larger than the request size limit on their own.
    #[error(
        "{0} spans were each larger than the request size limit on their own and were dropped"
    )]
    TooLarge(usize),
}

/// Settles one request's in-flight spans from its answer: a 2xx exports them, except any
/// its partial success rejected (not retried: the backend has decided; its message is
/// returned); a failure drops them all for `reason`. Returns how many were dropped.
pub(crate) fn settle_request(
    stats: &StatsCounters,
    spans: u64,
    bytes: u64,
    answer: Result<PartialSuccess, DropReason>,
) -> (u64, Option<ExportProblem>) {
    match answer {
        Ok(partial) => {
            let rejected = rejected_spans(spans, partial);
            let count = rejected.as_ref().map_or(0, |problem| match problem {
                ExportProblem::Rejected { spans, .. } => *spans,
                _ => 0,
            });
            stats.settle_exported(spans - count, bytes);
            if count > 0 {
                stats.settle_dropped(DropReason::Rejected, count);
            }
            (count, rejected)
        }
        Err(reason) => {
            stats.settle_dropped(reason, spans);
            (spans, None)
        }
    }
}

/// Counts spans too large to send even alone as dropped; returns how many, and the problem.
pub(crate) fn settle_too_large(
    stats: &StatsCounters,
    spans: usize,
) -> (u64, Option<ExportProblem>) {
    if spans == 0 {
        return (0, None);
    }
    stats.settle_dropped(DropReason::TooLarge, spans as u64);
    (spans as u64, Some(ExportProblem::TooLarge(spans)))
}

/// What a 2xx response's partial success rejected of a request's `spans`, if anything.
pub(crate) fn rejected_spans(spans: u64, partial: PartialSuccess) -> Option<ExportProblem> {
    let rejected = partial.rejected_spans.min(spans);
    (rejected > 0).then_some(ExportProblem::Rejected {
        spans: rejected,
        message: partial.error_message,
    })
}
