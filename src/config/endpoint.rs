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
    if let Some(port) = port {
        if port.parse::<u16>().is_err() {
            return Err("its port is not a number from 0 to 65535");
        }
    }
    Ok(())
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
