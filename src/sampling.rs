//! Head sampling: whether a span is recorded and exported is decided when it starts, by
//! OpenTelemetry's samplers, so an unsampled span costs next to nothing and never leaves.
//! The decision travels in the W3C `sampled` flag, so a trace is kept or dropped whole
//! across services. Shared by every target, by our own API and the `tracing` layer.
//!
//! # Examples
//! ```
//! use otlp_collector::{Sampler, TraceId};
//!
//! // Keeps a quarter of the traces that start here; follows the caller's decision otherwise.
//! let sampler = Sampler::ParentBasedTraceIdRatio(0.25);
//! let kept = (0..10_000).filter(|_| sampler.should_sample(None, TraceId::random())).count();
//! assert!((2_200..2_800).contains(&kept), "{kept}");
//! ```

use std::borrow::Cow;

use crate::model::{now_unix_nanos, Span, SpanContext, SpanLimits, TraceId, SAMPLED_FLAG};

/// OpenTelemetry's built-in samplers (`OTEL_TRACES_SAMPLER`). The default,
/// `ParentBasedAlwaysOn`, keeps every trace that starts here and follows a parent's decision.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Sampler {
    /// Every span (`always_on`).
    AlwaysOn,
    /// No span (`always_off`).
    AlwaysOff,
    /// This fraction of traces (0.0–1.0), chosen by trace id, so every service that uses the
    /// same ratio keeps the same traces (`traceidratio`).
    TraceIdRatio(f64),
    /// A parent's decision when there is one, else every span (`parentbased_always_on`).
    #[default]
    ParentBasedAlwaysOn,
    /// A parent's decision when there is one, else no span (`parentbased_always_off`).
    ParentBasedAlwaysOff,
    /// A parent's decision when there is one, else this fraction of traces
    /// (`parentbased_traceidratio`).
    ParentBasedTraceIdRatio(f64),
}

impl Sampler {
    /// Whether a span starting under `parent` (none for a root span) in trace `trace_id`
    /// is recorded and exported.
    pub fn should_sample(&self, parent: Option<&SpanContext>, trace_id: TraceId) -> bool {
        let parent_sampled = parent.map(|parent| parent.trace_flags & SAMPLED_FLAG != 0);
        match (*self, parent_sampled) {
            (Sampler::AlwaysOn, _) => true,
            (Sampler::AlwaysOff, _) => false,
            (Sampler::TraceIdRatio(ratio), _) => trace_id_within(trace_id, ratio),
            (
                Sampler::ParentBasedAlwaysOn
                | Sampler::ParentBasedAlwaysOff
                | Sampler::ParentBasedTraceIdRatio(_),
                Some(sampled),
            ) => sampled,
            (Sampler::ParentBasedAlwaysOn, None) => true,
            (Sampler::ParentBasedAlwaysOff, None) => false,
            (Sampler::ParentBasedTraceIdRatio(ratio), None) => trace_id_within(trace_id, ratio),
        }
    }

    /// The ratio, for samplers that have one.
    pub(crate) fn ratio(&self) -> Option<f64> {
        match self {
            Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio) => Some(*ratio),
            _ => None,
        }
    }
}

impl Sampler {
    /// Starts a span with `limits`, as a child of `parent` (local or remote) or a new
    /// trace, sampled by this sampler: an unsampled span records nothing and is never
    /// exported.
    pub(crate) fn start_span(
        &self,
        limits: SpanLimits,
        parent: Option<&SpanContext>,
        name: impl Into<Cow<'static, str>>,
    ) -> Span {
        let trace_id = parent.map_or_else(TraceId::random, |parent| parent.trace_id);
        let flags = parent.map_or(SAMPLED_FLAG, |parent| parent.trace_flags);
        let span = if self.should_sample(parent, trace_id) {
            Span::starting(
                trace_id,
                parent,
                flags | SAMPLED_FLAG,
                name,
                now_unix_nanos(),
            )
        } else {
            Span::starting(trace_id, parent, flags & !SAMPLED_FLAG, name, 0)
        };
        span.with_limits(limits)
    }
}

/// 2^56: the trace id's random part has 56 bits (W3C level 2, the last 7 bytes).
const RANDOMNESS_SPAN: u64 = 1 << 56;

