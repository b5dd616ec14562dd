//! One batch on its way out, as a state machine that does no I/O: it gives the body to
//! send, takes the answer, and says what comes next — the next body, the same one again
//! after a wait, or nothing. The native exporter drives it with `await`s; the browser
//! drives it from JavaScript, which does the `fetch` and the timers. Retries, `Retry-After`,
//! 413 splits, partial success and settling every span as exported or dropped are written
//! here once.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{settle_request, settle_too_large, ExportProblem, PartialSuccess, SendError};
use crate::encoding::{BatchSpan, EncodedRequest, RequestEncoder};
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
struct RetryState {
    attempt: u32,
    first_attempt_nanos: u64,
}

impl RetryState {
    /// A body about to be sent for the first time.
    fn start() -> Self {
        RetryState {
            attempt: 0,
            first_attempt_nanos: crate::platform::now_unix_nanos(),
        }
    }

    /// After a failed attempt: the wait before the next one (a retry, counted in each of
    /// `stats`), or why the body's spans are dropped when there is none.
    fn after_failure(
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

/// The spans a job's requests were encoded from, which a 413 split encodes again: the job's
/// own batch, or the batch a fan-out shares between its destinations.
enum JobSpans<T> {
    Owned(Vec<T>),
    Shared(Arc<Vec<T>>),
}

impl<T> JobSpans<T> {
    fn as_slice(&self) -> &[T] {
        match self {
            JobSpans::Owned(spans) => spans,
            JobSpans::Shared(spans) => spans,
        }
    }
}

/// A batch whose spans the caller has counted as in flight, until each is settled: span
/// values natively, spans encoded as they were collected in the browser core.
pub(crate) struct ExportJob<T = Span> {
    batch: JobSpans<T>,
    /// Requests still to send, the next one last.
    pending: Vec<EncodedRequest>,
    retry: RetryState,
    /// Spans this job dropped, so a flush can tell what it lost.
    pub(crate) dropped: u64,
    /// The reason of its largest single drop, and how many that dropped.
    worst_drop: Option<(u64, DropReason)>,
    /// Counters that count this job's retries too (a fan-out's collector, beside the
    /// destination's own that `answer` settles).
    retries_also: Option<Arc<StatsCounters>>,
    /// What went wrong since the driver last asked ([`take_problems`](Self::take_problems)).
    problems: Vec<ExportProblem>,
}

impl<T: BatchSpan> ExportJob<T> {
    /// Encodes `batch` into requests of at most `limit` bytes (and the encoder's limit);
    /// spans too large to send even alone are dropped and counted now.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the browser files a job per request
    pub(crate) fn new(
        encoder: &RequestEncoder<T::Resource, T::Scope>,
        batch: Vec<T>,
        limit: usize,
        stats: &StatsCounters,
    ) -> Self {
        let encoded = encoder.encode_batch_within(&batch, limit);
        let mut pending = encoded.requests;
        pending.reverse();
        let (dropped, problem) = settle_too_large(stats, encoded.too_large);
        let mut job = ExportJob {
            batch: JobSpans::Owned(batch),
            pending,
            retry: RetryState::start(),
            dropped: 0,
            worst_drop: None,
            retries_also: None,
            problems: problem.into_iter().collect(),
        };
        job.note_dropped(dropped, DropReason::TooLarge);
        job
    }

    /// A job of one request a fan-out encoded once for every destination: `spans` is the
    /// whole batch the request's `first_span` counts in (read only to split it after a
    /// 413); its retries are counted in `retries_also` too.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // browsers have one destination
    pub(crate) fn of_shared_request(
        request: EncodedRequest,
        spans: Arc<Vec<T>>,
        retries_also: Arc<StatsCounters>,
    ) -> Self {
        ExportJob {
            batch: JobSpans::Shared(spans),
            pending: vec![request],
            retry: RetryState::start(),
            dropped: 0,
            worst_drop: None,
            retries_also: Some(retries_also),
            problems: Vec::new(),
        }
    }

    /// A job of one request already encoded, whose spans are `batch`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // the browser's requests
    pub(crate) fn of_request(mut request: EncodedRequest, batch: Vec<T>) -> Self {
        request.first_span = 0;
        ExportJob {
            batch: JobSpans::Owned(batch),
            pending: vec![request],
            retry: RetryState::start(),
            dropped: 0,
            worst_drop: None,
            retries_also: None,
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
        encoder: &RequestEncoder<T::Resource, T::Scope>,
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
                let next = match &self.retries_also {
                    Some(also) => self.retry.after_failure(policy, &error, &[stats, also]),
                    None => self.retry.after_failure(policy, &error, &[stats]),
                };
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
            let reason = answer
                .as_ref()
                .err()
                .copied()
                .unwrap_or(DropReason::Rejected);
            let (dropped, problem) = settle_request(
                stats,
                request.span_count as u64,
                request.body.len() as u64,
                answer,
            );
            self.note_dropped(dropped, reason);
            self.problems.extend(problem);
        }
        if self.pending.is_empty() {
            NextSend::Done
        } else {
            NextSend::Now
        }
    }

    /// Queues the two halves of a request the backend refused as too large.
    fn split(
        &mut self,
        encoder: &RequestEncoder<T::Resource, T::Scope>,
        request: EncodedRequest,
        stats: &StatsCounters,
    ) {
        let end = request.first_span + request.span_count;
        let spans = self
            .batch
            .as_slice()
            .get(request.first_span..end)
            .unwrap_or_default();
        let (left, right) = spans.split_at(spans.len() / 2);
        for (half, first_span) in [
            (right, request.first_span + left.len()),
            (left, request.first_span),
        ] {
            let encoded = encoder.encode_batch(half);
            let (dropped, problem) = settle_too_large(stats, encoded.too_large);
            note_dropped(
                &mut self.dropped,
                &mut self.worst_drop,
                dropped,
                DropReason::TooLarge,
            );
            self.problems.extend(problem);
            self.pending
                .extend(encoded.requests.into_iter().rev().map(|mut part| {
                    part.first_span += first_span;
                    part
                }));
        }
    }

    /// Counts `spans` dropped for `reason`.
    fn note_dropped(&mut self, spans: u64, reason: DropReason) {
        note_dropped(&mut self.dropped, &mut self.worst_drop, spans, reason);
    }

    /// The reason that dropped the most of this job's spans, if any was dropped.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // a fan-out's question
    pub(crate) fn worst_drop_reason(&self) -> Option<DropReason> {
        self.worst_drop.map(|(_, reason)| reason)
    }

    /// What went wrong since the last call, oldest first.
    pub(crate) fn take_problems(&mut self) -> std::vec::Drain<'_, ExportProblem> {
        self.problems.drain(..)
    }

    /// The batch's spans, settled, for the caller to reuse their memory (the `Vec`, and
    /// natively their attribute lists); none when the batch was shared.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the browser's batches are not reused
    pub(crate) fn into_spans(self) -> Vec<T> {
        match self.batch {
            JobSpans::Owned(batch) => batch,
            JobSpans::Shared(_) => Vec::new(),
        }
    }
}

/// Adds `spans` to `dropped`, and keeps `reason` in `worst` if it dropped the most in one go.
fn note_dropped(
    dropped: &mut u64,
    worst: &mut Option<(u64, DropReason)>,
    spans: u64,
    reason: DropReason,
) {
    if spans == 0 {
        return;
    }
    *dropped += spans;
    if worst.is_none_or(|(most, _)| spans > most) {
        *worst = Some((spans, reason));
    }
}
