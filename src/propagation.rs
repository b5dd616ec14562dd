//! W3C trace context in HTTP headers: read a caller's `traceparent` and `tracestate` to
//! continue its trace, and write them for an outgoing request. `tracestate` is carried
//! when it follows the W3C grammar ([`normalize_trace_state`](crate::normalize_trace_state))
//! and dropped whole when it does not.
//!
//! # Examples
//! ```
//! use http::HeaderMap;
//! use otlp_collector::{extract_context, inject_context};
//!
//! let mut incoming = HeaderMap::new();
//! incoming.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?);
//! incoming.insert("tracestate", "vendor=abc".parse()?);
//! let parent = extract_context(&incoming).expect("a valid traceparent");
//! assert_eq!(parent.trace_state.as_deref(), Some("vendor=abc"));
//!
//! let mut outgoing = HeaderMap::new();
//! inject_context(&parent, &mut outgoing);
//! assert_eq!(outgoing["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::{HeaderMap, HeaderValue};

use crate::model::{normalize_trace_state, SpanContext};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

/// The remote parent in `headers`: a valid `traceparent`, with the `tracestate` (several
/// header lines joined with commas, as the W3C format allows) when the whole of it is valid.
/// `None` when there is no valid `traceparent`.
pub fn extract_context(headers: &HeaderMap) -> Option<SpanContext> {
    let traceparent = headers.get(TRACEPARENT)?.to_str().ok()?;
    let mut context = SpanContext::from_traceparent(traceparent).ok()?;
    let states: Vec<&str> = headers
        .get_all(TRACESTATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .collect();
    context.trace_state = normalize_trace_state(&states.join(",")).map(Into::into);
    Some(context)
}

/// Writes `context` as `traceparent` (and `tracestate`, when it has one) into `headers`,
/// replacing what was there.
pub fn inject_context(context: &SpanContext, headers: &mut HeaderMap) {
    if let Ok(value) = HeaderValue::from_str(&context.to_traceparent()) {
        headers.insert(TRACEPARENT, value);
    }
    match context
        .trace_state
        .as_deref()
        .and_then(|state| HeaderValue::from_str(state).ok())
    {
        Some(value) => {
            headers.insert(TRACESTATE, value);
        }
        None => {
            headers.remove(TRACESTATE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_or_missing_traceparents_give_no_parent() {
        let mut headers = HeaderMap::new();
        assert!(extract_context(&headers).is_none());
        headers.insert(TRACEPARENT, HeaderValue::from_static("00-zz-00-01"));
        headers.insert(TRACESTATE, HeaderValue::from_static("a=1"));
        assert!(extract_context(&headers).is_none());
    }

    #[test]
    fn several_tracestate_lines_are_joined_and_carried() {
        let mut headers = HeaderMap::new();
        headers.insert(
            TRACEPARENT,
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
        );
        headers.append(TRACESTATE, HeaderValue::from_static("a=1"));
        headers.append(TRACESTATE, HeaderValue::from_static("b=2"));
        let context = extract_context(&headers).unwrap();
        assert_eq!(context.trace_state.as_deref(), Some("a=1,b=2"));
        assert_eq!(context.trace_flags, 0);
        let mut outgoing = HeaderMap::new();
        outgoing.insert(TRACESTATE, HeaderValue::from_static("stale=1"));
        inject_context(
            &SpanContext {
                trace_state: None,
                ..context
            },
            &mut outgoing,
        );
        assert!(outgoing.get(TRACESTATE).is_none());
        assert!(outgoing[TRACEPARENT].to_str().unwrap().ends_with("-00"));
    }

    #[test]
    fn an_invalid_tracestate_is_dropped_whole_and_members_are_bounded() {
        let mut headers = HeaderMap::new();
        headers.insert(
            TRACEPARENT,
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        // 20 members on each of two lines: 40 in all, over the W3C limit of 32.
        let line = (0..20)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",");
        headers.append(TRACESTATE, HeaderValue::from_str(&line).unwrap());
        let other = line.replace('k', "j");
        headers.append(TRACESTATE, HeaderValue::from_str(&other).unwrap());
        assert_eq!(extract_context(&headers).unwrap().trace_state, None);
        headers.insert(TRACESTATE, HeaderValue::from_static("a=1,Bad=2"));
        assert_eq!(extract_context(&headers).unwrap().trace_state, None);
        headers.insert(TRACESTATE, HeaderValue::from_static("a=1 , b=2"));
        assert_eq!(
            extract_context(&headers).unwrap().trace_state.as_deref(),
            Some("a=1,b=2")
        );
    }
}