/// The specification's consistent probability sampling (`TraceIdRatioBased`, OTEP 235):
/// a trace is kept when the 56 random bits of its id reach the rejection threshold
/// `2^56 - round(ratio × 2^56)`. Every SDK and the Collector's `pkg/sampling` compare the
/// same bits, so a trace is kept whole across services sampling at one ratio, and one kept
/// at a ratio is kept at every larger one. The JavaScript package computes the same
/// (`tests/vectors/sampling.json` holds both to it).
pub(crate) fn rejection_threshold(ratio: f64) -> u64 {
    if ratio.is_nan() || ratio <= 0.0 {
        return RANDOMNESS_SPAN;
    }
    if ratio >= 1.0 {
        return 0;
    }
    // Exact: a power-of-two scale, and the rounded value is below 2^56.
    RANDOMNESS_SPAN - (ratio * RANDOMNESS_SPAN as f64).round() as u64
}

/// The trace id's 56 random bits.
fn randomness(trace_id: TraceId) -> u64 {
    let bytes = trace_id.to_bytes();
    let mut low = [0; 8];
    low[1..].copy_from_slice(&bytes[9..]);
    u64::from_be_bytes(low)
}

fn trace_id_within(trace_id: TraceId, ratio: f64) -> bool {
    randomness(trace_id) >= rejection_threshold(ratio)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanId;

    fn context(flags: u8) -> SpanContext {
        SpanContext {
            trace_id: TraceId::random(),
            span_id: SpanId::random(),
            trace_flags: flags,
            trace_state: None,
            is_remote: true,
        }
    }

    #[test]
    fn parent_based_samplers_follow_the_parent() {
        for sampler in [
            Sampler::ParentBasedAlwaysOn,
            Sampler::ParentBasedAlwaysOff,
            Sampler::ParentBasedTraceIdRatio(0.0),
            Sampler::ParentBasedTraceIdRatio(1.0),
        ] {
            assert!(sampler.should_sample(Some(&context(1)), TraceId::random()));
            assert!(!sampler.should_sample(Some(&context(0)), TraceId::random()));
        }
        assert!(Sampler::ParentBasedAlwaysOn.should_sample(None, TraceId::random()));
        assert!(!Sampler::ParentBasedAlwaysOff.should_sample(None, TraceId::random()));
        assert!(Sampler::AlwaysOn.should_sample(Some(&context(0)), TraceId::random()));
        assert!(!Sampler::AlwaysOff.should_sample(Some(&context(1)), TraceId::random()));
    }

    #[test]
    fn ratios_keep_their_share_and_agree_on_a_trace() {
        for ratio in [0.01, 0.1, 0.5, 0.9] {
            let sampler = Sampler::TraceIdRatio(ratio);
            let traces = 100_000;
            let kept = (0..traces)
                .filter(|_| sampler.should_sample(None, TraceId::random()))
                .count() as f64;
            // Five standard deviations of a binomial count.
            let slack = 5.0 * (traces as f64 * ratio * (1.0 - ratio)).sqrt();
            assert!(
                (kept - traces as f64 * ratio).abs() < slack,
                "{ratio}: kept {kept}"
            );
        }
        // A trace kept at 10 % is kept at every larger ratio: services agree.
        for _ in 0..1000 {
            let id = TraceId::random();
            if Sampler::TraceIdRatio(0.1).should_sample(None, id) {
                assert!(Sampler::TraceIdRatio(0.5).should_sample(None, id));
            }
        }
        assert!(!Sampler::TraceIdRatio(f64::NAN).should_sample(None, TraceId::random()));
        assert!(Sampler::TraceIdRatio(7.0).should_sample(None, TraceId::random()));
    }
}

/// The decisions `tests/vectors/sampling.json` records, which the JavaScript package's test
/// and the Collector's `pkg/sampling` (`tests/sampling_reference`) check too.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod vectors {
    use super::*;

    #[test]
    fn the_shared_vectors_hold() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../tests/vectors/sampling.json")).unwrap();
        let cases = vectors["cases"].as_array().unwrap();
        assert!(cases.len() >= 30);
        for case in cases {
            let ratio = case["ratio"].as_f64().unwrap();
            let trace_id = TraceId::from_hex(case["traceId"].as_str().unwrap()).unwrap();
            assert_eq!(
                format!("{:014x}", rejection_threshold(ratio)),
                case["threshold"].as_str().unwrap(),
                "{case}"
            );
            assert_eq!(
                Sampler::TraceIdRatio(ratio).should_sample(None, trace_id),
                case["sampled"].as_bool().unwrap(),
                "{case}"
            );
        }
    }
}
