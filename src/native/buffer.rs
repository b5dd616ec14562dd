//! The span buffer: where spans wait for the export task. Many threads write into it and
//! the export task drains it.
//!
//! A span is written as a record into a buffer of its thread's own (`thread_buffers.rs`,
//! `span_record.rs`) and dropped there: no lock another thread holds, and its memory is
//! freed by the thread that allocated it. Full buffers are handed over whole; the export
//! task takes those, and sweeps the threads' partial buffers when they are not enough.
//! Producers wake the export task only when it has asked to be woken
//! (`wake_threshold`), so a busy exporter costs them one atomic load.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::Notify;

use super::lock;
use super::span_record::{read_span, SpareLists};
use super::thread_buffers::{Records, ThreadBuffers};
use crate::batch::pipeline::SpanQueue;
use crate::model::Span;

pub(crate) struct SpanBuffer {
    capacity: usize,
    /// Spans written and not yet taken, wherever they are. SeqCst with `wake_threshold`:
    /// either the producer sees the threshold or the exporter sees the span, so a wake-up
    /// is never lost.
    queued: AtomicUsize,
    threads: ThreadBuffers,
    /// Full buffers handed over by producers, oldest first (held only to move them).
    handed: Mutex<VecDeque<Records>>,
    /// What the export task is reading (only it locks this).
    reading: Mutex<Reading>,
    /// Attribute lists of exported spans, emptied, for the records read next.
    spare_lists: Mutex<SpareLists>,
    /// Queue length at which a producer wakes the exporter; 0 while it is not waiting.
    wake_threshold: AtomicUsize,
    exporter_wake: Notify,
    room_available: Notify,
}

/// Records the export task has taken and is reading, oldest first.
#[derive(Default)]
struct Reading {
    records: VecDeque<Records>,
    /// Where the next record of the first `records` starts.
    read_at: usize,
}

impl SpanBuffer {
    pub(crate) fn new(capacity: usize) -> Self {
        SpanBuffer {
            capacity,
            queued: AtomicUsize::new(0),
            threads: ThreadBuffers::new(),
            handed: Mutex::new(VecDeque::new()),
            reading: Mutex::new(Reading::default()),
            spare_lists: Mutex::new(Vec::new()),
            wake_threshold: AtomicUsize::new(0),
            exporter_wake: Notify::new(),
            room_available: Notify::new(),
        }
    }

    /// Adds a span, waiting for the exporter to make room if the buffer is full. Gives the
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

