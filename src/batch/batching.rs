//! When a batch goes out: the batch processor's size and time triggers, as pure logic that
//! every backend's export loop consults. (`flush` and `shutdown` force a batch out too;
//! the backends handle those commands directly.)

use std::time::Duration;

/// The size and time triggers of the batch processor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchPolicy {
    pub(crate) batch_size: usize,
    pub(crate) batch_timeout: Duration,
}

/// What the export loop should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NextStep {
    /// Send a batch now.
    Export,
    /// A partial batch is waiting: check again after this long (or when more spans arrive).
    WaitFor(Duration),
    /// Nothing is buffered: sleep until a span arrives.
    Idle,
}

impl BatchPolicy {
    /// Decides from the number of buffered spans and how long the oldest has waited.
    pub(crate) fn next_step(&self, buffered: usize, oldest_waited: Duration) -> NextStep {
        if buffered == 0 {
            NextStep::Idle
        } else if buffered >= self.batch_size || oldest_waited >= self.batch_timeout {
            NextStep::Export
        } else {
            NextStep::WaitFor(self.batch_timeout - oldest_waited)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BatchPolicy = BatchPolicy {
        batch_size: 10,
        batch_timeout: Duration::from_millis(100),
    };

    #[test]
    fn a_full_batch_goes_out_at_once() {
        assert_eq!(POLICY.next_step(10, Duration::ZERO), NextStep::Export);
        assert_eq!(POLICY.next_step(25, Duration::ZERO), NextStep::Export);
    }

    #[test]
    fn a_partial_batch_waits_for_the_rest_of_the_timeout() {
        assert_eq!(
            POLICY.next_step(3, Duration::from_millis(30)),
            NextStep::WaitFor(Duration::from_millis(70))
        );
        assert_eq!(
            POLICY.next_step(3, Duration::from_millis(100)),
            NextStep::Export
        );
    }

    #[test]
    fn nothing_buffered_means_idle() {
        assert_eq!(POLICY.next_step(0, Duration::from_secs(9)), NextStep::Idle);
    }
}
