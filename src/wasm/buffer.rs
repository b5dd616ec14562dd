//! The span buffer on wasm32: one thread, so a plain bounded queue — no atomics, no locks.
//! It holds spans encoded as they were collected (see `encoding/encoded.rs`).

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::batch::pipeline::{Queued, SpanQueue};
use crate::encoding::EncodedSpan;
use crate::observe::stats::StatsCounters;
use crate::transform::Shaping;

pub(crate) struct SpanBuffer {
    queue: RefCell<VecDeque<EncodedSpan>>,
    capacity: usize,
}

impl SpanBuffer {
    pub(crate) fn new(capacity: usize) -> Self {
        SpanBuffer {
            queue: RefCell::new(VecDeque::new()),
            capacity,
        }
    }

    /// Moves spans from the front into `batch` while `fits` accepts them.
    pub(crate) fn take_while(
        &self,
        mut fits: impl FnMut(&EncodedSpan) -> bool,
        batch: &mut Vec<EncodedSpan>,
    ) {
        let mut queue = self.queue.borrow_mut();
        while let Some(span) = queue.front() {
            if !fits(span) {
                break;
            }
            batch.extend(queue.pop_front());
        }
    }

    /// Puts spans taken out but not sent back at the front, oldest first, so they leave
    /// with the next export. Capacity was theirs a moment ago, so none is refused.
    pub(crate) fn put_back(&self, spans: Vec<EncodedSpan>) {
        let mut queue = self.queue.borrow_mut();
        for span in spans.into_iter().rev() {
            queue.push_front(span);
        }
    }
}

impl SpanQueue for SpanBuffer {
    type Item = EncodedSpan;

    fn push(&self, span: EncodedSpan) -> Result<(), EncodedSpan> {
        let mut queue = self.queue.borrow_mut();
        if queue.len() >= self.capacity {
            return Err(span);
        }
        queue.push_back(span);
        Ok(())
    }

    fn len(&self) -> usize {
        self.queue.borrow().len()
    }

    fn capacity(&self) -> usize {
        self.capacity
    }

    fn take_batch(&self, max: usize, batch: &mut Vec<EncodedSpan>) {
        let mut queue = self.queue.borrow_mut();
        let count = max.min(queue.len());
        batch.extend(queue.drain(..count));
    }

    fn discard_all(&self) -> usize {
        let mut queue = self.queue.borrow_mut();
        let count = queue.len();
        queue.clear();
        count
    }
}

impl Queued for EncodedSpan {
    /// Nothing left to do: the browser core runs the rules on each span before encoding it
    /// (`CoreState::accept`).
    fn shape(_: &mut Vec<EncodedSpan>, _: &Shaping, _: &StatsCounters) -> u64 {
        0
    }
}