    /// Asks producers to wake the exporter once the buffer holds `threshold` spans. Returns
    /// false (and disarms) if it already does, so the caller must not wait.
    pub(crate) fn arm_wake(&self, threshold: usize) -> bool {
        self.wake_threshold.store(threshold, Ordering::SeqCst);
        if self.queued.load(Ordering::SeqCst) >= threshold {
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

    /// Reads up to `max` spans (every span when `None`): the records taken before, then
    /// the buffers handed over, then — when those are not enough — what the threads hold
    /// (each thread's spans stay in order, except that a buffer handed over while the
    /// threads are swept may come after the next one). `keep` receives each span; returns
    /// how many were read.
    fn read(&self, max: Option<usize>, mut keep: impl FnMut(Span)) -> usize {
        let mut reading = lock(&self.reading);
        let Reading { records, read_at } = &mut *reading;
        let mut spare = std::mem::take(&mut *lock(&self.spare_lists));
        let mut read = 0;
        let mut swept = false;
        while max.is_none_or(|max| read < max) {
            match records.front() {
                Some(first) if *read_at < first.bytes.len() => {
                    keep(read_span(&first.bytes, read_at, &mut spare));
                    read += 1;
                }
                Some(_) => {
                    if let Some(done) = records.pop_front() {
                        self.threads.recycle(done.bytes);
                    }
                    *read_at = 0;
                }
                None => {
                    records.append(&mut lock(&self.handed));
                    if records.is_empty() {
                        if swept {
                            break;
                        }
                        swept = true;
                        self.threads.take_all(records);
                    }
                }
            }
        }
        drop(reading);
        lock(&self.spare_lists).append(&mut spare);
        self.queued.fetch_sub(read, Ordering::SeqCst);
        self.room_available.notify_waiters();
        read
    }

    /// Takes the spans of a settled batch, keeping their attribute lists (emptied) for the
    /// records read next: the export side then allocates no list per span.
    pub(crate) fn recycle(&self, spans: &mut Vec<Span>) {
        let room = SPARE_LISTS.saturating_sub(lock(&self.spare_lists).len());
        let mut lists: SpareLists = spans
            .drain(..)
            .take(room)
            .map(|span| span.attributes.into_entries())
            .filter(|list| (1..=LARGEST_SPARE_LIST).contains(&list.capacity()))
            .map(|mut list| {
                list.clear();
                list
            })
            .collect();
        lock(&self.spare_lists).append(&mut lists);
    }
}

/// Lists kept at most: a few default batches' worth.
const SPARE_LISTS: usize = 4096;
/// Larger lists are freed, not kept: a rare span with many attributes should not pin memory.
const LARGEST_SPARE_LIST: usize = 32;

/// Reads what is left when the collector goes: each record's scope handle is taken back.
impl Drop for SpanBuffer {
    fn drop(&mut self) {
        self.read(None, drop);
    }
}

impl SpanQueue for SpanBuffer {
    type Item = Span;

    /// Writes a span into this thread's records, or gives it back if the buffer is full.
    /// Threads writing at once may pass the capacity by one span each.
    fn push(&self, span: Span) -> Result<(), Span> {
        if self.queued.load(Ordering::Relaxed) >= self.capacity {
            return Err(span);
        }
        if let Some(full) = self.threads.write(span, &self.queued) {
            lock(&self.handed).push_back(full);
        }
        let threshold = self.wake_threshold.load(Ordering::SeqCst);
        if threshold != 0
            && self.queued.load(Ordering::SeqCst) >= threshold
            && self.wake_threshold.swap(0, Ordering::SeqCst) != 0
        {
            self.exporter_wake.notify_one();
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.capacity
    }

    /// Spans waiting, wherever they are.
    fn len(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    /// Moves up to `max` spans into `batch`, oldest buffers first.
    fn take_batch(&self, max: usize, batch: &mut Vec<Span>) {
        let room = max.saturating_sub(batch.len());
        self.read(Some(room), |span| batch.push(span));
    }

    /// Removes every waiting span, for counting them as dropped; returns how many.
    fn discard_all(&self) -> usize {
        self.read(None, drop)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;
    use crate::model::{Scope, Value};

    fn span(thread: i64, i: i64) -> Span {
        Span::new("s")
            .with_attribute("thread", thread)
            .with_attribute("i", i)
            .end()
    }

    fn take_all(buffer: &SpanBuffer) -> Vec<Span> {
        let mut all = Vec::new();
        loop {
            let mut batch = Vec::new();
            buffer.take_batch(100, &mut batch);
            if batch.is_empty() {
                return all;
            }
            all.append(&mut batch);
        }
    }

    fn attribute(span: &Span, key: &str) -> i64 {
        match span
            .attributes()
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
        {
            Some(Value::Int(value)) => *value,
            other => panic!("{key} is {other:?}"),
        }
    }

    #[test]
    fn spans_of_a_thread_that_exited_are_taken_and_its_buffer_forgotten() {
        let buffer = Arc::new(SpanBuffer::new(100));
        let writer = Arc::clone(&buffer);
        std::thread::spawn(move || {
            for i in 0..5 {
                writer.push(span(0, i)).unwrap();
            }
        })
        .join()
        .unwrap();
        assert_eq!(buffer.len(), 5);
        assert_eq!(buffer.threads.thread_count(), 1);
        let taken = take_all(&buffer);
        assert_eq!(
            taken.iter().map(|s| attribute(s, "i")).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(buffer.len(), 0);
        assert_eq!(buffer.threads.thread_count(), 0);
    }

    #[test]
    fn threads_writing_while_the_exporter_takes_lose_nothing() {
        const THREADS: i64 = 6;
        const SPANS: i64 = 3_000;
        let buffer = Arc::new(SpanBuffer::new(usize::MAX));
        let writers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let buffer = Arc::clone(&buffer);
                std::thread::spawn(move || {
                    for i in 0..SPANS {
                        // Texts of both kinds, and now and then a span larger than a
                        // whole buffer.
                        let mut span = span(thread, i).with_attribute("owned", format!("v{i}"));
                        if i % 1_000 == 7 {
                            span.set_attribute("large", "x".repeat(3 * HAND_OVER_TEST_BYTES));
                        }
                        buffer.push(span).unwrap();
                    }
                })
            })
            .collect();
        let mut seen = HashSet::new();
        while writers.iter().any(|writer| !writer.is_finished()) {
            for span in take_all(&buffer) {
                assert!(seen.insert((attribute(&span, "thread"), attribute(&span, "i"))));
            }
        }
        for writer in writers {
            writer.join().unwrap();
        }
        for span in take_all(&buffer) {
            assert!(seen.insert((attribute(&span, "thread"), attribute(&span, "i"))));
        }
        assert_eq!(seen.len() as i64, THREADS * SPANS);
        assert_eq!(buffer.len(), 0);
    }

    const HAND_OVER_TEST_BYTES: usize = super::super::thread_buffers::HAND_OVER_BYTES;

    #[test]
    fn a_full_buffer_refuses_and_gives_the_span_back() {
        let buffer = SpanBuffer::new(3);
        for i in 0..3 {
            buffer.push(span(0, i)).unwrap();
        }
        let refused = buffer.push(span(0, 3)).unwrap_err();
        assert_eq!(attribute(&refused, "i"), 3);
        assert_eq!(buffer.discard_all(), 3);
        assert!(buffer.push(span(0, 4)).is_ok());
    }

    #[test]
    fn attribute_lists_of_exported_spans_are_reused_and_spans_still_come_back_whole() {
        let buffer = SpanBuffer::new(100);
        for i in 0..10 {
            buffer.push(span(0, i)).unwrap();
        }
        let mut exported = take_all(&buffer);
        buffer.recycle(&mut exported);
        assert!(exported.is_empty());
        assert_eq!(lock(&buffer.spare_lists).len(), 10);
        for i in 0..10 {
            buffer
                .push(span(1, i).with_attribute("third", "x"))
                .unwrap();
        }
        let again = take_all(&buffer);
        assert!(lock(&buffer.spare_lists).is_empty());
        for (i, span) in again.iter().enumerate() {
            assert_eq!(span.attributes().as_slice().len(), 3);
            assert_eq!(
                (attribute(span, "thread"), attribute(span, "i")),
                (1, i as i64)
            );
        }
    }

    #[test]
    fn scopes_in_records_never_read_are_released_with_the_buffer() {
        let scope = Scope::new("lib");
        let buffer = SpanBuffer::new(100);
        for _ in 0..10 {
            buffer
                .push(Span::new("s").with_scope(scope.clone()).end())
                .unwrap();
        }
        assert_eq!(scope.handles(), 11);
        drop(buffer);
        assert_eq!(scope.handles(), 1);
    }
}
