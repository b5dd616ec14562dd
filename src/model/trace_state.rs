//! The W3C `tracestate` header, checked before it is carried: a caller's value travels into
//! children, exports and outgoing requests, so one that breaks the grammar (line breaks,
//! markup, a hundred members, duplicate keys) is dropped whole, as the W3C text asks of a
//! vendor that cannot parse it.

/// At most this many list members (W3C).
pub const MAX_TRACE_STATE_MEMBERS: usize = 32;

/// `value` as a valid `tracestate`: members joined by `,` with the optional whitespace and
/// empty members removed; `None` when it breaks the W3C grammar or has no member.
///
/// # Examples
/// ```
/// use otlp_collector::normalize_trace_state;
/// assert_eq!(normalize_trace_state(" a=1 ,, b@sys=x y").as_deref(), Some("a=1,b@sys=x y"));
/// assert_eq!(normalize_trace_state("a=1\r\nb=2"), None);
/// ```
pub fn normalize_trace_state(value: &str) -> Option<String> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in value.split(',') {
        let member = member.trim_matches(|c| c == ' ' || c == '\t');
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        if !is_key(key) || !is_value(value) || members.iter().any(|(seen, _)| *seen == key) {
            return None;
        }
        members.push((key, value));
        if members.len() > MAX_TRACE_STATE_MEMBERS {
            return None;
        }
    }
    if members.is_empty() {
        return None;
    }
    let mut normalized = String::with_capacity(value.len());
    for (index, (key, value)) in members.iter().enumerate() {
        if index > 0 {
            normalized.push(',');
        }
        normalized.push_str(key);
        normalized.push('=');
        normalized.push_str(value);
    }
    Some(normalized)
}

fn is_key_char(byte: u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'_' | b'-' | b'*' | b'/')
}

/// `simple-key` (a lowercase letter, then up to 255 key characters) or
/// `tenant-id@system-id` (up to 241 and 14, the system id starting with a letter).
fn is_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    match key.split_once('@') {
        None => {
            (1..=256).contains(&bytes.len())
                && bytes[0].is_ascii_lowercase()
                && bytes.iter().all(|&byte| is_key_char(byte))
        }
        Some((tenant, system)) => {
            let (tenant, system) = (tenant.as_bytes(), system.as_bytes());
            (1..=241).contains(&tenant.len())
                && (tenant[0].is_ascii_lowercase() || tenant[0].is_ascii_digit())
                && tenant.iter().all(|&byte| is_key_char(byte))
                && (1..=14).contains(&system.len())
                && system[0].is_ascii_lowercase()
                && system.iter().all(|&byte| is_key_char(byte))
        }
    }
}

/// Up to 256 printable ASCII characters but `,` and `=`, spaces inside only.
fn is_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let printable = |byte: u8| (0x20..=0x7e).contains(&byte) && byte != b',' && byte != b'=';
    (1..=256).contains(&bytes.len())
        && bytes.iter().all(|&byte| printable(byte))
        && bytes.last() != Some(&b' ')
}

// The vectors are read with serde_json, a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The cases `tests/vectors/tracestate.json` holds, which the JavaScript package's test
    /// reads too: both languages must give the same answer for each.
    #[test]
    fn the_shared_vectors_hold() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/tracestate.json")).unwrap();
        let cases = vectors["cases"].as_array().unwrap();
        assert!(cases.len() >= 20);
        for case in cases {
            let input = case["input"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    // Generated inputs: `repeat` members `key<i>=v`.
                    let count = case["members"].as_u64().unwrap();
                    (0..count)
                        .map(|i| format!("k{i}=v"))
                        .collect::<Vec<_>>()
                        .join(",")
                });
            let expected = case["output"].as_str();
            assert_eq!(
                normalize_trace_state(&input).as_deref(),
                expected,
                "{}",
                case["why"]
            );
        }
    }
}
