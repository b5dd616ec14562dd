//! The span buffer: a bounded lock-free queue that many threads push into and the export
//! task drains.
//!
//! Pushing never blocks and takes no lock. Producers wake the export task only when it has
//! asked to be woken (`wake_threshold`), so a busy exporter costs them one atomic load.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crossbeam_queue::ArrayQueue;
use tokio::sync::Notify;

use crate::batch::pipeline::SpanQueue;
use crate::model::Span;

pub(crate) struct SpanBuffer {
    queue: ArrayQueue<Span>,
    /// Queue length at which a producer wakes the exporter; 0 while it is not waiting.
    /// SeqCst with the queue's own SeqCst updates: either the producer sees the threshold
    /// or the exporter sees the span, so a wake-up is never lost.
    wake_threshold: AtomicUsize,
    exporter_wake: Notify,
    room_available: Notify,
}

impl SpanBuffer {
    pub(crate) fn new(capacity: usize) -> Self {
        SpanBuffer {
            queue: ArrayQueue::new(capacity),
            wake_threshold: AtomicUsize::new(0),
            exporter_wake: Notify::new(),
            room_available: Notify::new(),
        }
    }

    /// Adds a span, waiting for the exporter to make room if the queue is full. Gives the
    /// span back if `closed` is set while waiting.
    pub(crate) async fn push_or_wait(&self, span: Span, closed: &AtomicBool) -> Result<(), Span> {
        // Fast path first: registering as a waiter takes the Notify's lock.
        let mut span = match self.push(span) {
            Ok(()) => return Ok(()),
            Err(rejected) => rejected,
        };
        loop {
            let room = self.room_available.notified();
            tokio::pin!(room);
            // Register before trying, so room made between the attempt and the wait is seen.
            room.as_mut().enable();
            if closed.load(Ordering::Acquire) {
                return Err(span);
            }
            match self.push(span) {
                Ok(()) => return Ok(()),
                Err(rejected) => span = rejected,
            }
            room.await;
        }
    }

    /// Asks producers to wake the exporter once the queue holds `threshold` spans. Returns
    /// false (and disarms) if it already does, so the caller must not wait.
    pub(crate) fn arm_wake(&self, threshold: usize) -> bool {
        self.wake_threshold.store(threshold, Ordering::SeqCst);
        if self.queue.len() >= threshold {
            self.disarm_wake();
            return false;
        }
        true
    }

    pub(crate) fn disarm_wake(&self) {
        self.wake_threshold.store(0, Ordering::SeqCst);
    }

    /// Resolves when a producer crosses the armed threshold.
    pub(crate) async fn woken(&self) {
        self.exporter_wake.notified().await;
    }

    /// Wakes producers waiting for room (e.g. so they notice a shutdown).
    pub(crate) fn wake_waiting_producers(&self) {
        self.room_available.notify_waiters();
    }
}

impl SpanQueue for SpanBuffer {
    /// Adds a span, or gives it back if the queue is full (as `ArrayQueue::push` does; the
    /// span moves either way, so its size costs nothing extra here).
    fn push(&self, span: Span) -> Result<(), Span> {
        self.queue.push(span)?;
        let threshold = self.wake_threshold.load(Ordering::SeqCst);
        if threshold != 0
            && self.queue.len() >= threshold
            && self.wake_threshold.swap(0, Ordering::SeqCst) != 0
        {
            self.exporter_wake.notify_one();
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.queue.capacity()
    }

    /// Spans waiting in the queue.
    fn len(&self) -> usize {
        self.queue.len()
    }

    /// Moves up to `max` spans into `batch`.
    fn take_batch(&self, max: usize, batch: &mut Vec<Span>) {
        while batch.len() < max {
            match self.queue.pop() {
                Some(span) => batch.push(span),
                None => break,
            }
        }
        self.room_available.notify_waiters();
    }

    /// Removes every queued span, for counting them as dropped; returns how many.
    fn discard_all(&self) -> usize {
        let mut discarded = 0;
        while self.queue.pop().is_some() {
            discarded += 1;
        }
        self.room_available.notify_waiters();
        discarded
    }
}
