//! Reading the standard `OTEL_*` environment variables into a [`Config`].
//!
//! Signal-specific variables (`OTEL_EXPORTER_OTLP_TRACES_*`) win over generic ones, as the
//! OpenTelemetry specification requires; every error names the variable and its value.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use super::endpoint::{check_url, redact_password, traces_url_from_base};
use super::{
    check_header, Config, ConfigError, MAX_CONCURRENT_EXPORTS_LIMIT, MAX_QUEUE_SIZE_LIMIT,
};
use crate::encoding::{Compression, Protocol};
use crate::model::Value;
use crate::sampling::Sampler;

/// Where configuration variables come from: the process environment, a map in a test, a
/// browser's options object, …
pub trait ConfigSource {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> ConfigSource for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

impl ConfigSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

/// Variables whose values are credentials: errors never repeat them.
const SECRET_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
];

/// Why a value this build cannot serve is refused.
const FEATURE_GRPC: &str = "gRPC needs otlp-collector's `grpc` cargo feature";
const FEATURE_JSON: &str = "OTLP/JSON needs otlp-collector's `json` cargo feature";
const FEATURE_GZIP: &str = "gzip needs otlp-collector's `gzip` cargo feature";

/// A set, non-empty variable: its name and trimmed value.
struct Variable {
    name: String,
    value: String,
}

impl Variable {
    fn is_secret(&self) -> bool {
        SECRET_VARIABLES.contains(&self.name.as_str())
    }

    /// `text` (part of the value) as an error message may show it.
    fn shown(&self, text: &str) -> String {
        if self.is_secret() {
            "<redacted>".to_owned()
        } else {
            redact_password(text)
        }
    }

    fn invalid(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::InvalidVariable {
            variable: self.name.clone(),
            value: self.shown(&self.value),
            reason: reason.into(),
        }
    }

    fn parse<T: FromStr>(&self, expected: &str) -> Result<T, ConfigError> {
        self.value
            .parse()
            .map_err(|_| self.invalid(format!("expected {expected}")))
    }

    fn milliseconds(&self) -> Result<Duration, ConfigError> {
        match self.parse::<u64>("a whole number of milliseconds greater than zero")? {
            0 => Err(self.invalid("expected a whole number of milliseconds greater than zero")),
            millis => Ok(Duration::from_millis(millis)),
        }
    }

    fn count_up_to(&self, max: usize) -> Result<usize, ConfigError> {
        let expected = format!("a whole number from 1 to {max}");
        match self.parse::<usize>(&expected)? {
            count if (1..=max).contains(&count) => Ok(count),
            _ => Err(self.invalid(format!("expected {expected}"))),
        }
    }

    fn limit(&self) -> Result<u32, ConfigError> {
        self.parse::<u32>("a whole number up to 4294967295")
    }
}

fn lookup(source: &dyn ConfigSource, name: &str) -> Option<Variable> {
    let value = source.get(name)?;
    let value = value.trim();
    (!value.is_empty()).then(|| Variable {
        name: name.to_owned(),
        value: value.to_owned(),
    })
}

/// `OTEL_EXPORTER_OTLP_TRACES_<suffix>`, else `OTEL_EXPORTER_OTLP_<suffix>`.
fn exporter_variable(source: &dyn ConfigSource, suffix: &str) -> Option<Variable> {
    lookup(source, &format!("OTEL_EXPORTER_OTLP_TRACES_{suffix}"))
        .or_else(|| lookup(source, &format!("OTEL_EXPORTER_OTLP_{suffix}")))
}

