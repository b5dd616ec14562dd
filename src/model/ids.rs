//! Trace and span identifiers: random, never all-zero, printed as lowercase hex.
//!
//! Ids come from a per-thread wyrand generator seeded once from the platform's entropy
//! source, so making an id costs a few multiplications and no lock or system call.

use std::cell::Cell;
use std::fmt;

use crate::platform;

/// A 16-byte trace id. All spans of one trace share it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId([u8; 16]);

/// An 8-byte span id, unique within its trace.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId([u8; 8]);

/// Why a hex id could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text had the wrong number of characters.
    #[error("expected {expected} lowercase hex characters, got {actual}")]
    WrongLength {
        /// Characters an id of this kind has.
        expected: usize,
        /// Characters given.
        actual: usize,
    },
    /// A character was not `0-9` or `a-f`.
    #[error("'{0}' is not a lowercase hex digit")]
    NotHex(char),
    /// All-zero ids are invalid in OpenTelemetry.
    #[error("an all-zero id is invalid")]
    AllZero,
}

thread_local! {
    static GENERATOR: Cell<u64> = Cell::new(platform::random_seed());
}

/// The next 64 random bits from this thread's wyrand state (also used for retry jitter).
pub(crate) fn random_u64() -> u64 {
    GENERATOR.with(|state| {
        let seed = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(seed);
        let product = u128::from(seed) * u128::from(seed ^ 0xe703_7ed1_a0b4_28db);
        ((product >> 64) as u64) ^ (product as u64)
    })
}

/// 64 random bits that are not all zero.
fn next_nonzero_random() -> u64 {
    loop {
        let value = random_u64();
        if value != 0 {
            return value;
        }
    }
}

impl TraceId {
    /// A new random trace id.
    pub fn random() -> Self {
        let high = random_u64();
        let low = next_nonzero_random();
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&high.to_be_bytes());
        bytes[8..].copy_from_slice(&low.to_be_bytes());
        TraceId(bytes)
    }

    /// Wraps raw bytes; an all-zero id is refused.
    pub fn from_bytes(bytes: [u8; 16]) -> Result<Self, IdError> {
        if bytes == [0; 16] {
            return Err(IdError::AllZero);
        }
        Ok(TraceId(bytes))
    }

    /// Parses 32 lowercase hex characters, as in a `traceparent` header.
    pub fn from_hex(text: &str) -> Result<Self, IdError> {
        let mut bytes = [0; 16];
        decode_hex(text, &mut bytes)?;
        Self::from_bytes(bytes)
    }

    /// The raw bytes, as sent in OTLP/protobuf.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// An id as a span record stored it (it was valid when written).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the native span records'
    pub(crate) fn from_raw(bytes: [u8; 16]) -> Self {
        TraceId(bytes)
    }
}

impl SpanId {
    /// A new random span id.
    pub fn random() -> Self {
        SpanId(next_nonzero_random().to_be_bytes())
    }

    /// Wraps raw bytes; an all-zero id is refused.
    pub fn from_bytes(bytes: [u8; 8]) -> Result<Self, IdError> {
        if bytes == [0; 8] {
            return Err(IdError::AllZero);
        }
        Ok(SpanId(bytes))
    }

    /// Parses 16 lowercase hex characters, as in a `traceparent` header.
    pub fn from_hex(text: &str) -> Result<Self, IdError> {
        let mut bytes = [0; 8];
        decode_hex(text, &mut bytes)?;
        Self::from_bytes(bytes)
    }

    /// The raw bytes, as sent in OTLP/protobuf.
    pub fn to_bytes(self) -> [u8; 8] {
        self.0
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// An id as a span record stored it (it was valid when written).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the native span records'
    pub(crate) fn from_raw(bytes: [u8; 8]) -> Self {
        SpanId(bytes)
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends the lowercase hex form of `bytes` to `out`.
pub(crate) fn push_hex(bytes: &[u8], out: &mut Vec<u8>) {
    for byte in bytes {
        out.push(HEX_DIGITS[usize::from(byte >> 4)]);
        out.push(HEX_DIGITS[usize::from(byte & 0x0f)]);
    }
}

fn decode_hex(text: &str, out: &mut [u8]) -> Result<(), IdError> {
    if text.len() != out.len() * 2 {
        return Err(IdError::WrongLength {
            expected: out.len() * 2,
            actual: text.chars().count(),
        });
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(IdError::NotHex(char::from(c))),
    };
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Ok(())
}

fn fmt_hex(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut text = Vec::with_capacity(bytes.len() * 2);
    push_hex(bytes, &mut text);
    // push_hex only writes ASCII digits.
    f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_hex(&self.0, f)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_hex(&self.0, f)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn random_ids_are_distinct_and_never_zero() {
        let trace_ids: HashSet<_> = (0..10_000).map(|_| TraceId::random()).collect();
        let span_ids: HashSet<_> = (0..10_000).map(|_| SpanId::random()).collect();
        assert_eq!(trace_ids.len(), 10_000);
        assert_eq!(span_ids.len(), 10_000);
        assert!(!trace_ids.contains(&TraceId([0; 16])));
        assert!(!span_ids.contains(&SpanId([0; 8])));
    }

    #[test]
    fn hex_round_trips() {
        let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let span = SpanId::from_hex("00f067aa0ba902b7").unwrap();
        assert_eq!(span.to_string(), "00f067aa0ba902b7");
    }

    #[test]
    fn bad_hex_is_a_clear_error() {
        assert_eq!(
            SpanId::from_hex("00f067aa0ba902"),
            Err(IdError::WrongLength {
                expected: 16,
                actual: 14
            })
        );
        assert_eq!(
            SpanId::from_hex("00f067aa0ba902bZ"),
            Err(IdError::NotHex('Z'))
        );
        assert_eq!(TraceId::from_hex(&"0".repeat(32)), Err(IdError::AllZero));
    }
}
