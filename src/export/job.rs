//! One batch on its way out, as a state machine that does no I/O: it gives the body to
//! send, takes the answer, and says what comes next — the next body, the same one again
//! after a wait, or nothing. The native exporter drives it with `await`s; the browser
//! drives it from JavaScript, which does the `fetch` and the timers. Retries, `Retry-After`,
//! 413 splits, partial success and settling every span as exported or dropped are written
//! here once.

use std::time::Duration;

use bytes::Bytes;

use super::{settle_request, settle_too_large, ExportProblem, PartialSuccess, SendError};
use crate::encoding::{EncodedRequest, RequestEncoder};
use crate::export::retry::RetryPolicy;
use crate::model::Span;
use crate::observe::stats::{DropReason, StatsCounters};

/// What the driver of an [`ExportJob`] does after an answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum NextSend {
    /// Send [`ExportJob::body`] now (the next request, or a retry without a wait).
    Now,
    /// Wait this long, then send [`ExportJob::body`] (the same body again).
    After(Duration),
    /// Every span of the job is settled.
    Done,
}

/// The retries of one request body: how many were made, and since when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryState {
    attempt: u32,
    first_attempt_nanos: u64,
}

impl RetryState {
    /// A body about to be sent for the first time.
    pub(crate) fn start() -> Self {
        RetryState {
            attempt: 0,
            first_attempt_nanos: crate::platform::now_unix_nanos(),
        }
    }

    /// After a failed attempt: the wait before the next one (a retry, counted in each of
    /// `stats`), or why the body's spans are dropped when there is none.
    pub(crate) fn after_failure(
        &mut self,
        policy: &RetryPolicy,
        error: &SendError,
        stats: &[&StatsCounters],
    ) -> Result<Duration, DropReason> {
        if !error.is_retryable() {
            return Err(error.drop_reason());
        }
        let elapsed = Duration::from_nanos(
            crate::platform::now_unix_nanos().saturating_sub(self.first_attempt_nanos),
        );
        let delay = policy
            .delay_before_retry(self.attempt, error.retry_after(), elapsed)
            .ok_or_else(|| error.drop_reason())?;
        for counters in stats {
            counters.record_retry();
        }
        self.attempt += 1;
        Ok(delay)
    }
}

/// A batch whose spans the caller has counted as in flight, until each is settled.
pub(crate) struct ExportJob {
    batch: Vec<Span>,
    /// Requests still to send, the next one last.
    pending: Vec<EncodedRequest>,
    retry: RetryState,
    /// Spans this job dropped, so a flush can tell what it lost.
    pub(crate) dropped: u64,
    /// What went wrong since the driver last asked ([`take_problems`](Self::take_problems)).
    problems: Vec<ExportProblem>,
}

impl ExportJob {
    /// Encodes `batch` into requests of at most `limit` bytes (and the encoder's limit);
    /// spans too large to send even alone are dropped and counted now.
    pub(crate) fn new(
        encoder: &RequestEncoder,
        batch: Vec<Span>,
        limit: usize,
        stats: &StatsCounters,
    ) -> Self {
        let encoded = encoder.encode_batch_within(&batch, limit);
        let mut pending = encoded.requests;
        pending.reverse();
        let (dropped, problem) = settle_too_large(stats, encoded.too_large);
        ExportJob {
            batch,
            pending,
            retry: RetryState::start(),
            dropped,
            problems: problem.into_iter().collect(),
        }
    }

    /// A job of one request already encoded, whose spans are `batch`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // the browser's keepalive requests
    pub(crate) fn of_request(mut request: EncodedRequest, batch: Vec<Span>) -> Self {
        request.first_span = 0;
        ExportJob {
            batch,
            pending: vec![request],
            retry: RetryState::start(),
            dropped: 0,
            problems: Vec::new(),
        }
    }

    /// The body to send now; `None` once the job is done.
    pub(crate) fn body(&self) -> Option<&Bytes> {
        self.pending.last().map(|request| &request.body)
    }

    /// Takes the answer to [`body`](Self::body): a 2xx settles its spans (partial success
    /// included); a failure is retried while the policy allows; a 413 splits the request in
    /// two halves sent one after the other, down to single spans.
    pub(crate) fn answer(
        &mut self,
        encoder: &RequestEncoder,
        policy: &RetryPolicy,
        stats: &StatsCounters,
        answer: Result<PartialSuccess, SendError>,
    ) -> NextSend {
        if self.pending.is_empty() {
            return NextSend::Done;
        }
        let answer = match answer {
            Ok(partial) => Ok(partial),
            Err(error) => {
                let next = self.retry.after_failure(policy, &error, &[stats]);
                self.problems.push(ExportProblem::Failed(error));
                match next {
                    Ok(wait) if wait.is_zero() => return NextSend::Now,
                    Ok(wait) => return NextSend::After(wait),
                    Err(reason) => Err(reason),
                }
            }
        };
        let Some(request) = self.pending.pop() else {
            return NextSend::Done;
        };
        self.retry = RetryState::start();
        if answer.as_ref().err() == Some(&DropReason::TooLarge) && request.span_count > 1 {
            self.split(encoder, request, stats);
        } else {
            let (dropped, problem) = settle_request(
                stats,
                request.span_count as u64,
                request.body.len() as u64,
                answer,
            );
            self.dropped += dropped;
            self.problems.extend(problem);
        }
        if self.pending.is_empty() {
            NextSend::Done
        } else {
            NextSend::Now
        }
    }

    /// Queues the two halves of a request the backend refused as too large.
    fn split(&mut self, encoder: &RequestEncoder, request: EncodedRequest, stats: &StatsCounters) {
        let end = request.first_span + request.span_count;
        let spans = self.batch.get(request.first_span..end).unwrap_or_default();
        let (left, right) = spans.split_at(spans.len() / 2);
        for (half, first_span) in [
            (right, request.first_span + left.len()),
            (left, request.first_span),
        ] {
            let encoded = encoder.encode_batch(half);
            let (dropped, problem) = settle_too_large(stats, encoded.too_large);
            self.dropped += dropped;
            self.problems.extend(problem);
            self.pending
                .extend(encoded.requests.into_iter().rev().map(|mut part| {
                    part.first_span += first_span;
                    part
                }));
        }
    }

    /// What went wrong since the last call, oldest first.
    pub(crate) fn take_problems(&mut self) -> std::vec::Drain<'_, ExportProblem> {
        self.problems.drain(..)
    }

    /// The batch's `Vec`, emptied, to reuse for the next one.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the browser's batches are not reused
    pub(crate) fn into_batch(self) -> Vec<Span> {
        let mut batch = self.batch;
        batch.clear();
        batch
    }
}
