//! The body of a successful export response: `ExportTraceServiceResponse`, whose
//! `partial_success` tells how many spans the backend rejected anyway, and why. Read by
//! hand (protobuf and JSON) so the browser package needs no decoder.

use super::wire::{key, length_delimited_prefix, skip, utf8_prefix, varint, WireType};

/// Spans a backend rejected in an otherwise successful response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PartialSuccess {
    pub(crate) rejected_spans: u64,
    pub(crate) error_message: String,
}

impl PartialSuccess {
    /// Reads a response body; an empty or unreadable one means full success, as the
    /// specification says a client must assume.
    pub(crate) fn from_response(body: &[u8], is_json: bool) -> PartialSuccess {
        let parsed = if is_json {
            from_json(body)
        } else {
            from_protobuf(body)
        };
        parsed.unwrap_or_default()
    }
}

/// `ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 }` with
/// `{ int64 rejected_spans = 1; string error_message = 2 }`.
fn from_protobuf(mut body: &[u8]) -> Option<PartialSuccess> {
    let mut result = PartialSuccess::default();
    while !body.is_empty() {
        let (tag, wire_type) = key(&mut body)?;
        if tag != 1 || wire_type != WireType::LengthDelimited {
            skip(wire_type, &mut body)?;
            continue;
        }
        let mut inner = length_delimited_prefix(&mut body)?;
        while !inner.is_empty() {
            let (tag, wire_type) = key(&mut inner)?;
            match (tag, wire_type) {
                (1, WireType::Varint) => {
                    let rejected = varint(&mut inner)? as i64;
                    result.rejected_spans = rejected.max(0) as u64;
                }
                (2, WireType::LengthDelimited) => {
                    let text = length_delimited_prefix(&mut inner)?;
                    result.error_message = utf8_prefix(text).to_owned();
                }
                _ => skip(wire_type, &mut inner)?,
            }
        }
    }
    Some(result)
}

/// `{"partialSuccess": {"rejectedSpans": "5" | 5, "errorMessage": "…"}}`, read by looking
/// for the two keys (the response has no other fields that could contain them).
fn from_json(body: &[u8]) -> Option<PartialSuccess> {
    // A body cut off by the bounded read may end inside a character: keep what is whole.
    let text = utf8_prefix(body);
    let rejected = json_value_after(text, "\"rejectedSpans\"")
        .and_then(json_count)
        .unwrap_or(0);
    let error_message = json_value_after(text, "\"errorMessage\"")
        .and_then(json_string)
        .unwrap_or_default();
    Some(PartialSuccess {
        rejected_spans: rejected,
        error_message,
    })
}

/// The text right after `"key":`, whitespace skipped.
fn json_value_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    // A byte search and `get`: `str::find` with a text pattern and string indexing would
    // each add a few KB of code to the browser build for this one lookup.
    let found = text
        .as_bytes()
        .windows(key.len())
        .position(|window| window == key.as_bytes())?;
    let after_key = text.get(found + key.len()..)?;
    let after_colon = after_key.trim_start().strip_prefix(':')?;
    Some(after_colon.trim_start())
}

/// The count at the start of `text`, bare (`5`) or quoted (`"5"`, proto3 JSON's int64).
/// A number the body ends in the middle of is not a count: `"1` may have been `"100"`.
fn json_count(text: &str) -> Option<u64> {
    let (quoted, rest) = match text.strip_prefix('"') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let terminator = *rest.as_bytes().get(digits)?;
    if quoted && terminator != b'"' {
        return None;
    }
    rest.get(..digits)?.parse().ok()
}

