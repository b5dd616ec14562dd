//! The collector's lifecycle, written once for every backend: accepting a span, moving
//! batches from the queue to the exporter, giving up what a shutdown deadline leaves, and
//! turning what a flush or shutdown achieved into its result.
//!
//! A backend supplies only its queue (a [`SpanQueue`]) and what truly differs: waking the
//! exporter, timers, the transport and (in browsers) the page lifecycle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{CollectError, FlushError, ShutdownError};
use crate::model::Span;
use crate::observe::stats::{DropReason, Stats, StatsCounters};
use crate::transform::Shaping;

/// The bounded queue a backend keeps spans in between `collect` and export.
pub(crate) trait SpanQueue {
    /// What it holds: span values natively; in the browser core, spans encoded as they were
    /// collected.
    type Item: Queued;
    /// Adds a span, or gives it back if the queue is full.
    #[allow(clippy::result_large_err)] // the span moves either way; boxing would cost
    fn push(&self, span: Self::Item) -> Result<(), Self::Item>;
    /// Spans waiting.
    fn len(&self) -> usize;
    /// The most spans it holds.
    fn capacity(&self) -> usize;
    /// Moves up to `max` spans into `batch`.
    fn take_batch(&self, max: usize, batch: &mut Vec<Self::Item>);
    /// Removes every span; returns how many.
    fn discard_all(&self) -> usize;
}

/// A queue's item as the transform rules meet it when a batch is taken.
pub(crate) trait Queued: Sized {
    /// Runs the rules on `batch`; returns how many spans a drop rule removed.
    fn shape(batch: &mut Vec<Self>, shaping: &Shaping, stats: &StatsCounters) -> u64;
}

impl Queued for Span {
    fn shape(batch: &mut Vec<Span>, shaping: &Shaping, stats: &StatsCounters) -> u64 {
        shaping.shape(batch, stats)
    }
}

/// A backend's queue with the collector's counters and its closed flag.
pub(crate) struct Pipeline<Q> {
    pub(crate) queue: Q,
    pub(crate) stats: Arc<StatsCounters>,
    /// Set once by `shutdown` (or, natively, when the export thread ends); later spans are
    /// refused and counted.
    pub(crate) closed: AtomicBool,
    /// Switched off (`OTEL_SDK_DISABLED`): spans are accepted and forgotten, uncounted.
    pub(crate) disabled: bool,
    /// The transform rules each batch goes through as it is taken.
    pub(crate) shaping: Shaping,
    /// Cleared when an OpAMP server switches export off: batches are taken and counted as
    /// `filtered_out`, not sent.
    pub(crate) exporting: AtomicBool,
}

