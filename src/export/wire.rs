//! Reading protobuf by hand, a field at a time: the few response messages we need
//! (partial success, gRPC status details) do not justify a generated decoder in the
//! browser package.

use prost::encoding::{decode_varint, WireType};

/// Skips one field of `wire_type`.
pub(crate) fn skip(wire_type: WireType, body: &mut &[u8]) -> Option<()> {
    match wire_type {
        WireType::Varint => decode_varint(body).ok().map(drop),
        WireType::SixtyFourBit => advance(body, 8),
        WireType::ThirtyTwoBit => advance(body, 4),
        WireType::LengthDelimited => {
            let length = usize::try_from(decode_varint(body).ok()?).ok()?;
            advance(body, length)
        }
        WireType::StartGroup | WireType::EndGroup => None,
    }
}

fn advance(body: &mut &[u8], length: usize) -> Option<()> {
    *body = body.get(length..)?;
    Some(())
}

pub(crate) fn length_delimited<'a>(body: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = usize::try_from(decode_varint(body).ok()?).ok()?;
    let (field, rest) = (body.get(..length)?, body.get(length..)?);
    *body = rest;
    Some(field)
}

/// Like [`length_delimited`], but a field cut off by the end of `body` yields what is
/// there: response bodies are read only up to a limit.
pub(crate) fn length_delimited_prefix<'a>(body: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = usize::try_from(decode_varint(body).ok()?).unwrap_or(usize::MAX);
    let available = length.min(body.len());
    let (field, rest) = body.split_at(available);
    *body = rest;
    Some(field)
}