/// Applies every variable found in `source` to `config`.
pub(crate) fn apply(mut config: Config, source: &dyn ConfigSource) -> Result<Config, ConfigError> {
    // The protocol first: it decides the default endpoint and how a base URL is read.
    if let Some(protocol) = exporter_variable(source, "PROTOCOL") {
        config = config.with_protocol(match protocol.value.as_str() {
            "http/protobuf" => Protocol::HttpProtobuf,
            "http/json" if cfg!(feature = "json") => Protocol::HttpJson,
            "http/json" => return Err(protocol.invalid(FEATURE_JSON)),
            "grpc" if cfg!(feature = "grpc") => Protocol::Grpc,
            "grpc" => return Err(protocol.invalid(FEATURE_GRPC)),
            _ => return Err(protocol.invalid("expected http/protobuf, http/json or grpc")),
        });
    }
    if let Some(url) = lookup(source, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        check_url(&url.value).map_err(|reason| url.invalid(reason))?;
        config.endpoint = url.value;
    } else if let Some(base) = lookup(source, "OTEL_EXPORTER_OTLP_ENDPOINT") {
        check_url(&base.value).map_err(|reason| base.invalid(reason))?;
        // OTLP/HTTP appends the signal's path to a base URL; gRPC names the service in
        // the request instead.
        config.endpoint = match config.protocol {
            Protocol::Grpc => base.value,
            Protocol::HttpProtobuf | Protocol::HttpJson => traces_url_from_base(&base.value),
        };
    }

    // Generic headers first, so trace-specific ones with the same name replace them.
    for name in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        if let Some(headers) = lookup(source, name) {
            for (header, value) in parse_pairs(&headers)? {
                check_header(&header, &value)
                    .map_err(|error| headers.invalid(error.to_string()))?;
                config = config.with_header(header, value);
            }
        }
    }

    if let Some(path) = exporter_variable(source, "CERTIFICATE") {
        config.ca_certificate = Some(path.value.into());
    }
    match (
        exporter_variable(source, "CLIENT_CERTIFICATE"),
        exporter_variable(source, "CLIENT_KEY"),
    ) {
        (Some(certificate), Some(key)) => {
            config.client_certificate = Some((certificate.value.into(), key.value.into()));
        }
        (Some(alone), None) => {
            return Err(alone.invalid("mutual TLS needs OTEL_EXPORTER_OTLP_CLIENT_KEY too"))
        }
        (None, Some(alone)) => {
            return Err(alone.invalid("mutual TLS needs OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE too"))
        }
        (None, None) => {}
    }

    if let Some(timeout) = exporter_variable(source, "TIMEOUT") {
        config.export_timeout = timeout.milliseconds()?;
    }
    if let Some(compression) = exporter_variable(source, "COMPRESSION") {
        config.compression = match compression.value.as_str() {
            "gzip" if cfg!(feature = "gzip") => Compression::Gzip,
            "gzip" => return Err(compression.invalid(FEATURE_GZIP)),
            "none" => Compression::None,
            _ => return Err(compression.invalid("expected gzip or none")),
        };
    }

    if let Some(attributes) = lookup(source, "OTEL_RESOURCE_ATTRIBUTES") {
        for (key, value) in parse_pairs(&attributes)? {
            config
                .resource
                .set_attribute(key.into(), Value::from(value));
        }
    }
    if let Some(service) = lookup(source, "OTEL_SERVICE_NAME") {
        config = config.with_service_name(service.value);
    }

    if let Some(delay) = lookup(source, "OTEL_BSP_SCHEDULE_DELAY") {
        config.batch_timeout = delay.milliseconds()?;
    }
    if let Some(timeout) = lookup(source, "OTEL_BSP_EXPORT_TIMEOUT") {
        config.export_timeout = timeout.milliseconds()?;
    }
    if let Some(size) = lookup(source, "OTEL_BSP_MAX_QUEUE_SIZE") {
        config.max_queue_size = size.count_up_to(MAX_QUEUE_SIZE_LIMIT)?;
    }
    if let Some(size) = lookup(source, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
        config.batch_size = size.count_up_to(MAX_QUEUE_SIZE_LIMIT)?;
    }
    // Not in the specification's list, but read by opentelemetry-rust's batch processor.
    if let Some(requests) = lookup(source, "OTEL_BSP_MAX_CONCURRENT_EXPORTS") {
        config.max_concurrent_exports = requests.count_up_to(MAX_CONCURRENT_EXPORTS_LIMIT)?;
    }

    let limits = &mut config.span_limits;
    for (name, field) in [
        (
            "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
            &mut limits.max_attributes,
        ),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", &mut limits.max_events),
        ("OTEL_SPAN_LINK_COUNT_LIMIT", &mut limits.max_links),
        (
            "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
            &mut limits.max_attributes_per_event,
        ),
        (
            "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
            &mut limits.max_attributes_per_link,
        ),
    ] {
        if let Some(limit) = lookup(source, name) {
            *field = limit.limit()?;
        }
    }
    for name in [
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    ] {
        if let Some(limit) = lookup(source, name) {
            limits.max_attribute_value_length = Some(limit.limit()?);
        }
    }
    // The SDK configuration specification: an unknown sampler or an invalid argument is
    // warned about and ignored (the default sampler, a ratio of 1), never fatal.
    if let Some(sampler) = lookup(source, "OTEL_TRACES_SAMPLER") {
        let mut ratio = || -> f64 {
            // The specification's default when the argument is absent.
            let Some(argument) = lookup(source, "OTEL_TRACES_SAMPLER_ARG") else {
                return 1.0;
            };
            match argument.value.parse::<f64>() {
                Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
                _ => {
                    config.ignored_settings.push(
                        argument
                            .invalid("expected a ratio from 0 to 1, e.g. 0.25; using 1")
                            .to_string(),
                    );
                    1.0
                }
            }
        };
        match sampler.value.as_str() {
            "always_on" => config.sampler = Sampler::AlwaysOn,
            "always_off" => config.sampler = Sampler::AlwaysOff,
            "traceidratio" => config.sampler = Sampler::TraceIdRatio(ratio()),
            "parentbased_always_on" => config.sampler = Sampler::ParentBasedAlwaysOn,
            "parentbased_always_off" => config.sampler = Sampler::ParentBasedAlwaysOff,
            "parentbased_traceidratio" => {
                config.sampler = Sampler::ParentBasedTraceIdRatio(ratio())
            }
            _ => config.ignored_settings.push(sampler.invalid(
                "expected always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio; using the default, parentbased_always_on",
            ).to_string()),
        }
    }
    // The specification's boolean: true only for "true", in any case; anything else is false.
    if let Some(disabled) = lookup(source, "OTEL_SDK_DISABLED") {
        config.disabled = disabled.value.eq_ignore_ascii_case("true");
    }
    Ok(config)
}

