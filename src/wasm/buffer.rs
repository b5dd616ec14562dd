//! The span buffer on wasm32: one thread, so a plain bounded queue — no atomics, no locks.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::batch::pipeline::SpanQueue;
use crate::model::Span;

pub(crate) struct SpanBuffer {
    queue: RefCell<VecDeque<Span>>,
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
    pub(crate) fn take_while(&self, mut fits: impl FnMut(&Span) -> bool, batch: &mut Vec<Span>) {
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
    pub(crate) fn put_back(&self, spans: Vec<Span>) {
        let mut queue = self.queue.borrow_mut();
        for span in spans.into_iter().rev() {
            queue.push_front(span);
        }
    }
}

impl SpanQueue for SpanBuffer {
    fn push(&self, span: Span) -> Result<(), Span> {
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

    fn take_batch(&self, max: usize, batch: &mut Vec<Span>) {
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