/// Decodes the JSON string literal at the start of `text`.
fn json_string(text: &str) -> Option<String> {
    let mut chars = text.strip_prefix('"')?.chars();
    let mut decoded = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(decoded),
            '\\' => match chars.next()? {
                'n' => decoded.push('\n'),
                't' => decoded.push('\t'),
                'r' => decoded.push('\r'),
                'b' => decoded.push('\u{8}'),
                'f' => decoded.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let unit = u32::from_str_radix(&hex, 16).ok()?;
                    decoded.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
                }
                other => decoded.push(other),
            },
            c => decoded.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bodies_mean_full_success() {
        assert_eq!(
            PartialSuccess::from_response(b"", false),
            PartialSuccess::default()
        );
        assert_eq!(
            PartialSuccess::from_response(b"{}", true),
            PartialSuccess::default()
        );
        assert_eq!(
            PartialSuccess::from_response(b"\xff\xff", false),
            PartialSuccess::default()
        );
    }

    #[test]
    fn reads_protobuf_partial_success() {
        // partial_success { rejected_spans: 3, error_message: "too old" }
        let body = [
            0x0a, 0x0b, 0x08, 0x03, 0x12, 0x07, b't', b'o', b'o', b' ', b'o', b'l', b'd',
        ];
        assert_eq!(
            PartialSuccess::from_response(&body, false),
            PartialSuccess {
                rejected_spans: 3,
                error_message: "too old".into()
            }
        );
    }

    #[test]
    fn a_body_cut_off_in_its_message_still_counts_the_rejected_spans() {
        // partial_success { rejected_spans: 3, error_message: <1 MiB, cut after "too"> }
        let mut body = vec![0x0a, 0x88, 0x80, 0x40, 0x08, 0x03, 0x12, 0x80, 0x80, 0x40];
        body.extend_from_slice(b"too");
        assert_eq!(
            PartialSuccess::from_response(&body, false),
            PartialSuccess {
                rejected_spans: 3,
                error_message: "too".into()
            }
        );
        let json = br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old and"#;
        assert_eq!(PartialSuccess::from_response(json, true).rejected_spans, 3);
        // Cut inside the count: not a count (it may have been 100), rather than 1.
        for cut in [
            &br#"{"partialSuccess":{"rejectedSpans":"1"#[..],
            br#"{"partialSuccess":{"rejectedSpans":1"#,
        ] {
            assert_eq!(PartialSuccess::from_response(cut, true).rejected_spans, 0);
        }
        // Cut inside a character of the message: the count still reads.
        let mut json = br#"{"partialSuccess":{"rejectedSpans":7,"errorMessage":"caf"#.to_vec();
        json.push(0xc3);
        assert_eq!(PartialSuccess::from_response(&json, true).rejected_spans, 7);
    }

    #[test]
    fn reads_json_partial_success_with_string_or_number_counts() {
        for body in [
            r#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too \"old\"\n"}}"#,
            r#"{ "partialSuccess" : { "errorMessage" : "too \"old\"\n", "rejectedSpans" : 3 } }"#,
        ] {
            assert_eq!(
                PartialSuccess::from_response(body.as_bytes(), true),
                PartialSuccess {
                    rejected_spans: 3,
                    error_message: "too \"old\"\n".into()
                },
                "{body}"
            );
        }
    }

    // proptest and the official types are native-only dev-dependencies.
    #[cfg(not(target_arch = "wasm32"))]
    mod random_bodies {
        use super::*;
        use opentelemetry_proto::tonic::collector::trace::v1::{
            ExportTracePartialSuccess, ExportTraceServiceResponse,
        };
        use proptest::prelude::*;
        use prost::Message;

        fn response(rejected: i64, message: &str) -> ExportTraceServiceResponse {
            ExportTraceServiceResponse {
                partial_success: Some(ExportTracePartialSuccess {
                    rejected_spans: rejected,
                    error_message: message.to_owned(),
                }),
            }
        }

        proptest! {
            #[test]
            fn any_bytes_read_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..256)) {
                let _ = PartialSuccess::from_response(&body, false);
                let _ = PartialSuccess::from_response(&body, true);
            }

            #[test]
            fn responses_from_the_official_types_read_back(
                rejected in 0i64..i64::MAX,
                message in "\\PC{0,40}",
                cut in 0usize..64,
            ) {
                let expected = PartialSuccess { rejected_spans: rejected as u64, error_message: message.clone() };
                let protobuf = response(rejected, &message).encode_to_vec();
                prop_assert_eq!(PartialSuccess::from_response(&protobuf, false), expected.clone());
                let json = serde_json::to_vec(&response(rejected, &message)).unwrap();
                prop_assert_eq!(PartialSuccess::from_response(&json, true), expected);
                // A body cut anywhere (a bounded read) is read without panicking, and any
                // count it yields is the real one.
                for (body, is_json) in [(&protobuf, false), (&json, true)] {
                    let cut = body.len().saturating_sub(cut);
                    let partial = PartialSuccess::from_response(&body[..cut], is_json);
                    prop_assert!(
                        partial.rejected_spans == 0 || partial.rejected_spans == rejected as u64,
                        "{} read from {:?}", partial.rejected_spans, String::from_utf8_lossy(&body[..cut])
                    );
                }
            }

            #[test]
            fn negative_counts_reject_nothing(rejected in i64::MIN..0) {
                let protobuf = response(rejected, "odd").encode_to_vec();
                prop_assert_eq!(PartialSuccess::from_response(&protobuf, false).rejected_spans, 0);
            }
        }
    }
}
