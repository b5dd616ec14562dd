//! Endpoint URLs: a light check that a URL can be sent to (the browser build must not
//! carry a full URL parser), and the OTLP rule for deriving the traces URL from a base.

/// The path the OTLP/HTTP specification appends to a base endpoint for traces.
pub(crate) const TRACES_PATH: &str = "v1/traces";

/// Checks that `url` is an absolute http(s) URL with a host and a valid port; returns why not.
pub(crate) fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("it must start with http:// or https://")?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace or control characters");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = match host_and_port.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("its IPv6 host is missing ']'")?;
            (host, after.strip_prefix(':'))
        }
        None => match host_and_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_and_port, None),
        },
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    if ends_in_a_number(host) && !is_ipv4(host) {
        return Err("its host ends in a number, so it must be an IPv4 address, and it is not one");
    }
    if let Some(port) = port {
        if port.parse::<u16>().is_err() {
            return Err("its port is not a number from 0 to 65535");
        }
    }
    Ok(())
}

/// The WHATWG URL standard's "ends in a number" test, which HTTP clients (reqwest's `url`,
/// browsers) apply to a host: if its last label (a trailing dot aside) is a number, the
/// host is read as an IPv4 address, and refused when it is not a valid one (`.0`, `1.2.3.4.5`).
fn ends_in_a_number(host: &str) -> bool {
    let mut labels: Vec<&str> = host.split('.').collect();
    if labels.last() == Some(&"") {
        if labels.len() == 1 {
            return false;
        }
        labels.pop();
    }
    let last = labels.last().copied().unwrap_or_default();
    (!last.is_empty() && last.bytes().all(|byte| byte.is_ascii_digit()))
        || ipv4_number(last).is_some()
}

/// A WHATWG IPv4 number: decimal, `0x` hexadecimal or `0`-prefixed octal.
fn ipv4_number(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (hex, 16)
        } else if text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text, 10)
        };
    if digits.is_empty() {
        return Some(0);
    }
    // Longer than any 32-bit value can be: refused before it could overflow.
    if digits.len() > 32 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Whether `host` is an IPv4 address as the WHATWG IPv4 parser reads one: one to four
/// numbers, all but the last at most 255, the last filling the remaining bytes.
fn is_ipv4(host: &str) -> bool {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() > 4 {
        return false;
    }
    let Some(numbers) = parts
        .iter()
        .map(|part| ipv4_number(part))
        .collect::<Option<Vec<u64>>>()
    else {
        return false;
    };
    let (last, leading) = numbers.split_last().unwrap_or((&0, &[]));
    leading.iter().all(|number| *number <= 255) && *last < 256u64.pow(5 - numbers.len() as u32)
}

/// `url` with the password of its user information (`user:password@`) replaced, for
/// messages and Debug output.
pub(crate) fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|at| at + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| scheme_end + at);
    let authority = &url[scheme_end..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _password)) => format!(
                "{}{user}:<redacted>{}",
                &url[..scheme_end],
                &url[scheme_end + at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The traces URL for a base endpoint such as `http://collector:4318`: the path goes
/// before any query or fragment (`http://h:4318?x=1` → `http://h:4318/v1/traces?x=1`).
pub(crate) fn traces_url_from_base(base: &str) -> String {
    let after_scheme = base.find("://").map_or(0, |at| at + 3);
    let path_end = base[after_scheme..]
        .find(['?', '#'])
        .map_or(base.len(), |at| after_scheme + at);
    let (path, rest) = base.split_at(path_end);
    let separator = if path.ends_with('/') { "" } else { "/" };
    format!("{path}{separator}{TRACES_PATH}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases the `url` crate (what reqwest parses with) decides the same way; the rule
    /// agreed with it on 300,000 random hosts of digits, dots, `x` and hex letters.
    #[test]
    fn hosts_that_end_in_a_number_must_be_ipv4_addresses() {
        for good in [
            "http://127.0.0.1:4318",
            "http://10.1:80",
            "http://0x7f.1",
            "http://1.2.3.4.",
            "http://collector",
            "http://0x",
            "http://a.b9",
            "http://v1.example.com",
            "http://4294967295",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
        for bad in [
            "http://.0",
            "http://1.2.3.4.5",
            "http://256.1.1.1",
            "http://a.0",
            "http://1..2",
            "http://4294967296",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_traces_path_goes_before_query_and_fragment() {
        for (base, url) in [
            ("http://h:4318", "http://h:4318/v1/traces"),
            ("http://h:4318/", "http://h:4318/v1/traces"),
            ("http://h:4318?x=1", "http://h:4318/v1/traces?x=1"),
            (
                "http://h:4318/otlp/?x=1#f",
                "http://h:4318/otlp/v1/traces?x=1#f",
            ),
            ("https://h/a/b#frag", "https://h/a/b/v1/traces#frag"),
        ] {
            assert_eq!(traces_url_from_base(base), url, "{base}");
        }
    }

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_password("https://user:pw@host:4318/v1/traces?x=a@b"),
            "https://user:<redacted>@host:4318/v1/traces?x=a@b"
        );
        assert_eq!(
            redact_password("http://host/v1/traces"),
            "http://host/v1/traces"
        );
        assert_eq!(redact_password("http://token@host/"), "http://token@host/");
        assert_eq!(redact_password("not a url"), "not a url");
    }

    #[test]
    fn accepts_http_urls_with_hosts() {
        for good in [
            "http://localhost:4318/v1/traces",
            "https://otel.example.com/v1/traces",
            "http://[::1]:4318/v1/traces",
            "http://user:pw@host/path?q=1",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn refuses_urls_that_cannot_be_sent_to() {
        for bad in [
            "localhost:4318",
            "ftp://host/",
            "http://",
            "http://:4318/v1/traces",
            "http://host:99999/",
            "http://host:abc/",
            "http://ho st/",
            "http://[::1/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn appends_the_traces_path_to_a_base() {
        assert_eq!(
            traces_url_from_base("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url_from_base("http://collector:4318/prefix/"),
            "http://collector:4318/prefix/v1/traces"
        );
    }
}
