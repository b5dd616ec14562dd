//! A record buffer per producing thread, for one collector: where `collect` writes, with
//! no lock another thread holds and no allocation in the steady state.
//!
//! Each thread finds its buffer through a thread-local list (one entry per collector it
//! has used). The buffers are also listed in the collector, so the export task can take
//! what a thread wrote and has not handed over yet — a thread that collects a few spans
//! and goes idle, or that has exited, still has them exported. A thread's buffer is
//! behind a mutex that only the export task's occasional sweep ever contends.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crossbeam_queue::ArrayQueue;

use super::lock;
use super::span_record::write_span;
use crate::model::Span;

/// Records written by one thread, and how many spans they hold.
#[derive(Default)]
pub(crate) struct Records {
    pub(crate) bytes: Vec<u8>,
    pub(crate) spans: usize,
}

impl Records {
    fn add(&mut self, span: Span) {
        write_span(span, &mut self.bytes);
        self.spans += 1;
    }
}

/// A buffer is handed over whole once it holds this many bytes (about 90 small spans):
/// large enough that handing over is rare, small enough that every thread may have one.
pub(crate) const HAND_OVER_BYTES: usize = 8 * 1024;

/// Emptied buffers kept for reuse, so neither side allocates in the steady state.
const SPARE_BUFFERS: usize = 64;

/// One thread's buffer.
struct Slot {
    records: Mutex<Records>,
    /// Set when the thread has exited: once emptied, the slot is forgotten.
    exited: AtomicBool,
}

/// Every producing thread's buffer for one collector.
pub(crate) struct ThreadBuffers {
    /// Tells this collector's entries apart in a thread's list.
    id: u64,
    /// Dropped with the collector: threads forget entries whose token is gone.
    token: Arc<()>,
    slots: Mutex<Vec<Arc<Slot>>>,
    spare: ArrayQueue<Vec<u8>>,
}

/// A thread's entry for one collector; marks the slot exited when the thread ends.
struct Entry {
    buffers: u64,
    token: Weak<()>,
    slot: Arc<Slot>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.slot.exited.store(true, Ordering::Release);
    }
}

thread_local! {
    static ENTRIES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

impl ThreadBuffers {
    pub(crate) fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        ThreadBuffers {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            token: Arc::new(()),
            slots: Mutex::new(Vec::new()),
            spare: ArrayQueue::new(SPARE_BUFFERS),
        }
    }

    /// Writes `span` into this thread's records and adds it to `queued` (before the export
    /// task can take it, so the count never runs below zero). Returns the records when they reached
    /// [`HAND_OVER_BYTES`] — or the span's record alone when this thread cannot keep a
    /// buffer (its thread-locals are being torn down) — for the caller to hand over.
    pub(crate) fn write(&self, span: Span, queued: &AtomicUsize) -> Option<Records> {
        let mut pending = Some(span);
        let written = ENTRIES.try_with(|entries| {
            let list = entries.try_borrow().ok()?;
            if let Some(entry) = list.iter().find(|entry| entry.buffers == self.id) {
                return Some(self.write_into(&entry.slot, pending.take()?, queued));
            }
            drop(list);
            let slot = self.register(entries)?;
            Some(self.write_into(&slot, pending.take()?, queued))
        });
        match written {
            Ok(Some(full)) => full,
            // Not written: it goes over alone.
            _ => pending.map(|span| {
                let mut alone = Records::default();
                alone.add(span);
                queued.fetch_add(1, Ordering::SeqCst);
                alone
            }),
        }
    }

    fn write_into(&self, slot: &Slot, span: Span, queued: &AtomicUsize) -> Option<Records> {
        let mut records = lock(&slot.records);
        if records.bytes.capacity() == 0 {
            records.bytes = self.fresh_buffer();
        }
        records.add(span);
        // SeqCst, as the buffer's wake-up protocol needs (`buffer.rs`).
        queued.fetch_add(1, Ordering::SeqCst);
        (records.bytes.len() >= HAND_OVER_BYTES).then(|| {
            let fresh = self.fresh_buffer();
            std::mem::replace(
                &mut *records,
                Records {
                    bytes: fresh,
                    spans: 0,
                },
            )
        })
    }

    /// Adds a slot for this thread, forgetting entries of collectors that are gone.
    fn register(&self, entries: &RefCell<Vec<Entry>>) -> Option<Arc<Slot>> {
        let mut list = entries.try_borrow_mut().ok()?;
        list.retain(|entry| entry.token.strong_count() > 0);
        let slot = Arc::new(Slot {
            records: Mutex::new(Records::default()),
            exited: AtomicBool::new(false),
        });
        lock(&self.slots).push(Arc::clone(&slot));
        list.push(Entry {
            buffers: self.id,
            token: Arc::downgrade(&self.token),
            slot: Arc::clone(&slot),
        });
        Some(slot)
    }

    /// Moves every thread's records into `into` (oldest thread first), and forgets the
    /// slots of threads that have exited.
    pub(crate) fn take_all(&self, into: &mut VecDeque<Records>) {
        let mut slots = lock(&self.slots);
        slots.retain(|slot| {
            let exited = slot.exited.load(Ordering::Acquire);
            let mut records = lock(&slot.records);
            if records.spans > 0 {
                // Swept threads get a buffer back when they next write.
                into.push_back(std::mem::take(&mut *records));
            }
            !exited
        });
    }

    /// Threads with a buffer here.
    #[cfg(test)]
    pub(crate) fn thread_count(&self) -> usize {
        lock(&self.slots).len()
    }

    /// Keeps an emptied buffer for reuse.
    pub(crate) fn recycle(&self, mut bytes: Vec<u8>) {
        if bytes.capacity() >= HAND_OVER_BYTES {
            bytes.clear();
            let _ = self.spare.push(bytes);
        }
    }

    fn fresh_buffer(&self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(HAND_OVER_BYTES + 1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> usize {
        ENTRIES.with(|entries| entries.borrow().len())
    }

    #[test]
    fn a_thread_forgets_the_buffers_of_collectors_that_are_gone() {
        let queued = AtomicUsize::new(0);
        std::thread::spawn(move || {
            let first = ThreadBuffers::new();
            assert!(first.write(Span::new("a").end(), &queued).is_none());
            assert_eq!(entries(), 1);
            drop(first);
            let second = ThreadBuffers::new();
            assert!(second.write(Span::new("b").end(), &queued).is_none());
            // The first collector's entry went when the second registered.
            assert_eq!(entries(), 1);
            assert_eq!(queued.load(Ordering::SeqCst), 2);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_buffer_is_handed_over_once_full() {
        let queued = AtomicUsize::new(0);
        let buffers = ThreadBuffers::new();
        let mut handed = 0;
        let mut spans = 0;
        for _ in 0..1_000 {
            if let Some(records) =
                buffers.write(Span::new("a").with_attribute("k", "v").end(), &queued)
            {
                assert!(records.bytes.len() >= HAND_OVER_BYTES);
                handed += records.spans;
            }
            spans += 1;
        }
        let mut rest = VecDeque::new();
        buffers.take_all(&mut rest);
        let kept: usize = rest.iter().map(|records| records.spans).sum();
        assert!(handed > 0);
        assert_eq!(handed + kept, spans);
        assert_eq!(queued.load(Ordering::SeqCst), spans);
    }
}
