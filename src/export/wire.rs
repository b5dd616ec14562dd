//! Reading protobuf by hand, a field at a time: the few response messages we need
//! (partial success, gRPC status details) do not justify a generated decoder (nor prost's
//! error types) in the browser package.

/// How a field's value is laid out on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint,
    SixtyFourBit,
    LengthDelimited,
    ThirtyTwoBit,
}

/// Reads a base-128 varint; `None` when `body` ends inside it or it runs past 10 bytes.
pub(crate) fn varint(body: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let (&byte, rest) = body.split_first()?;
        *body = rest;
        value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// Reads a field key: its number and wire type (groups, long deprecated, are refused).
pub(crate) fn key(body: &mut &[u8]) -> Option<(u64, WireType)> {
    let key = varint(body)?;
    let wire_type = match key & 7 {
        0 => WireType::Varint,
        1 => WireType::SixtyFourBit,
        2 => WireType::LengthDelimited,
        5 => WireType::ThirtyTwoBit,
        _ => return None,
    };
    Some((key >> 3, wire_type))
}

/// Skips one field of `wire_type`.
pub(crate) fn skip(wire_type: WireType, body: &mut &[u8]) -> Option<()> {
    match wire_type {
        WireType::Varint => varint(body).map(drop),
        WireType::SixtyFourBit => advance(body, 8),
        WireType::ThirtyTwoBit => advance(body, 4),
        WireType::LengthDelimited => length_delimited(body).map(drop),
    }
}

fn advance(body: &mut &[u8], length: usize) -> Option<()> {
    *body = body.get(length..)?;
    Some(())
}

pub(crate) fn length_delimited<'a>(body: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = usize::try_from(varint(body)?).ok()?;
    let (field, rest) = (body.get(..length)?, body.get(length..)?);
    *body = rest;
    Some(field)
}

/// Like [`length_delimited`], but a field cut off by the end of `body` yields what is
/// there: response bodies are read only up to a limit.
pub(crate) fn length_delimited_prefix<'a>(body: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = usize::try_from(varint(body)?).unwrap_or(usize::MAX);
    let available = length.min(body.len());
    let (field, rest) = body.split_at(available);
    *body = rest;
    Some(field)
}

/// The longest prefix of `bytes` that is UTF-8: a body cut off by the bounded read may end
/// inside a character. (Not `from_utf8_lossy`, whose tables weigh kilobytes in the browser
/// package, for text that only ends up in an error message.)
pub(crate) fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => std::str::from_utf8(bytes.get(..error.valid_up_to()).unwrap_or_default())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_as_prost_writes_them() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            u32::MAX as u64,
            i64::MAX as u64,
            u64::MAX,
        ] {
            let mut encoded = Vec::new();
            prost::encoding::encode_varint(value, &mut encoded);
            let mut body = &encoded[..];
            assert_eq!(varint(&mut body), Some(value));
            assert!(body.is_empty());
        }
        assert_eq!(varint(&mut &[0x80, 0x80][..]), None);
        assert_eq!(varint(&mut &[0xff; 11][..]), None);
    }

    #[test]
    fn a_cut_character_is_left_out() {
        assert_eq!(utf8_prefix("héllo".as_bytes()), "héllo");
        assert_eq!(utf8_prefix(&"hé".as_bytes()[..2]), "h");
    }
}