impl<Q: SpanQueue> Pipeline<Q> {
    pub(crate) fn new(queue: Q, stats: Arc<StatsCounters>, disabled: bool) -> Self {
        Pipeline {
            queue,
            stats,
            closed: AtomicBool::new(false),
            disabled,
            shaping: Shaping::default(),
            exporting: AtomicBool::new(true),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Stops accepting spans; returns whether it had already stopped.
    pub(crate) fn close(&self) -> bool {
        self.closed.swap(true, Ordering::AcqRel)
    }

    /// Counts `span` as collected and queues it (ending it if it is not ended), or counts
    /// why it was refused. An unsampled span is counted apart (`sampled_out`) and dropped;
    /// a disabled pipeline drops every span uncounted.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the browser core encodes first
    pub(crate) fn accept(&self, span: Span) -> Result<(), CollectError>
    where
        Q: SpanQueue<Item = Span>,
    {
        if self.disabled {
            return Ok(());
        }
        if !span.is_recording() {
            self.stats.record_sampled_out();
            return Ok(());
        }
        self.admit(ended(span))
    }

    /// Counts a span that is recording and ended as collected and queues it, or counts why
    /// it was refused: the part of [`accept`](Self::accept) for every kind of item.
    pub(crate) fn admit(&self, span: Q::Item) -> Result<(), CollectError> {
        self.stats.record_collected();
        if self.is_closed() {
            return Err(self.refuse_closed());
        }
        match self.queue.push(span) {
            Ok(()) => Ok(()),
            Err(_) => {
                self.stats.record_dropped(DropReason::BufferFull, 1);
                Err(CollectError::BufferFull {
                    capacity: self.queue.capacity(),
                })
            }
        }
    }

    /// Counts a span (already counted as collected) refused because the collector closed.
    pub(crate) fn refuse_closed(&self) -> CollectError {
        self.stats.record_dropped(DropReason::Shutdown, 1);
        CollectError::ShutDown
    }

    /// Moves up to `max` spans from the queue into `batch` and counts them in flight, as
    /// one step for [`stats`](Self::stats): a reader never sees a batch in neither place.
    /// Then the batch is [shaped](Self::shape_taken) (outside the counters' lock).
    pub(crate) fn take_batch(&self, max: usize, batch: &mut Vec<Q::Item>) {
        batch.clear();
        self.stats.take_in_flight_from(|| {
            self.queue.take_batch(max, batch);
            batch.len() as u64
        });
        self.shape_taken(batch);
    }

    /// Runs the transform rules on spans just taken for export, or takes them all out when
    /// an OpAMP server switched export off: what a drop rule or the switch removes leaves
    /// the flight as `filtered_out`. Every way spans leave for export goes through here
    /// (a batch, a hidden page's keepalive requests).
    pub(crate) fn shape_taken(&self, batch: &mut Vec<Q::Item>) {
        let filtered = if self.exporting.load(Ordering::Relaxed) {
            Q::Item::shape(batch, &self.shaping, &self.stats)
        } else {
            let switched_off = batch.len() as u64;
            batch.clear();
            switched_off
        };
        if filtered > 0 {
            self.stats.settle_filtered(filtered);
        }
    }

    /// Counts every span still queued or in flight as dropped at shutdown and ignores the
    /// answers to requests still under way; returns how many.
    pub(crate) fn abandon_everything(&self) -> u64 {
        let in_flight = self.stats.abandon_in_flight(DropReason::Shutdown);
        in_flight + self.discard_queued()
    }

    /// Counts every span still queued as dropped at shutdown; returns how many.
    pub(crate) fn discard_queued(&self) -> u64 {
        self.stats
            .drop_from_queue(DropReason::Shutdown, || self.queue.discard_all() as u64)
    }

    /// The counters, with what the queue and the exports in flight hold as `buffered`.
    pub(crate) fn stats(&self) -> Stats {
        self.stats.snapshot(|| self.queue.len() as u64)
    }
}

/// A span is ended when it is collected, if its owner did not end it.
pub(crate) fn ended(span: Span) -> Span {
    if span.is_ended() {
        span
    } else {
        span.end()
    }
}

/// What a flush or shutdown could not deliver.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Spans dropped by export failures while draining.
    pub(crate) dropped: u64,
    /// Spans dropped because the shutdown deadline passed.
    pub(crate) dropped_at_deadline: u64,
}

impl Outcome {
    /// The result `flush` reports; `last_error` is asked only if something was dropped.
    pub(crate) fn flush_result(
        self,
        last_error: impl FnOnce() -> Option<String>,
    ) -> Result<(), FlushError> {
        match self.dropped {
            0 => Ok(()),
            dropped => Err(FlushError::Undelivered {
                dropped,
                last_error: last_error().unwrap_or_default(),
            }),
        }
    }

