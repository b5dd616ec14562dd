//! The part of a span that crosses process boundaries: ids, flags and trace state, read
//! from and written to the W3C `traceparent` header.

use std::borrow::Cow;

use super::ids::{SpanId, TraceId};

/// The W3C trace flag that marks a trace as sampled.
pub const SAMPLED_FLAG: u8 = 0x01;

/// What a child needs to know about its parent, local or remote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanContext {
    /// The trace the span belongs to.
    pub trace_id: TraceId,
    /// The span itself.
    pub span_id: SpanId,
    /// W3C trace flags (bit 0: sampled).
    pub trace_flags: u8,
    /// The W3C `tracestate` header value, if any.
    pub trace_state: Option<Cow<'static, str>>,
    /// Whether the context came from another process.
    pub is_remote: bool,
}

/// Why a `traceparent` value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceparentError {
    /// Not four dash-separated fields of the W3C lengths.
    #[error("traceparent must look like 00-<32 hex>-<16 hex>-<2 hex>, got \"{0}\"")]
    Malformed(String),
    /// Version `ff` is forbidden by the W3C specification.
    #[error("traceparent version ff is invalid")]
    InvalidVersion,
    /// The trace or span id was all-zero or not hex.
    #[error("traceparent id is invalid: {0}")]
    InvalidId(#[from] super::ids::IdError),
}

impl SpanContext {
    /// Parses a W3C `traceparent` header value; the result is marked remote.
    ///
    /// # Examples
    /// ```
    /// use otlp_collector::SpanContext;
    /// let parent = SpanContext::from_traceparent(
    ///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    /// )?;
    /// assert!(parent.is_remote);
    /// assert_eq!(parent.span_id.to_string(), "00f067aa0ba902b7");
    /// # Ok::<(), otlp_collector::TraceparentError>(())
    /// ```
    pub fn from_traceparent(header: &str) -> Result<Self, TraceparentError> {
        let malformed = || TraceparentError::Malformed(header.chars().take(64).collect());
        let mut fields = header.trim().split('-');
        let (Some(version), Some(trace_id), Some(span_id), Some(flags)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed());
        };
        // W3C: both are two lowercase hex digits (HEXDIGLC), nothing else.
        if !is_two_lowercase_hex(version) || !is_two_lowercase_hex(flags) {
            return Err(malformed());
        }
        if version == "ff" {
            return Err(TraceparentError::InvalidVersion);
        }
        // Version 00 has exactly four fields; later versions may append more.
        if version == "00" && fields.next().is_some() {
            return Err(malformed());
        }
        let trace_flags = u8::from_str_radix(flags, 16).map_err(|_| malformed())?;
        Ok(SpanContext {
            trace_id: TraceId::from_hex(trace_id)?,
            span_id: SpanId::from_hex(span_id)?,
            trace_flags,
            trace_state: None,
            is_remote: true,
        })
    }

    /// The W3C `traceparent` header value for this context (version 00).
    pub fn to_traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id, self.span_id, self.trace_flags
        )
    }
}

fn is_two_lowercase_hex(field: &str) -> bool {
    field.len() == 2
        && field
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_round_trips() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = SpanContext::from_traceparent(header).unwrap();
        assert_eq!(context.trace_flags, SAMPLED_FLAG);
        assert_eq!(context.to_traceparent(), header);
    }

    #[test]
    fn bad_traceparents_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
            // Version and flags are two lowercase hex digits.
            "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-FF",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-+1",
            "+0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(SpanContext::from_traceparent(bad).is_err(), "{bad:?}");
        }
    }
}

/// The cases `tests/vectors/traceparent.json` holds, which the JavaScript package's test
/// reads too. (Read with serde_json, a native dev-dependency.)
#[cfg(all(test, not(target_arch = "wasm32")))]
mod vectors {
    use super::*;

    #[test]
    fn the_shared_vectors_hold() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/traceparent.json")).unwrap();
        let cases = vectors["cases"].as_array().unwrap();
        assert!(cases.len() >= 20);
        for case in cases {
            let input = case["input"].as_str().unwrap();
            let flags = case["flags"].as_u64().map(|flags| flags as u8);
            assert_eq!(
                SpanContext::from_traceparent(input)
                    .ok()
                    .map(|context| context.trace_flags),
                flags,
                "{}",
                case["why"]
            );
        }
    }
}
