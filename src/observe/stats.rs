//! The collector's own counters: what came in, what went out, and why anything was lost.
//!
//! Every span handed to a collector is, at any quiet moment, in exactly one of `exported`,
//! a `dropped_*` counter, or `buffered` (measured from the buffer and the batch in flight,
//! not derived); [`Stats::is_balanced`] checks that invariant.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::observe::problems::{Problem, ProblemHandler, ProblemReporter};

/// Why a span was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The buffer was full when the span was collected.
    BufferFull,
    /// Export kept failing with retryable errors until the retries ran out.
    RetriesExhausted,
    /// The backend refused the request with a non-retryable status.
    Rejected,
    /// The last attempt allowed by the retry policy got no answer within the request
    /// timeout.
    TimedOut,
    /// The span alone encodes to more than the request byte limit, or the backend refused
    /// it alone as too large (HTTP 413; larger requests are split and sent again).
    TooLarge,
    /// The collector shut down (or its shutdown deadline passed) before the span was sent.
    Shutdown,
    /// The page was unloading and the span did not fit the browser's keepalive budget.
    PageUnload,
}

/// A snapshot of the collector's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Spans handed to `collect` (accepted or not).
    pub collected: u64,
    /// Spans the backend acknowledged.
    pub exported: u64,
    /// Dropped because the buffer was full.
    pub dropped_buffer_full: u64,
    /// Dropped after the last retry failed.
    pub dropped_retries_exhausted: u64,
    /// Dropped because the backend rejected them.
    pub dropped_rejected: u64,
    /// Dropped because the last attempt timed out (earlier timeouts are retried).
    pub dropped_timed_out: u64,
    /// Dropped because a single span exceeded the request byte limit or the backend's.
    pub dropped_too_large: u64,
    /// Dropped because shutdown ran out of time or the collector was already shut down.
    pub dropped_shutdown: u64,
    /// Dropped because the page unloaded with more buffered than keepalive requests carry.
    pub dropped_page_unload: u64,
    /// Requests the backend acknowledged.
    pub batches: u64,
    /// Requests sent again after a retryable failure.
    pub retries: u64,
    /// Request body bytes the backend acknowledged (after compression).
    pub bytes_sent: u64,
    /// Spans accepted but not yet exported or dropped.
    pub buffered: u64,
    /// Spans the sampler left out (never collected, so outside the invariant).
    pub sampled_out: u64,
    /// Spans a drop rule removed (`Config::with_drop_spans`), or taken while an OpAMP server
    /// had switched export off: your choice, not a loss, so not in
    /// [`dropped`](Self::dropped).
    pub filtered_out: u64,
    /// Times a transform statement or drop condition failed on a span (the span went on).
    pub rule_errors: u64,
    /// Times the problem handler panicked (caught: the application never sees it).
    pub problem_handler_panics: u64,
}

impl Stats {
    /// All spans dropped, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_buffer_full
            + self.dropped_retries_exhausted
            + self.dropped_rejected
            + self.dropped_timed_out
            + self.dropped_too_large
            + self.dropped_shutdown
            + self.dropped_page_unload
    }

    /// Whether `collected = exported + dropped + buffered` holds.
    pub fn is_balanced(&self) -> bool {
        self.collected == self.exported + self.dropped() + self.filtered_out + self.buffered
    }
}

/// What one destination of a fan-out collector did with the spans sent its way. Its
/// `stats` balance on their own: `collected` counts spans handed to this destination,
/// `buffered` those still queued for it or being sent, `dropped_buffer_full` those it was
/// too far behind to take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestinationStats {
    /// The destination's endpoint.
    pub endpoint: String,
    /// Its counters.
    pub stats: Stats,
    /// Its last export error.
    pub last_error: Option<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The longest export error kept, in bytes.
pub(crate) const ERROR_MESSAGE_LIMIT: usize = 1024;

