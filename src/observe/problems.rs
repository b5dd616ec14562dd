//! The collector reports its own trouble as it happens — an export that failed, spans it
//! dropped — to a handler on [`Config`](crate::Config) and, with the `tracing` feature, as
//! `tracing` warnings (target `otlp_collector`, which the layer never records as span
//! events). Rate-limited per kind: the first at once, then at most one report every
//! [`REPORT_INTERVAL`], carrying how many occurrences it stands for, so a backend that is down
//! makes a line every ten seconds, not a storm.
//!
//! # Examples
//! ```
//! use std::sync::{Arc, Mutex};
//! use otlp_collector::{Collector, Config, Problem, Span};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&seen);
//! let config = Config::default()
//!     .with_max_queue_size(1)
//!     .with_batch_size(1)
//!     .with_problem_handler(move |problem: &Problem| sink.lock().unwrap().push(problem.to_string()));
//! let collector = Collector::new(config)?;
//! for _ in 0..3 {
//!     let _ = collector.collect(Span::new("burst").end());
//! }
//! assert!(seen.lock().unwrap()[0].contains("buffer full"));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use crate::model::now_unix_nanos;
use crate::observe::stats::DropReason;

/// Reports of one kind come at most this often (after the first, which is immediate).
pub const REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// Something that went wrong inside the collector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// An export request failed (it may still be retried: spans lost for good are reported
    /// as [`SpansDropped`](Problem::SpansDropped)).
    ExportFailed {
        /// The last failure's message.
        message: String,
        /// Failures this report stands for (since the last report of this kind).
        count: u64,
    },
    /// Spans were dropped for `reason`.
    SpansDropped {
        /// Why.
        reason: DropReason,
        /// Spans dropped since the last report of this kind.
        count: u64,
    },
    /// A setting read from the environment was invalid and ignored (reported once, when
    /// the collector starts): the default applies instead.
    SettingIgnored {
        /// Which variable, what was wrong, and what applies instead.
        message: String,
    },
    /// A transform statement or drop condition failed on a span (the span went on, as the
    /// earlier statements left it).
    RuleFailed {
        /// The rule and why it failed, the last time.
        message: String,
        /// Failures this report stands for (since the last report of this kind).
        count: u64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ExportFailed { message, count: 1 } => {
                write!(formatter, "export failed: {message}")
            }
            Problem::ExportFailed { message, count } => {
                write!(formatter, "{count} exports failed; the last: {message}")
            }
            Problem::SpansDropped { reason, count } => {
                write!(formatter, "{count} spans dropped ({})", reason.describe())
            }
            Problem::SettingIgnored { message } => write!(formatter, "setting ignored: {message}"),
            Problem::RuleFailed { message, count: 1 } => {
                write!(formatter, "transform rule failed: {message}")
            }
            Problem::RuleFailed { message, count } => {
                write!(
                    formatter,
                    "transform rules failed {count} times; the last: {message}"
                )
            }
        }
    }
}

/// What [`Config::with_problem_handler`](crate::Config::with_problem_handler) keeps: compared
/// by identity, shown as a name.
#[derive(Clone)]
pub(crate) struct ProblemHandler(pub(crate) Arc<dyn Fn(&Problem) + Send + Sync>);

impl PartialEq for ProblemHandler {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for ProblemHandler {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("<problem handler>")
    }
}

/// One kind's rate limit: when it may report next, and what it held back since.
#[derive(Debug, Default)]
struct Slot {
    next_report_at: AtomicU64,
    held: AtomicU64,
}

/// Export failures, one slot per drop reason, then rule failures.
const SLOTS: usize = 9;

/// The slot of rule failures.
#[cfg_attr(not(feature = "transform"), allow(dead_code))]
const RULE_SLOT: usize = 8;

/// Reports problems to the handler and to `tracing`, each kind rate-limited.
#[derive(Debug, Default)]
pub(crate) struct ProblemReporter {
    handler: Option<ProblemHandler>,
    slots: [Slot; SLOTS],
    /// Panics caught from the handler: a report must never unwind into the application's
    /// `collect`, a layer callback, or a span dropped while the application unwinds.
    handler_panics: AtomicU64,
}

