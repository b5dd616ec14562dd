//! The few async building blocks the browser backend needs, on the JavaScript event loop:
//! a `setTimeout` sleep, a notification signal, a one-shot result slot, and racing two
//! futures. Written here instead of pulling in an executor crate, to keep the package small.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout`: present in pages, workers and Node alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, milliseconds: f64) -> JsValue;

    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(timer: &JsValue);
}

/// The longest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days); longer ones
/// would fire at once.
const LONGEST_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// A `setTimeout` as a future. Dropped before it fires (it lost a race, e.g. a timeout
/// that was not needed), it clears its timer, so a finished collector leaves no timer
/// armed to keep Node's event loop alive.
pub(crate) struct Sleep {
    timer: JsValue,
    fired: JsFuture,
}

/// Resolves after `duration` (at most about 24.8 days), on the event loop's timer.
pub(crate) fn sleep(duration: Duration) -> Sleep {
    let milliseconds = (duration.as_secs_f64() * 1000.0).min(LONGEST_TIMEOUT_MS);
    let mut timer = JsValue::UNDEFINED;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, milliseconds);
    });
    Sleep {
        timer,
        fired: JsFuture::from(promise),
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        // A timer promise never rejects.
        Pin::new(&mut self.fired).poll(context).map(drop)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // Harmless for a timer that already fired.
        clear_timeout(&self.timer);
    }
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
