//! The few async building blocks the browser backend needs, on the JavaScript event loop:
//! a `setTimeout` sleep, a notification signal, a one-shot result slot, and racing two
//! futures. Written here instead of pulling in an executor crate, to keep the package small.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout`: present in pages, workers and Node alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, milliseconds: f64) -> JsValue;
}

/// Resolves after `duration`, on the event loop's timer.
pub(crate) async fn sleep(duration: Duration) {
    let milliseconds = duration.as_secs_f64() * 1000.0;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, milliseconds);
    });
    // A timer promise never rejects.
    let _ = JsFuture::from(promise).await;
}

/// Which of two raced futures finished first.
pub(crate) enum First<A, B> {
    Left(A),
    Right(B),
}

/// Polls both futures and returns the first result; the other is dropped.
pub(crate) async fn first_of<A: Future, B: Future>(
    left: A,
    right: B,
) -> First<A::Output, B::Output> {
    let mut left = pin!(left);
    let mut right = pin!(right);
    poll_fn(|context| {
        if let Poll::Ready(value) = left.as_mut().poll(context) {
            return Poll::Ready(First::Left(value));
        }
        right.as_mut().poll(context).map(First::Right)
    })
    .await
}

/// Wakes every waiter registered before the next `notify`.
#[derive(Default)]
pub(crate) struct Signal {
    generation: Cell<u64>,
    waiters: RefCell<Vec<Waker>>,
}

impl Signal {
    pub(crate) fn notify(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        for waker in self.waiters.take() {
            waker.wake();
        }
    }

    /// Resolves at the next `notify` after this call.
    pub(crate) async fn notified(&self) {
        let start = self.generation.get();
        poll_fn(|context| {
            if self.generation.get() != start {
                Poll::Ready(())
            } else {
                self.waiters.borrow_mut().push(context.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }
}

/// A value produced by one task and awaited by another.
pub(crate) struct Slot<T> {
    value: RefCell<Option<T>>,
    filled: Signal,
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(Slot {
            value: RefCell::new(None),
            filled: Signal::default(),
        })
    }

    pub(crate) fn fill(&self, value: T) {
        *self.value.borrow_mut() = Some(value);
        self.filled.notify();
    }

    /// Waits for the value.
    pub(crate) async fn take(&self) -> T {
        loop {
            let filled = self.filled.notified();
            if let Some(value) = self.value.borrow_mut().take() {
                return value;
            }
            filled.await;
        }
    }
}