impl ProblemReporter {
    pub(crate) fn new(handler: Option<ProblemHandler>) -> Self {
        ProblemReporter {
            handler,
            slots: Default::default(),
            handler_panics: AtomicU64::new(0),
        }
    }

    /// How many times the handler panicked.
    pub(crate) fn handler_panics(&self) -> u64 {
        self.handler_panics.load(Relaxed)
    }

    /// A problem that is reported once, when it happens (not rate-limited).
    pub(crate) fn report_now(&self, problem: Problem) {
        log(&problem);
        self.deliver(&problem);
    }

    /// Hands `problem` to the handler, catching a panic (counted, never rethrown).
    fn deliver(&self, problem: &Problem) {
        let Some(handler) = &self.handler else {
            return;
        };
        if catch_unwind(AssertUnwindSafe(|| (handler.0)(problem))).is_err() {
            self.handler_panics.fetch_add(1, Relaxed);
        }
    }

    /// An export failed for good with `message`.
    pub(crate) fn export_failed(&self, message: &str) {
        self.report(0, 1, |count| Problem::ExportFailed {
            message: message.to_owned(),
            count,
        });
    }

    /// A transform rule failed on a span.
    #[cfg_attr(not(feature = "transform"), allow(dead_code))]
    pub(crate) fn rule_failed(&self, failure: &dyn fmt::Display) {
        self.report(RULE_SLOT, 1, |count| Problem::RuleFailed {
            message: failure.to_string(),
            count,
        });
    }

    /// `count` spans were dropped for `reason`.
    pub(crate) fn spans_dropped(&self, reason: DropReason, count: u64) {
        if count == 0 {
            return;
        }
        self.report(1 + reason.index(), count, |count| Problem::SpansDropped {
            reason,
            count,
        });
    }

    /// Adds `occurrences` to the slot; reports with all it held if its time has come.
    fn report(&self, slot: usize, occurrences: u64, problem: impl FnOnce(u64) -> Problem) {
        if self.handler.is_none() && !cfg!(feature = "tracing") {
            return;
        }
        let Some(slot) = self.slots.get(slot) else {
            return;
        };
        slot.held.fetch_add(occurrences, Relaxed);
        let now = now_unix_nanos();
        let due = slot.next_report_at.load(Relaxed);
        let next = now.saturating_add(REPORT_INTERVAL.as_nanos() as u64);
        // One thread wins the right to report; the others leave their count held.
        if now < due
            || slot
                .next_report_at
                .compare_exchange(due, next, Relaxed, Relaxed)
                .is_err()
        {
            return;
        }
        let count = slot.held.swap(0, Relaxed);
        if count == 0 {
            return;
        }
        let problem = problem(count);
        log(&problem);
        self.deliver(&problem);
    }
}

/// With the `tracing` feature, a warning the application's subscriber can show.
#[cfg(feature = "tracing")]
fn log(problem: &Problem) {
    tracing::warn!(target: "otlp_collector", "{problem}");
}

#[cfg(not(feature = "tracing"))]
fn log(_problem: &Problem) {}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn the_first_is_reported_at_once_and_the_rest_held_for_the_next() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let reporter = ProblemReporter::new(Some(ProblemHandler(Arc::new(move |problem| {
            sink.lock().unwrap().push(problem.clone())
        }))));
        for _ in 0..1000 {
            reporter.spans_dropped(DropReason::BufferFull, 1);
            reporter.export_failed("HTTP 503");
        }
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                Problem::SpansDropped {
                    reason: DropReason::BufferFull,
                    count: 1
                },
                Problem::ExportFailed {
                    message: "HTTP 503".into(),
                    count: 1
                }
            ]
        );
        assert_eq!(
            reporter.slots[1 + DropReason::BufferFull.index()]
                .held
                .load(Relaxed),
            999
        );
    }
}
