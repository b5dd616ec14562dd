//! What an OTLP/gRPC status means for the request that got it: the specification's
//! retryable codes, and the server's `RetryInfo` (a `google.rpc.Status` detail carried in
//! the `grpc-status-details-bin` trailer) saying how long to wait.
//!
//! Pure code beside the HTTP rules in `retry.rs`; only the native gRPC transport uses it.

use std::time::Duration;

use super::wire::{key, length_delimited, skip, varint, WireType};
use crate::export::retry::StatusClass;

const OK: i32 = 0;
const RESOURCE_EXHAUSTED: i32 = 8;

/// The `Any.type_url` of a `google.rpc.RetryInfo` detail.
const RETRY_INFO_TYPE: &[u8] = b"type.googleapis.com/google.rpc.RetryInfo";

/// Classifies a gRPC status code as the OTLP specification does: transient codes are
/// retried; `RESOURCE_EXHAUSTED` only when the server sent `RetryInfo` (so it expects to
/// recover); any other code means the request will never be accepted.
pub(crate) fn classify_grpc_code(code: i32, has_retry_info: bool) -> StatusClass {
    match code {
        OK => StatusClass::Accepted,
        // CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS
        1 | 4 | 10 | 11 | 14 | 15 => StatusClass::Retryable,
        RESOURCE_EXHAUSTED if has_retry_info => StatusClass::Retryable,
        _ => StatusClass::Rejected,
    }
}

/// The canonical name of a gRPC status code, for error messages.
pub(crate) fn code_name(code: i32) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|index| NAMES.get(index))
        .copied()
        .unwrap_or("UNKNOWN")
}

/// The `RetryInfo.retry_delay` in an encoded `google.rpc.Status`
/// (`{ int32 code = 1; string message = 2; repeated Any details = 3 }`): `Some` when a
/// `RetryInfo` detail is present (zero if it names no delay), `None` when there is none or
/// the bytes do not parse.
pub(crate) fn retry_info_delay(status_details: &[u8]) -> Option<Duration> {
    let mut body = status_details;
    while !body.is_empty() {
        let (tag, wire_type) = key(&mut body)?;
        if tag != 3 || wire_type != WireType::LengthDelimited {
            skip(wire_type, &mut body)?;
            continue;
        }
        if let Some(delay) = retry_info_in_any(length_delimited(&mut body)?) {
            return Some(delay);
        }
    }
    None
}

/// `google.protobuf.Any { string type_url = 1; bytes value = 2 }` holding a `RetryInfo`.
fn retry_info_in_any(mut any: &[u8]) -> Option<Duration> {
    let (mut type_url, mut value) = (None, None);
    while !any.is_empty() {
        let (tag, wire_type) = key(&mut any)?;
        match (tag, wire_type) {
            (1, WireType::LengthDelimited) => type_url = Some(length_delimited(&mut any)?),
            (2, WireType::LengthDelimited) => value = Some(length_delimited(&mut any)?),
            _ => skip(wire_type, &mut any)?,
        }
    }
    if type_url? != RETRY_INFO_TYPE {
        return None;
    }
    // RetryInfo { google.protobuf.Duration retry_delay = 1 }
    let mut retry_info = value.unwrap_or_default();
    let mut delay = Duration::ZERO;
    while !retry_info.is_empty() {
        let (tag, wire_type) = key(&mut retry_info)?;
        if (tag, wire_type) == (1, WireType::LengthDelimited) {
            delay = duration(length_delimited(&mut retry_info)?)?;
        } else {
            skip(wire_type, &mut retry_info)?;
        }
    }
    Some(delay)
}

/// `google.protobuf.Duration { int64 seconds = 1; int32 nanos = 2 }`; negative parts
/// count as zero.
fn duration(mut body: &[u8]) -> Option<Duration> {
    let (mut seconds, mut nanos) = (0i64, 0i32);
    while !body.is_empty() {
        let (tag, wire_type) = key(&mut body)?;
        match (tag, wire_type) {
            (1, WireType::Varint) => seconds = varint(&mut body)? as i64,
            (2, WireType::Varint) => nanos = varint(&mut body)? as i32,
            _ => skip(wire_type, &mut body)?,
        }
    }
    let nanos = nanos.clamp(0, 999_999_999) as u32;
    Some(Duration::new(seconds.max(0) as u64, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::encoding::{encode_key, encode_varint, WireType};

    fn field(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
        encode_key(tag, WireType::LengthDelimited, out);
        encode_varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }

    fn varint(tag: u32, value: u64, out: &mut Vec<u8>) {
        encode_key(tag, WireType::Varint, out);
        encode_varint(value, out);
    }

    /// A `google.rpc.Status` with one `Any` detail of `type_url` holding `RetryInfo`.
    fn status_with(type_url: &str, seconds: u64, nanos: u64) -> Vec<u8> {
        let mut duration = Vec::new();
        varint(1, seconds, &mut duration);
        varint(2, nanos, &mut duration);
        let mut retry_info = Vec::new();
        field(1, &duration, &mut retry_info);
        let mut any = Vec::new();
        field(1, type_url.as_bytes(), &mut any);
        field(2, &retry_info, &mut any);
        let mut status = Vec::new();
        varint(1, 8, &mut status);
        field(2, b"slow down", &mut status);
        field(3, &any, &mut status);
        status
    }

    #[test]
    fn grpc_codes_follow_the_otlp_table() {
        assert_eq!(classify_grpc_code(0, false), StatusClass::Accepted);
        for code in [1, 4, 10, 11, 14, 15] {
            assert_eq!(
                classify_grpc_code(code, false),
                StatusClass::Retryable,
                "{code}"
            );
        }
        assert_eq!(classify_grpc_code(8, false), StatusClass::Rejected);
        assert_eq!(classify_grpc_code(8, true), StatusClass::Retryable);
        // INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
        // FAILED_PRECONDITION, UNIMPLEMENTED, INTERNAL, UNAUTHENTICATED, unknown codes
        for code in [2, 3, 5, 6, 7, 9, 12, 13, 16, 99] {
            assert_eq!(
                classify_grpc_code(code, true),
                StatusClass::Rejected,
                "{code}"
            );
        }
    }

    #[test]
    fn retry_info_delay_is_read_from_the_status_details() {
        let status = status_with(
            std::str::from_utf8(RETRY_INFO_TYPE).unwrap(),
            2,
            500_000_000,
        );
        assert_eq!(retry_info_delay(&status), Some(Duration::from_millis(2500)));
    }

    #[test]
    fn other_details_and_garbage_are_not_retry_info() {
        let other = status_with("type.googleapis.com/google.rpc.DebugInfo", 2, 0);
        assert_eq!(retry_info_delay(&other), None);
        assert_eq!(retry_info_delay(b""), None);
        assert_eq!(retry_info_delay(&[0x1a, 0xff, 0x01]), None);
    }
}
