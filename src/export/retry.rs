//! When to send a request again, shared by every exporter.
//!
//! Per the OTLP specification only throttling and transient server errors (HTTP 429, 502,
//! 503, 504) and network failures are retried, with exponential backoff and jitter, or
//! after the server's `Retry-After` when it gives one. Any other error status means the
//! backend will never accept that body, so its spans are counted as rejected at once.

use std::time::Duration;

use crate::model::random_u64;

/// How failed requests are retried: waits start at `initial_delay` and grow by `multiplier`
/// up to `max_delay`, each randomised to between half and all of it (jitter, so clients do
/// not retry in lockstep). Retrying stops after `max_retries` retries or once the next
/// attempt would start more than `max_elapsed` after the first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts after the first; 0 disables retrying.
    pub max_retries: u32,
    /// Wait before the first retry (before jitter).
    pub initial_delay: Duration,
    /// Growth of the wait from one retry to the next.
    pub multiplier: f64,
    /// Longest wait between two attempts, and the cap on a server's `Retry-After`.
    pub max_delay: Duration,
    /// Longest time from the first attempt to the last.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// The OTLP exporters' usual values: 1 s initial wait, ×1.5, at most 5 s between
    /// attempts and 30 s in all (opentelemetry-java and the Collector's exporterhelper use
    /// the same shape).
    fn default() -> Self {
        RetryPolicy {
            max_retries: 10,
            initial_delay: Duration::from_secs(1),
            multiplier: 1.5,
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

/// What an HTTP status means for the request that got it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusClass {
    /// 2xx: the backend took the spans.
    Accepted,
    /// Throttled or temporarily unavailable: try again later.
    Retryable,
    /// Any other failure: sending the same body again cannot succeed.
    Rejected,
}

/// Classifies an HTTP response status as the OTLP/HTTP specification does.
pub(crate) fn classify_status(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Accepted,
        429 | 502 | 503 | 504 => StatusClass::Retryable,
        _ => StatusClass::Rejected,
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based), given the server's `Retry-After`
    /// (if any) and the time since the first attempt; `None` once retrying must stop.
    pub(crate) fn delay_before_retry(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        elapsed: Duration,
    ) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let delay = match retry_after {
            Some(requested) => requested.min(self.max_delay),
            None => {
                let growth = self.multiplier.max(1.0).powi(retry.min(64) as i32);
                let backoff = scaled(self.initial_delay, growth).min(self.max_delay);
                // Uniform in [backoff / 2, backoff).
                let jitter = 0.5 + (random_u64() >> 11) as f64 / (1u64 << 53) as f64 / 2.0;
                scaled(backoff, jitter)
            }
        };
        (elapsed.saturating_add(delay) <= self.max_elapsed).then_some(delay)
    }
}

/// `duration × factor` for a factor ≥ 0, saturating (at about 584 years) where
/// `Duration::mul_f64` would panic on overflow.
fn scaled(duration: Duration, factor: f64) -> Duration {
    // A float-to-integer `as` saturates, and NaN becomes 0. (Seconds as a double, not
    // `as_nanos()`: its u128 would bring 128-bit arithmetic into the browser's module.)
    Duration::from_nanos((duration.as_secs_f64() * 1e9 * factor) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_throttling_and_transient_errors_are_retryable() {
        assert_eq!(classify_status(200), StatusClass::Accepted);
        assert_eq!(classify_status(204), StatusClass::Accepted);
        for status in [429, 502, 503, 504] {
            assert_eq!(classify_status(status), StatusClass::Retryable, "{status}");
        }
        for status in [400, 401, 403, 404, 413, 500, 501] {
            assert_eq!(classify_status(status), StatusClass::Rejected, "{status}");
        }
    }

    const POLICY: RetryPolicy = RetryPolicy {
        max_retries: 5,
        initial_delay: Duration::from_millis(100),
        multiplier: 2.0,
        max_delay: Duration::from_millis(300),
        max_elapsed: Duration::from_secs(10),
    };

    #[test]
    fn delays_grow_with_jitter_up_to_the_cap() {
        for _ in 0..200 {
            let delays: Vec<Duration> = (0..4)
                .map(|retry| {
                    POLICY
                        .delay_before_retry(retry, None, Duration::ZERO)
                        .unwrap()
                })
                .collect();
            let bounds = [(50, 100), (100, 200), (150, 300), (150, 300)];
            for (delay, (low, high)) in delays.iter().zip(bounds) {
                assert!(
                    *delay >= Duration::from_millis(low) && *delay < Duration::from_millis(high),
                    "{delays:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_actually_varies() {
        let delays: std::collections::HashSet<_> = (0..20)
            .map(|_| POLICY.delay_before_retry(0, None, Duration::ZERO))
            .collect();
        assert!(delays.len() > 10);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let asked = POLICY.delay_before_retry(0, Some(Duration::from_millis(250)), Duration::ZERO);
        assert_eq!(asked, Some(Duration::from_millis(250)));
        let capped = POLICY.delay_before_retry(0, Some(Duration::from_secs(3600)), Duration::ZERO);
        assert_eq!(capped, Some(POLICY.max_delay));
    }

    #[test]
    fn stops_after_max_retries_or_max_elapsed() {
        assert_eq!(POLICY.delay_before_retry(5, None, Duration::ZERO), None);
        let late = Duration::from_millis(9_900);
        assert_eq!(
            POLICY.delay_before_retry(0, Some(Duration::from_millis(200)), late),
            None
        );
        assert!(POLICY
            .delay_before_retry(0, Some(Duration::from_millis(50)), late)
            .is_some());
    }

    #[test]
    fn huge_settings_saturate_instead_of_panicking() {
        let policy = RetryPolicy {
            max_retries: 100,
            initial_delay: Duration::MAX,
            multiplier: 1e300,
            max_delay: Duration::MAX,
            max_elapsed: Duration::MAX,
        };
        for retry in [0, 1, 99] {
            let delay = policy.delay_before_retry(retry, None, Duration::from_secs(1));
            assert!(delay.is_some_and(|delay| delay >= Duration::from_secs(1 << 32)));
        }
        let asked = policy.delay_before_retry(0, Some(Duration::MAX), Duration::from_secs(1));
        assert_eq!(asked, Some(Duration::MAX), "elapsed + delay saturates");
    }
}