/// Cuts `message` to at most [`ERROR_MESSAGE_LIMIT`] bytes, on a character boundary, and
/// says so.
fn truncate_message(message: &mut String) {
    if message.len() <= ERROR_MESSAGE_LIMIT {
        return;
    }
    let mut cut = ERROR_MESSAGE_LIMIT;
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    message.truncate(cut);
    message.push_str("… (cut)");
}

/// Live counters, updated with relaxed atomics (each is an independent tally), and the
/// last export error.
#[derive(Debug, Default)]
pub(crate) struct StatsCounters {
    collected: AtomicU64,
    sampled_out: AtomicU64,
    filtered_out: AtomicU64,
    rule_errors: AtomicU64,
    exported: AtomicU64,
    dropped: [AtomicU64; 7],
    batches: AtomicU64,
    retries: AtomicU64,
    bytes_sent: AtomicU64,
    /// Spans taken from the buffer whose outcome is not yet counted.
    in_flight: AtomicU64,
    /// Set once in-flight spans were given up at a shutdown deadline: answers that arrive
    /// later change nothing. Every move between queue, flight and outcome (once per batch
    /// or request, never per span) and every snapshot take this lock, so a snapshot never
    /// sees spans in two places or in none, and a settle never lands between an abandon's
    /// count and its reset.
    abandoned: Mutex<bool>,
    last_error: Mutex<Option<String>>,
    /// How many errors were recorded, so a watcher can tell a new one from the last.
    errors: AtomicU64,
    /// The last export failed (and none has succeeded since): the health OpAMP reports.
    failing: AtomicBool,
    /// Tells the application of failures and drops as they happen (rate-limited).
    reporter: ProblemReporter,
}

impl DropReason {
    /// What happened, for people.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            DropReason::BufferFull => "buffer full",
            DropReason::RetriesExhausted => "retries exhausted",
            DropReason::Rejected => "rejected by the backend",
            DropReason::TimedOut => "the last attempt timed out",
            DropReason::TooLarge => "too large to send",
            DropReason::Shutdown => "at shutdown",
            DropReason::PageUnload => "the page unloaded",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            DropReason::BufferFull => 0,
            DropReason::RetriesExhausted => 1,
            DropReason::Rejected => 2,
            DropReason::TooLarge => 3,
            DropReason::Shutdown => 4,
            DropReason::PageUnload => 5,
            DropReason::TimedOut => 6,
        }
    }
}

impl StatsCounters {
    /// Counters that report failures and drops to the configuration's problem `handler`
    /// (and `tracing`) as they happen, having first reported the settings it ignored.
    pub(crate) fn reporting(handler: Option<ProblemHandler>, ignored_settings: &[String]) -> Self {
        let reporter = ProblemReporter::new(handler);
        for message in ignored_settings {
            reporter.report_now(Problem::SettingIgnored {
                message: message.clone(),
            });
        }
        StatsCounters {
            reporter,
            ..StatsCounters::default()
        }
    }

    pub(crate) fn record_collected(&self) {
        self.collected.fetch_add(1, Relaxed);
    }

    /// An unsampled span was handed over (and forgotten).
    pub(crate) fn record_sampled_out(&self) {
        self.sampled_out.fetch_add(1, Relaxed);
    }

    /// Several spans arrived at once (a destination's share of a batch).
    #[allow(dead_code)] // only native fan-out hands spans over by the batch
    pub(crate) fn record_collected_many(&self, spans: u64) {
        self.collected.fetch_add(spans, Relaxed);
    }

    pub(crate) fn record_dropped(&self, reason: DropReason, spans: u64) {
        self.count_dropped(reason, spans);
        self.reporter.spans_dropped(reason, spans);
    }

    /// Counts without reporting: for moves made under the books lock, whose report waits
    /// until the lock is released (a handler may take a snapshot, which takes the lock).
    fn count_dropped(&self, reason: DropReason, spans: u64) {
        self.dropped[reason.index()].fetch_add(spans, Relaxed);
    }

