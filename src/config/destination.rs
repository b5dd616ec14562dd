//! A fan-out destination: an endpoint and its own headers; shown with secrets redacted.

use super::endpoint::redact_password;

/// One more backend for [`Config::with_destination`]: its endpoint and its own headers.
/// Protocol, compression, timeout and retry policy are the collector's. Its `Debug` output
/// hides header values and URL passwords.
#[derive(Clone, PartialEq, Eq)]
pub struct Destination {
    pub(crate) endpoint: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Destination {
    /// A destination at `endpoint` (a full traces URL for HTTP, `http://host:port` for gRPC).
    pub fn new(endpoint: impl Into<String>) -> Self {
        Destination {
            endpoint: endpoint.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header sent to this destination only (e.g. its API key).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The headers sent to this destination only.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
}

/// Header values as `name: <redacted>`, for Debug output.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a [(String, String)]);

impl std::fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_map()
            .entries(self.0.iter().map(|(name, _)| (name, "<redacted>")))
            .finish()
    }
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Destination")
            .field("endpoint", &redact_password(&self.endpoint))
            .field("headers", &RedactedHeaders(&self.headers))
            .finish()
    }
}
