//! Property tests for what comes from outside the program and is parsed by the collector:
//! `OTEL_*` variables, header names and values, and W3C `traceparent`. Whatever the input,
//! nothing panics; a setting is either usable (the collector starts with it) or a
//! `ConfigError` naming the variable; credentials never appear in an error.
//! (`Retry-After` and partial-success bodies have their own property tests beside their
//! parsers; random deep and wide values are in encoding_roundtrip.rs.)
use std::collections::HashMap;

use otlp_collector::{Collector, Config, ConfigError, SpanContext, SpanId, StartError, TraceId};
use proptest::collection::{hash_map, vec};
use proptest::prelude::*;

/// Every variable `Config::from_source` reads.
const VARIABLES: &[&str] = &[
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_EXPORT_TIMEOUT",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_MAX_CONCURRENT_EXPORTS",
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_SPAN_EVENT_COUNT_LIMIT",
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
];

/// Values of the shapes these variables take, right and wrong.
fn variable_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..5000).prop_map(|n| n.to_string()),
        "(true|false|TRUE|yes|grpc|http/protobuf|http/json|gzip|none)",
        "(always_on|always_off|traceidratio|parentbased_always_on|parentbased_always_off|parentbased_traceidratio|jaeger_remote)",
        "-?[0-9]{0,2}(\\.[0-9]{0,4})?(e[0-9]{1,3})?|NaN|inf",
        "(https?|ftp)://[a-z0-9.:@]{0,20}(/[a-z/?=&#%]{0,12})?",
        "[a-zA-Z-]{1,8}=[a-zA-Z0-9%]{0,8}(,[a-z-]{0,8}=?[^,]{0,8}){0,3}",
    ]
}

/// Starts (and drops) a collector with `config`; certificate files that do not exist are
/// the one expected start error, and it names the file.
fn starts(config: Config) -> Result<(), String> {
    match Collector::new(config) {
        Ok(_) => Ok(()),
        Err(StartError::Tls { path, .. }) if !path.is_empty() => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_otel_variables_give_a_working_config_or_an_error_naming_one(
        set in hash_map(proptest::sample::select(VARIABLES), variable_value(), 0..6),
        secret in "[a-z]{12}",
    ) {
        let mut variables: HashMap<String, String> =
            set.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
        // A credential in the headers, which no error may repeat.
        variables
            .entry("OTEL_EXPORTER_OTLP_HEADERS".to_owned())
            .and_modify(|value| value.push_str(&format!(",api-key=zz{secret}")));
        match Config::from_source(&variables) {
            Ok(config) => prop_assert_eq!(starts(config), Ok(())),
            Err(error) => {
                let message = error.to_string();
                prop_assert!(!message.contains(&format!("zz{secret}")), "{}", message);
                if let ConfigError::InvalidVariable { variable, .. } = &error {
                    prop_assert!(VARIABLES.contains(&variable.as_str()), "{}", message);
                }
            }
        }
    }

    #[test]
    fn a_header_is_refused_at_validation_or_accepted_by_the_transport(
        name in prop_oneof!["[!-~]{0,12}", "\\PC{0,8}"],
        value in prop_oneof!["[ -~\t]{0,24}", "\\PC{0,12}", vec(any::<char>(), 0..8).prop_map(String::from_iter)],
    ) {
        let config = Config::default()
            .with_endpoint("http://127.0.0.1:1/v1/traces")
            .with_header(name, value);
        if config.validate().is_ok() {
            prop_assert_eq!(starts(config), Ok(()));
        }
    }

    #[test]
    fn traceparent_parsing_never_panics_and_what_it_accepts_round_trips(
        header in prop_oneof![
            "\\PC{0,60}",
            "[0-9a-fA-F-]{50,60}",
            "[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[a-z0-9]{0,6})?",
        ],
    ) {
        if let Ok(context) = SpanContext::from_traceparent(&header) {
            let again = SpanContext::from_traceparent(&context.to_traceparent());
            prop_assert_eq!(again.ok(), Some(context));
        }
    }

    #[test]
    fn well_formed_traceparents_read_exactly(
        trace in any::<[u8; 16]>().prop_filter("non-zero", |id| id != &[0; 16]),
        span in any::<[u8; 8]>().prop_filter("non-zero", |id| id != &[0; 8]),
        flags in any::<u8>(),
    ) {
        let (trace_id, span_id) = (TraceId::from_bytes(trace).unwrap(), SpanId::from_bytes(span).unwrap());
        let header = format!("00-{trace_id}-{span_id}-{flags:02x}");
        let context = SpanContext::from_traceparent(&header).unwrap();
        prop_assert_eq!((context.trace_id, context.span_id, context.trace_flags), (trace_id, span_id, flags));
        prop_assert!(context.is_remote);
        prop_assert_eq!(context.to_traceparent(), header);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// A caller's `tracestate` is outside text: whatever it holds, reading it never panics,
    /// and what is kept is valid (it reads back unchanged) and within the W3C bounds.
    #[test]
    fn tracestate_normalizing_never_panics_and_keeps_only_valid_state(
        header in prop_oneof![
            "\\PC{0,80}",
            "([a-z0-9_*/@-]{1,10}=[ -~]{0,12},?[ \t]{0,2}){0,40}",
        ],
    ) {
        if let Some(kept) = otlp_collector::normalize_trace_state(&header) {
            let again = otlp_collector::normalize_trace_state(&kept);
            prop_assert_eq!(again.as_deref(), Some(kept.as_str()));
            prop_assert!(kept.split(',').count() <= otlp_collector::MAX_TRACE_STATE_MEMBERS);
        }
    }
}