    /// Spans left the buffer for an export (or, once in-flight spans were abandoned at a
    /// shutdown deadline, for nowhere: they count as dropped at shutdown).
    #[allow(dead_code)] // only native fan-out lanes take spans that were never queued
    pub(crate) fn take_in_flight(&self, spans: u64) {
        self.take_in_flight_from(|| spans);
    }

    /// Like [`take_in_flight`](Self::take_in_flight) for the spans `take` moves out of a
    /// queue, moved while no snapshot is taken.
    pub(crate) fn take_in_flight_from(&self, take: impl FnOnce() -> u64) {
        let abandoned = lock(&self.abandoned);
        let spans = take();
        if *abandoned {
            self.count_dropped(DropReason::Shutdown, spans);
            drop(abandoned);
            self.reporter.spans_dropped(DropReason::Shutdown, spans);
            return;
        }
        self.in_flight.fetch_add(spans, Relaxed);
    }

    /// Counts the spans `discard` removes from a queue as dropped for `reason`, while no
    /// snapshot is taken; returns how many.
    pub(crate) fn drop_from_queue(&self, reason: DropReason, discard: impl FnOnce() -> u64) -> u64 {
        let books = lock(&self.abandoned);
        let spans = discard();
        self.count_dropped(reason, spans);
        drop(books);
        self.reporter.spans_dropped(reason, spans);
        spans
    }

    /// In-flight spans went back to the buffer unsent.
    #[allow(dead_code)] // only the browser's page-hide path puts spans back
    pub(crate) fn return_in_flight(&self, spans: u64) {
        self.in_flight.fetch_sub(spans, Relaxed);
    }

    /// In-flight spans the backend acknowledged in one request of `bytes`.
    pub(crate) fn settle_exported(&self, spans: u64, bytes: u64) {
        let abandoned = lock(&self.abandoned);
        if *abandoned {
            return;
        }
        self.exported.fetch_add(spans, Relaxed);
        self.batches.fetch_add(1, Relaxed);
        self.failing.store(false, Relaxed);
        self.bytes_sent.fetch_add(bytes, Relaxed);
        self.in_flight.fetch_sub(spans, Relaxed);
    }

    /// In-flight spans a drop rule removed.
    pub(crate) fn settle_filtered(&self, spans: u64) {
        let abandoned = lock(&self.abandoned);
        if *abandoned {
            return;
        }
        self.filtered_out.fetch_add(spans, Relaxed);
        self.in_flight.fetch_sub(spans, Relaxed);
    }

    /// A transform rule failed on a span: counted and, unless `silent`, reported.
    #[cfg_attr(not(feature = "transform"), allow(dead_code))]
    pub(crate) fn record_rule_failure(&self, failure: &dyn std::fmt::Display, report: bool) {
        self.rule_errors.fetch_add(1, Relaxed);
        if report {
            self.reporter.rule_failed(failure);
        }
    }

    /// In-flight spans that will not be delivered.
    pub(crate) fn settle_dropped(&self, reason: DropReason, spans: u64) {
        let abandoned = lock(&self.abandoned);
        if *abandoned {
            return;
        }
        self.count_dropped(reason, spans);
        self.in_flight.fetch_sub(spans, Relaxed);
        drop(abandoned);
        self.reporter.spans_dropped(reason, spans);
    }

    /// Drops every span still in flight (exports given up at a shutdown deadline) and
    /// ignores every later answer; returns how many.
    pub(crate) fn abandon_in_flight(&self, reason: DropReason) -> u64 {
        let mut abandoned = lock(&self.abandoned);
        *abandoned = true;
        let spans = self.in_flight.swap(0, Relaxed);
        self.count_dropped(reason, spans);
        drop(abandoned);
        self.reporter.spans_dropped(reason, spans);
        spans
    }

    /// Keeps `error` as the last export error, cut to [`ERROR_MESSAGE_LIMIT`] bytes: the
    /// text can come from a backend, which must not make us hold (or copy into every error
    /// value) a message of any size.
    pub(crate) fn record_error(&self, mut error: String) {
        truncate_message(&mut error);
        self.reporter.export_failed(&error);
        *lock(&self.last_error) = Some(error);
        self.errors.fetch_add(1, Relaxed);
        self.failing.store(true, Relaxed);
    }

