//! Sending a batch: encode it, send each request body, retry what the retry policy allows,
//! and settle every span as exported or dropped. Shared by every backend; the backend
//! supplies the [`Transport`] (HTTP client and timer), so this module does no I/O itself.

// gRPC is native-only and optional (feature `grpc`); the module is pure code, compiled (and
// tested) everywhere.
#[cfg_attr(any(target_arch = "wasm32", not(feature = "grpc")), allow(dead_code))]
mod grpc_status;
mod partial_success;
mod retry_after;
mod wire;

#[cfg_attr(
    any(target_arch = "wasm32", not(feature = "grpc")),
    allow(unused_imports)
)]
pub(crate) use grpc_status::{classify_grpc_code, retry_info_delay};
pub(crate) use partial_success::PartialSuccess;
pub(crate) use retry_after::parse_retry_after;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::encoding::RequestEncoder;
use crate::model::Span;
use crate::retry::{classify_status, RetryPolicy, StatusClass};
use crate::stats::{DropReason, StatsCounters};

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

/// What a backend provides to send requests: an HTTP POST and a timer.
pub(crate) trait Transport {
    /// POSTs one body; `Ok` once the backend acknowledged it with a 2xx status, with the
    /// response's partial success (what it rejected anyway).
    fn send(&self, body: Bytes) -> impl Future<Output = Result<PartialSuccess, SendError>>;

    /// Waits before a retry, on the backend's timer.
    fn wait(&self, duration: Duration) -> impl Future<Output = ()>;
}

/// Exports batches whose spans the caller has already counted as in flight.
pub(crate) struct BatchExporter<T> {
    pub(crate) transport: T,
    pub(crate) encoder: RequestEncoder,
    pub(crate) retry: RetryPolicy,
    pub(crate) stats: Arc<StatsCounters>,
    /// Spans this exporter dropped, so a flush can tell what it lost.
    pub(crate) dropped_by_export: u64,
}

impl<T: Transport> BatchExporter<T> {
    /// Encodes and sends `batch` (emptying it), settling each span as exported or dropped.
    ///
    /// A request the backend refuses as too large (HTTP 413) is split in two and each half
    /// sent on its own, down to single spans; what is refused even alone is dropped as too
    /// large. The spans are kept until every request is settled, for that.
    pub(crate) async fn export(&mut self, batch: &mut Vec<Span>) {
        if batch.is_empty() {
            return;
        }
        let encoded = self.encoder.encode_batch(batch);
        self.dropped_by_export += settle_too_large(&self.stats, encoded.too_large);
        // Requests still to send, the next one last.
        let mut pending = encoded.requests;
        pending.reverse();
        while let Some(request) = pending.pop() {
            let answer =
                send_with_retry(&self.transport, &self.retry, &request.body, &[&self.stats]).await;
            if answer.as_ref().err() == Some(&DropReason::TooLarge) && request.span_count > 1 {
                let spans = &batch[request.first_span..request.first_span + request.span_count];
                let (left, right) = spans.split_at(spans.len() / 2);
                for (half, first_span) in [
                    (right, request.first_span + left.len()),
                    (left, request.first_span),
                ] {
                    let encoded = self.encoder.encode_batch(half);
                    self.dropped_by_export += settle_too_large(&self.stats, encoded.too_large);
                    pending.extend(encoded.requests.into_iter().rev().map(|mut part| {
                        part.first_span += first_span;
                        part
                    }));
                }
                continue;
            }
            self.dropped_by_export += settle_request(
                &self.stats,
                request.span_count as u64,
                request.body.len() as u64,
                answer,
            );
        }
        batch.clear();
    }
}

/// Settles one request's in-flight spans from its answer: a 2xx exports them, except any
/// its partial success rejected (not retried: the backend has decided; its message is
/// recorded); a failure drops them all for `reason`. Returns how many were dropped.
pub(crate) fn settle_request(
    stats: &StatsCounters,
    spans: u64,
    bytes: u64,
    answer: Result<PartialSuccess, DropReason>,
) -> u64 {
    match answer {
        Ok(partial) => {
            let rejected = rejected_spans(stats, spans, &partial);
            stats.settle_exported(spans - rejected, bytes);
            if rejected > 0 {
                stats.settle_dropped(DropReason::Rejected, rejected);
            }
            rejected
        }
        Err(reason) => {
            stats.settle_dropped(reason, spans);
            spans
        }
    }
}

/// Counts spans too large to send even alone as dropped; returns how many.
pub(crate) fn settle_too_large(stats: &StatsCounters, spans: usize) -> u64 {
    if spans > 0 {
        stats.settle_dropped(DropReason::TooLarge, spans as u64);
        stats.record_error(format!(
            "{spans} spans were each larger than the request size limit on their own and were dropped"
        ));
    }
    spans as u64
}

/// How many of a request's `spans` a 2xx response rejected in its partial success; records
/// the backend's message in `stats`.
pub(crate) fn rejected_spans(stats: &StatsCounters, spans: u64, partial: &PartialSuccess) -> u64 {
    let rejected = partial.rejected_spans.min(spans);
    if rejected > 0 {
        stats.record_error(format!(
            "the backend accepted the request but rejected {rejected} spans: {}",
            partial.error_message
        ));
    }
    rejected
}

/// Sends one body until it is accepted, rejected, or the retries run out; every failure
/// and retry is recorded in each of `stats` (a collector's and, in a fan-out, the
/// destination's).
pub(crate) async fn send_with_retry<T: Transport>(
    transport: &T,
    retry: &RetryPolicy,
    body: &Bytes,
    stats: &[&StatsCounters],
) -> Result<PartialSuccess, DropReason> {
    let first_attempt = crate::platform::now_unix_nanos();
    let mut attempt = 0;
    loop {
        let error = match transport.send(body.clone()).await {
            Ok(partial) => return Ok(partial),
            Err(error) => error,
        };
        for counters in stats {
            counters.record_error(error.to_string());
        }
        if !error.is_retryable() {
            return Err(error.drop_reason());
        }
        let retry_after = match &error {
            SendError::Status { retry_after, .. } | SendError::Grpc { retry_after, .. } => {
                *retry_after
            }
            SendError::Network(_) | SendError::Timeout(_) | SendError::Certificate(_) => None,
        };
        let elapsed =
            Duration::from_nanos(crate::platform::now_unix_nanos().saturating_sub(first_attempt));
        let Some(delay) = retry.delay_before_retry(attempt, retry_after, elapsed) else {
            return Err(error.drop_reason());
        };
        transport.wait(delay).await;
        for counters in stats {
            counters.record_retry();
        }
        attempt += 1;
    }
}
