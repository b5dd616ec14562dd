//! When to send a request again, shared by every exporter.
//!
//! Per the OTLP/HTTP specification only throttling and transient server errors (429, 502,
//! 503, 504) and network failures are retried; any other error status means the backend
//! will never accept that body, so its spans are counted as rejected at once.

use std::time::Duration;

/// How failed requests are retried: up to `max_retries` more attempts, waiting
/// `initial_delay` and doubling (capped at `max_delay`) between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first; 0 disables retrying.
    pub max_retries: u32,
    /// Wait before the first retry.
    pub initial_delay: Duration,
    /// Longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
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
    /// The wait before retry number `retry` (0-based), or `None` once retries are used up.
    pub(crate) fn delay_before_retry(&self, retry: u32) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let factor = 2u32.saturating_pow(retry.min(31));
        Some(
            self.initial_delay
                .saturating_mul(factor)
                .min(self.max_delay),
        )
    }
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

    #[test]
    fn delays_double_up_to_the_cap_and_stop_after_max_retries() {
        let policy = RetryPolicy {
            max_retries: 4,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        let delays: Vec<_> = (0..5)
            .map(|retry| policy.delay_before_retry(retry))
            .collect();
        assert_eq!(
            delays,
            [
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(300)),
                Some(Duration::from_millis(300)),
                None
            ]
        );
    }
}
