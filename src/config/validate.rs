//! Checks a configuration field by field; the error names the first bad one.

use super::endpoint;
use super::{
    Config, ConfigError, FRAMING_HEADERS, HEADER_NAME_SYMBOLS, MAX_CONCURRENT_EXPORTS_LIMIT,
    MAX_QUEUE_SIZE_LIMIT, MAX_REQUEST_BYTES_LIMIT,
};

impl Config {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("max_queue_size", self.max_queue_size == 0),
            ("batch_size", self.batch_size == 0),
            ("max_request_bytes", self.max_request_bytes == 0),
            ("max_concurrent_exports", self.max_concurrent_exports == 0),
            ("batch_timeout", self.batch_timeout.is_zero()),
            ("export_timeout", self.export_timeout.is_zero()),
            ("flush_timeout", self.flush_timeout.is_zero()),
            ("shutdown_timeout", self.shutdown_timeout.is_zero()),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, is_zero)| *is_zero) {
            return Err(ConfigError::Zero { field });
        }
        let bounded = [
            ("max_queue_size", self.max_queue_size, MAX_QUEUE_SIZE_LIMIT),
            (
                "max_request_bytes",
                self.max_request_bytes,
                MAX_REQUEST_BYTES_LIMIT,
            ),
            (
                "max_concurrent_exports",
                self.max_concurrent_exports,
                MAX_CONCURRENT_EXPORTS_LIMIT,
            ),
        ];
        if let Some(&(field, value, max)) = bounded.iter().find(|(_, value, max)| value > max) {
            return Err(ConfigError::TooLarge { field, value, max });
        }
        if let Some((setting, feature)) = self.missing_feature() {
            return Err(ConfigError::FeatureDisabled { setting, feature });
        }
        self.span_rules()?;
        if let Some(ratio) = self.sampler.ratio() {
            if !(0.0..=1.0).contains(&ratio) {
                return Err(ConfigError::InvalidSampler(
                    "the ratio must be a number from 0 to 1",
                ));
            }
        }
        if !(self.retry.multiplier >= 1.0 && self.retry.multiplier.is_finite()) {
            return Err(ConfigError::InvalidRetry(
                "multiplier must be a finite number of at least 1",
            ));
        }
        if self.batch_size > self.max_queue_size {
            return Err(ConfigError::BatchLargerThanQueue {
                batch_size: self.batch_size,
                max_queue_size: self.max_queue_size,
            });
        }
        for destination in self.destinations() {
            check_destination(&destination.endpoint, &destination.headers)?;
        }
        if let Some(opamp) = &self.opamp {
            check_destination(&opamp.endpoint, &opamp.headers)?;
            if opamp.poll_interval.is_zero() {
                return Err(ConfigError::Zero {
                    field: "opamp_poll_interval",
                });
            }
        }
        Ok(())
    }
}

/// An endpoint URL and the headers sent to it (an export destination's, or the OpAMP
/// server's).
fn check_destination(url: &str, headers: &[(String, String)]) -> Result<(), ConfigError> {
    endpoint::check_url(url).map_err(|reason| ConfigError::InvalidEndpoint {
        url: endpoint::redact_password(url),
        reason,
    })?;
    for (name, value) in headers {
        check_header(name, value)?;
    }
    Ok(())
}

/// Header names are RFC 9110 tokens; values are visible ASCII, space or tab.
pub(super) fn check_header(name: &str, value: &str) -> Result<(), ConfigError> {
    let invalid = |reason| ConfigError::InvalidHeader {
        name: name.to_owned(),
        reason,
    };
    // Bytes, not chars: `str::contains(char)` brings a text search into the browser build.
    let is_token_byte = |b: &u8| b.is_ascii_alphanumeric() || HEADER_NAME_SYMBOLS.contains(b);
    if name.is_empty() || !name.as_bytes().iter().all(is_token_byte) {
        return Err(invalid(
            "names may hold only letters, digits and !#$%&'*+-.^_`|~",
        ));
    }
    if FRAMING_HEADERS
        .iter()
        .any(|framing| name.eq_ignore_ascii_case(framing))
    {
        return Err(invalid(
            "the exporter sets this header itself (it frames the request body)",
        ));
    }
    if !value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
        return Err(invalid(
            "values may hold only visible ASCII, spaces and tabs",
        ));
    }
    Ok(())
}