    /// Whether exports succeed: false from a failure until the next success.
    #[allow(dead_code)] // read by the OpAMP client natively
    pub(crate) fn exports_succeed(&self) -> bool {
        !self.failing.load(Relaxed)
    }

    /// How many export errors were recorded so far.
    #[allow(dead_code)] // only the browser package reports each error as it happens
    pub(crate) fn errors_recorded(&self) -> u64 {
        self.errors.load(Relaxed)
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    pub(crate) fn record_retry(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    /// A snapshot; `queued` reads what the backend's queue holds (in-flight spans are
    /// added), under the same lock as the moves out of it.
    pub(crate) fn snapshot(&self, queued: impl FnOnce() -> u64) -> Stats {
        let _books = lock(&self.abandoned);
        let queued = queued();
        let dropped = |reason: DropReason| self.dropped[reason.index()].load(Relaxed);
        Stats {
            collected: self.collected.load(Relaxed),
            exported: self.exported.load(Relaxed),
            dropped_buffer_full: dropped(DropReason::BufferFull),
            dropped_retries_exhausted: dropped(DropReason::RetriesExhausted),
            dropped_rejected: dropped(DropReason::Rejected),
            dropped_timed_out: dropped(DropReason::TimedOut),
            dropped_too_large: dropped(DropReason::TooLarge),
            dropped_shutdown: dropped(DropReason::Shutdown),
            dropped_page_unload: dropped(DropReason::PageUnload),
            batches: self.batches.load(Relaxed),
            retries: self.retries.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            buffered: queued + self.in_flight.load(Relaxed),
            sampled_out: self.sampled_out.load(Relaxed),
            filtered_out: self.filtered_out.load(Relaxed),
            rule_errors: self.rule_errors.load(Relaxed),
            problem_handler_panics: self.reporter.handler_panics(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_balances_by_reason() {
        let counters = StatsCounters::default();
        for _ in 0..10 {
            counters.record_collected();
        }
        counters.record_dropped(DropReason::BufferFull, 2);
        counters.take_in_flight(6);
        counters.settle_exported(5, 100);
        counters.settle_dropped(DropReason::Rejected, 1);
        let stats = counters.snapshot(|| 2);
        assert_eq!(stats.dropped(), 3);
        assert_eq!(stats.buffered, 2);
        assert_eq!(stats.batches, 1);
        assert_eq!(stats.bytes_sent, 100);
        assert!(stats.is_balanced());
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let counters = StatsCounters::default();
        counters.record_error("é".repeat(10 * ERROR_MESSAGE_LIMIT));
        let kept = counters.last_error().unwrap_or_default();
        assert!(
            kept.len() <= ERROR_MESSAGE_LIMIT + "… (cut)".len(),
            "{}",
            kept.len()
        );
        assert!(kept.starts_with("éé") && kept.ends_with("… (cut)"));
        counters.record_error("short".into());
        assert_eq!(counters.last_error().as_deref(), Some("short"));
    }

    #[test]
    fn abandoned_in_flight_spans_are_dropped() {
        let counters = StatsCounters::default();
        for _ in 0..4 {
            counters.record_collected();
        }
        counters.take_in_flight(4);
        counters.settle_exported(1, 10);
        assert_eq!(counters.snapshot(|| 0).buffered, 3);
        assert_eq!(counters.abandon_in_flight(DropReason::Shutdown), 3);
        // Answers for abandoned requests arrive late: they must not count twice.
        counters.settle_exported(2, 10);
        counters.settle_dropped(DropReason::Rejected, 1);
        let stats = counters.snapshot(|| 0);
        assert_eq!(
            (stats.exported, stats.dropped_shutdown, stats.buffered),
            (1, 3, 0)
        );
        assert!(stats.is_balanced());
    }
}
