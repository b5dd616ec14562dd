//! The body of a refused OTLP/HTTP export: the specification has servers answer with a
//! protobuf `google.rpc.Status` when the request was protobuf. Its message is what a user
//! needs in the error ("http: request body too large", "data refused due to high memory
//! usage"), not the raw bytes. Read by hand, like partial success, so no decoder is linked.

use super::wire::{key, length_delimited, skip, utf8_prefix, WireType};

/// `google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3 }`:
/// its message, when `body` is exactly such a message with one.
pub(crate) fn status_message(mut body: &[u8]) -> Option<String> {
    let mut message = None;
    while !body.is_empty() {
        let (tag, wire_type) = key(&mut body)?;
        if (tag, wire_type) == (2, WireType::LengthDelimited) {
            let text = length_delimited(&mut body)?;
            message = Some(std::str::from_utf8(text).ok()?.to_owned());
        } else {
            skip(wire_type, &mut body)?;
        }
    }
    message
}

/// The error text of a refused response: the status message of a protobuf body, else the
/// start of the body as text.
pub(crate) fn error_text(body: &[u8], is_protobuf: bool, limit: usize) -> String {
    match is_protobuf.then(|| status_message(body)).flatten() {
        Some(message) => utf8_prefix(&message.as_bytes()[..message.len().min(limit)]).to_owned(),
        None => String::from_utf8_lossy(&body[..body.len().min(limit)]).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_collectors_status_body_reads_as_its_message() {
        // What the Collector's otlp receiver answers above max_request_body_size.
        let body = b"\x08\x03\x12\x1chttp: request body too large";
        assert_eq!(error_text(body, true, 1024), "http: request body too large");
        // With details (field 3) after the message.
        let mut with_details = body.to_vec();
        with_details.extend_from_slice(b"\x1a\x02\x0a\x00");
        assert_eq!(
            status_message(&with_details).as_deref(),
            Some("http: request body too large")
        );
    }

    #[test]
    fn other_bodies_stay_text() {
        assert_eq!(error_text(b"Bad Request", true, 1024), "Bad Request");
        assert_eq!(error_text(b"\x08\x03", true, 1024), "\u{8}\u{3}");
        assert_eq!(error_text(b"{\"code\":3}", false, 1024), "{\"code\":3}");
        assert_eq!(error_text(b"\xff ok", false, 1024), "\u{fffd} ok");
        assert_eq!(status_message(b"\x12\x05ab"), None, "cut short");
    }
}
