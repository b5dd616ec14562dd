//! Why a configuration was refused: each message names the field or variable to fix.

use crate::transform::RuleError;

/// Why a configuration was refused. Each message names the field or variable to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A size or duration that must be positive was zero.
    #[error("{field} must be greater than zero")]
    Zero {
        /// The field, e.g. `batch_size`.
        field: &'static str,
    },
    /// A size above what the collector can hold without risking the application's memory.
    #[error("{field} ({value}) is larger than the most allowed, {max}")]
    TooLarge {
        /// The field, e.g. `max_queue_size`.
        field: &'static str,
        /// The configured value.
        value: usize,
        /// The largest accepted value.
        max: usize,
    },
    /// The retry policy cannot be followed.
    #[error("retry policy: {0}")]
    InvalidRetry(&'static str),
    /// The setting needs a cargo feature this build was made without.
    #[error("{setting} needs otlp-collector's `{feature}` cargo feature: add features = [\"{feature}\"] to the dependency")]
    FeatureDisabled {
        /// What was asked for, e.g. "protocol grpc".
        setting: &'static str,
        /// The feature that provides it.
        feature: &'static str,
    },
    /// The sampler's settings are out of range.
    #[error("sampler: {0}")]
    InvalidSampler(&'static str),
    /// The batch could never fill because the buffer is smaller.
    #[error("batch_size ({batch_size}) must not exceed max_queue_size ({max_queue_size})")]
    BatchLargerThanQueue {
        /// The configured batch size.
        batch_size: usize,
        /// The configured buffer capacity.
        max_queue_size: usize,
    },
    /// The endpoint cannot be sent to.
    #[error("endpoint \"{url}\" is not a usable URL: {reason}")]
    InvalidEndpoint {
        /// The URL as given, its password hidden.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header name or value cannot go into an HTTP request.
    #[error("header \"{name}\" is invalid: {reason}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An environment variable had a value we cannot use.
    #[error("{variable}=\"{value}\" is invalid: {reason}")]
    InvalidVariable {
        /// The variable, e.g. `OTEL_BSP_MAX_QUEUE_SIZE`.
        variable: String,
        /// Its value.
        value: String,
        /// What would be accepted.
        reason: String,
    },
    /// A transform statement or drop condition does not compile.
    #[error("{0}")]
    InvalidRule(RuleError),
}