    /// The result `shutdown` reports: running out of time first, then export failures.
    pub(crate) fn shutdown_result(
        self,
        last_error: impl FnOnce() -> Option<String>,
    ) -> Result<(), ShutdownError> {
        match self {
            Outcome {
                dropped_at_deadline: dropped @ 1..,
                ..
            } => Err(ShutdownError::TimedOut { dropped }),
            Outcome { dropped: 0, .. } => Ok(()),
            Outcome { dropped, .. } => Err(ShutdownError::Undelivered {
                dropped,
                last_error: last_error().unwrap_or_default(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;

    struct TestQueue(RefCell<VecDeque<Span>>, usize);

    impl SpanQueue for TestQueue {
        type Item = Span;

        fn push(&self, span: Span) -> Result<(), Span> {
            let mut queue = self.0.borrow_mut();
            if queue.len() == self.1 {
                return Err(span);
            }
            queue.push_back(span);
            Ok(())
        }
        fn len(&self) -> usize {
            self.0.borrow().len()
        }
        fn capacity(&self) -> usize {
            self.1
        }
        fn take_batch(&self, max: usize, batch: &mut Vec<Span>) {
            let mut queue = self.0.borrow_mut();
            let count = max.min(queue.len());
            batch.extend(queue.drain(..count));
        }
        fn discard_all(&self) -> usize {
            self.0.borrow_mut().drain(..).count()
        }
    }

    fn pipeline(capacity: usize) -> Pipeline<TestQueue> {
        Pipeline::new(
            TestQueue(RefCell::default(), capacity),
            Arc::new(StatsCounters::default()),
            false,
        )
    }

    #[test]
    fn refusals_are_counted_by_reason() {
        let pipeline = pipeline(2);
        for _ in 0..3 {
            let _ = pipeline.accept(Span::new("s"));
        }
        assert_eq!(
            pipeline.accept(Span::new("s")),
            Err(CollectError::BufferFull { capacity: 2 })
        );
        assert!(!pipeline.close());
        assert!(pipeline.close());
        assert_eq!(pipeline.accept(Span::new("s")), Err(CollectError::ShutDown));
        let stats = pipeline.stats();
        assert_eq!(
            (
                stats.collected,
                stats.buffered,
                stats.dropped_buffer_full,
                stats.dropped_shutdown
            ),
            (5, 2, 2, 1)
        );
        assert!(stats.is_balanced());
    }

    #[test]
    fn a_disabled_pipeline_accepts_and_forgets() {
        let mut pipeline = pipeline(1);
        pipeline.disabled = true;
        for _ in 0..3 {
            assert_eq!(pipeline.accept(Span::new("s")), Ok(()));
        }
        assert_eq!(pipeline.stats(), Stats::default());
    }

    #[test]
    fn accepted_spans_are_ended() {
        let pipeline = pipeline(1);
        pipeline.accept(Span::new("open")).unwrap();
        let mut batch = Vec::new();
        pipeline.take_batch(10, &mut batch);
        assert!(batch[0].is_ended());
        assert_eq!(pipeline.stats().buffered, 1);
    }

    #[test]
    fn abandoning_counts_queue_and_flight_once() {
        let pipeline = pipeline(10);
        for _ in 0..5 {
            pipeline.accept(Span::new("s")).unwrap();
        }
        let mut batch = Vec::new();
        pipeline.take_batch(3, &mut batch);
        assert_eq!(pipeline.abandon_everything(), 5);
        // The in-flight batch answers after the deadline: nothing changes.
        pipeline.stats.settle_exported(3, 100);
        let stats = pipeline.stats();
        assert_eq!(
            (stats.exported, stats.dropped_shutdown, stats.buffered),
            (0, 5, 0)
        );
        assert!(stats.is_balanced());
    }

    #[test]
    fn outcomes_map_to_results() {
        let error = || Some("HTTP 500".to_owned());
        assert_eq!(Outcome::default().flush_result(error), Ok(()));
        assert!(matches!(
            Outcome { dropped: 2, dropped_at_deadline: 0 }.flush_result(error),
            Err(FlushError::Undelivered { dropped: 2, last_error }) if last_error == "HTTP 500"
        ));
        assert_eq!(
            Outcome {
                dropped: 2,
                dropped_at_deadline: 3
            }
            .shutdown_result(error),
            Err(ShutdownError::TimedOut { dropped: 3 })
        );
        assert!(matches!(
            Outcome {
                dropped: 2,
                dropped_at_deadline: 0
            }
            .shutdown_result(error),
            Err(ShutdownError::Undelivered { dropped: 2, .. })
        ));
        assert_eq!(Outcome::default().shutdown_result(error), Ok(()));
    }
}