/// Parses `key1=value1,key2=value2` with percent-encoded values (the W3C baggage form
/// that `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_RESOURCE_ATTRIBUTES` use).
fn parse_pairs(variable: &Variable) -> Result<Vec<(String, String)>, ConfigError> {
    variable
        .value
        .split(',')
        .filter(|entry| !entry.trim().is_empty())
        .map(|entry| {
            let (key, value) = entry.split_once('=').ok_or_else(|| {
                variable.invalid(format!("entry \"{}\" has no '='", variable.shown(entry)))
            })?;
            let key = percent_decode(key.trim()).ok_or_else(|| {
                variable.invalid(format!("bad percent-encoding in key \"{key}\""))
            })?;
            let value = percent_decode(value.trim()).ok_or_else(|| {
                variable.invalid(format!(
                    "bad percent-encoding in the value of \"{key}\": \"{}\"",
                    variable.shown(value)
                ))
            })?;
            if key.is_empty() {
                return Err(variable.invalid("an entry has an empty key"));
            }
            Ok((key, value))
        })
        .collect()
}

/// Decodes `%XX` escapes; `None` if an escape is malformed or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_source(&map)
    }

    #[test]
    fn generic_endpoint_gets_the_traces_path() {
        let config =
            config_from(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).unwrap();
        assert_eq!(config.endpoint(), "http://collector:4318/v1/traces");
    }

    #[test]
    fn traces_endpoint_is_used_as_is_and_wins() {
        let config = config_from(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://traces:9999/custom",
            ),
        ])
        .unwrap();
        assert_eq!(config.endpoint(), "http://traces:9999/custom");
    }

    #[test]
    fn grpc_json_and_gzip_are_read_when_built_in_and_refused_naming_the_feature_otherwise() {
        let grpc = config_from(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        let json = config_from(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")]);
        let gzip = config_from(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")]);
        assert_eq!(grpc.is_ok(), cfg!(feature = "grpc"), "{grpc:?}");
        assert_eq!(json.is_ok(), cfg!(feature = "json"), "{json:?}");
        if let Ok(json) = &json {
            assert_eq!(json.protocol(), Protocol::HttpJson);
        }
        assert_eq!(gzip.is_ok(), cfg!(feature = "gzip"), "{gzip:?}");
        for refused in [grpc.err(), json.err(), gzip.err()].into_iter().flatten() {
            let message = refused.to_string();
            assert!(message.contains("cargo feature"), "{message}");
        }
        let in_code = Config::default()
            .with_compression(Compression::Gzip)
            .validate();
        assert_eq!(in_code.is_ok(), cfg!(feature = "gzip"), "{in_code:?}");
        if let Err(error) = in_code {
            assert!(
                error.to_string().contains("features = [\"gzip\"]"),
                "{error}"
            );
        }
        let in_code = Config::default()
            .with_protocol(Protocol::HttpJson)
            .validate();
        assert_eq!(in_code.is_ok(), cfg!(feature = "json"), "{in_code:?}");
        if let Err(error) = in_code {
            assert!(
                error.to_string().contains("features = [\"json\"]"),
                "{error}"
            );
        }
    }

    #[test]
    #[cfg(feature = "grpc")]
    fn grpc_uses_its_own_default_port_and_the_base_url_as_is() {
        let config = config_from(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).unwrap();
        assert_eq!(config.protocol(), Protocol::Grpc);
        assert_eq!(config.endpoint(), super::super::DEFAULT_GRPC_ENDPOINT);
        let config = config_from(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ])
        .unwrap();
        assert_eq!(config.endpoint(), "http://collector:4317");
    }

    #[test]
    fn reads_headers_timeout_protocol_compression_and_batching() {
        let config = config_from(&[
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "api-key=secret%20one,x-tenant=a",
            ),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=b"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "4096"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1024"),
            ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", "4"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"),
        ])
        .unwrap();
        assert_eq!(
            config.headers(),
            &[
                ("api-key".to_owned(), "secret one".to_owned()),
                ("x-tenant".to_owned(), "b".to_owned())
            ]
        );
        assert_eq!(config.export_timeout(), Duration::from_millis(2500));
        assert_eq!(config.protocol(), Protocol::HttpProtobuf);
        assert_eq!(config.compression(), Compression::None);
        assert_eq!(config.batch_timeout(), Duration::from_millis(200));
        assert_eq!(config.max_queue_size(), 4096);
        assert_eq!(config.batch_size(), 1024);
        assert_eq!(config.max_concurrent_exports(), 4);
        assert_eq!(config.span_limits().max_attribute_value_length, Some(64));
    }

    #[test]
    fn service_name_wins_over_resource_attributes() {
        let config = config_from(&[
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=from-attrs,deployment.environment=prod",
            ),
            ("OTEL_SERVICE_NAME", "checkout"),
        ])
        .unwrap();
        assert_eq!(config.resource().service_name(), "checkout");
        assert_eq!(config.resource().attributes().len(), 2);
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let config = config_from(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")]).unwrap();
        assert_eq!(config.endpoint(), super::super::DEFAULT_ENDPOINT);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc/xml"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "novalue"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "bad key=v"),
            ("OTEL_RESOURCE_ATTRIBUTES", "k=%zz"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "-1"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "lots"),
        ] {
            let error = config_from(&[(name, value)]).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn header_errors_never_repeat_the_secrets() {
        for value in [
            "api-key:secret-123",
            "api-key=secret-123%zz",
            "api-key=secret-123,content-length=5",
            "bad key=secret-123",
            "x=secret-123\u{7f}",
        ] {
            let error = config_from(&[("OTEL_EXPORTER_OTLP_HEADERS", value)]).unwrap_err();
            let text = error.to_string();
            assert!(text.contains("OTEL_EXPORTER_OTLP_HEADERS"), "{text}");
            assert!(!text.contains("secret-123"), "{text}");
            assert!(!format!("{error:?}").contains("secret-123"), "{error:?}");
        }
        let error =
            config_from(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:pw-456@ho st")]).unwrap_err();
        assert!(!error.to_string().contains("pw-456"), "{error}");
    }

    #[test]
    fn huge_queue_sizes_are_refused_naming_the_variable() {
        for value in [
            "4294967296",
            "18446744073709551615",
            "1048577",
            "99999999999999999999999",
        ] {
            let error = config_from(&[("OTEL_BSP_MAX_QUEUE_SIZE", value)]).unwrap_err();
            assert!(
                error.to_string().contains("OTEL_BSP_MAX_QUEUE_SIZE"),
                "{error}"
            );
            assert!(error.to_string().contains("1048576"), "{error}");
        }
    }

    #[test]
    fn zero_batch_size_from_env_is_refused() {
        let error = config_from(&[("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0")]).unwrap_err();
        assert!(
            error.to_string().contains("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
            "{error}"
        );
        let error = config_from(&[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "10"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "20"),
        ])
        .unwrap_err();
        assert!(matches!(error, ConfigError::BatchLargerThanQueue { .. }));
    }
}
