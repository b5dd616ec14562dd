//! Every number and name that crosses between Rust and the npm package's JavaScript, in one
//! table. The browser core (`src/wasm/`) and the record reader use these constants; the
//! JavaScript (`npm/src/boundary.js`, `src/wasm/js/exporter.js`) writes the same values as
//! `const`s of the same names, and the test below reads those sources and fails when one
//! differs — so a change made on one side only cannot pass the test command. The names the
//! constructor passes (settings in, handles out), the defaults and header rules both
//! languages carry are checked the same way; the rules that are algorithms (traceparent,
//! tracestate, ratio sampling) share case files in `tests/vectors/` instead.

// Natively only the test reads most of these.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

/// What `exporter.js` tells `settle` instead of an HTTP status when `fetch` failed.
pub(crate) const NETWORK_ERROR: i32 = -1;
/// What `exporter.js` tells `settle` instead of an HTTP status when the request's deadline
/// passed.
pub(crate) const TIMED_OUT: i32 = -2;

/// Bits `drain` returns for what it refused, which `npm/src/collector.js` turns into reports: the buffer
/// was full…
pub(crate) const REFUSED_BUFFER_FULL: u32 = 1;
/// …the collector had shut down…
pub(crate) const REFUSED_SHUT_DOWN: u32 = 2;
/// …a record could not be read (a mismatch between the writer and the reader).
pub(crate) const REFUSED_BAD_RECORD: u32 = 4;

/// What a module writes beyond uncompressed OTLP/protobuf (bits `speaks` returns): OTLP/JSON.
pub(crate) const SPEAKS_JSON: u32 = 1;
/// Gzip-compressed bodies.
pub(crate) const SPEAKS_GZIP: u32 = 2;

/// Value tags of a span record (`span_record.rs` reads what `npm/src/record-writer.js` writes).
pub(crate) const TAG_STRING: u8 = 0;
/// A bool, one byte.
pub(crate) const TAG_BOOL: u8 = 1;
/// A whole number, written as an f64.
pub(crate) const TAG_INT: u8 = 2;
/// A double.
pub(crate) const TAG_DOUBLE: u8 = 3;
/// An array: a u32 count, then the values.
pub(crate) const TAG_ARRAY: u8 = 4;

/// A record's parent state: a root span…
pub(crate) const NO_PARENT: u8 = 0;
/// …a child of a span of this process…
pub(crate) const LOCAL_PARENT: u8 = 1;
/// …a child of a remote span (a `traceparent`).
pub(crate) const REMOTE_PARENT: u8 = 2;

/// A record's status byte (OTLP's codes).
pub(crate) const STATUS_UNSET: u8 = 0;
/// Status ok.
pub(crate) const STATUS_OK: u8 = 1;
/// Status error, followed by its message.
pub(crate) const STATUS_ERROR: u8 = 2;

/// The counters `CollectorCore::stats` returns, in this order (`npm/src/boundary.js` names them so).
#[allow(dead_code)] // names for the test; the code uses `stats_in_order`
pub(crate) const STATS: [&str; 16] = [
    "collected",
    "exported",
    "droppedBufferFull",
    "droppedRetriesExhausted",
    "droppedRejected",
    "droppedTimedOut",
    "droppedTooLarge",
    "droppedShutdown",
    "droppedPageUnload",
    "batches",
    "retries",
    "bytesSent",
    "buffered",
    "sampledOut",
    "filteredOut",
    "ruleErrors",
];

/// The core's settings, in the order `readOptions` lists them in its snapshot's `core` and
/// `openCollector` (`js_api/open.rs`) takes them as arguments.
#[allow(dead_code)] // names for the test; open.rs spells them as its parameters
pub(crate) const SETTINGS: [&str; 6] = [
    "maxQueueSize",
    "batchSize",
    "batchTimeoutMs",
    "exportTimeoutMs",
    "json",
    "gzip",
];

/// `stats`'s counters in the order of [`STATS`].
pub(crate) fn stats_in_order(stats: &crate::Stats) -> [u64; 16] {
    [
        stats.collected,
        stats.exported,
        stats.dropped_buffer_full,
        stats.dropped_retries_exhausted,
        stats.dropped_rejected,
        stats.dropped_timed_out,
        stats.dropped_too_large,
        stats.dropped_shutdown,
        stats.dropped_page_unload,
        stats.batches,
        stats.retries,
        stats.bytes_sent,
        stats.buffered,
        stats.sampled_out,
        stats.filtered_out,
        stats.rule_errors,
    ]
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::config::{Config, FRAMING_HEADERS, HEADER_NAME_SYMBOLS, MAX_QUEUE_SIZE_LIMIT};

    const BOUNDARY: (&str, &str) = ("boundary.js", include_str!("../npm/src/boundary.js"));
    const OPTIONS: (&str, &str) = ("options.js", include_str!("../npm/src/options.js"));
    const COLLECTOR: (&str, &str) = ("collector.js", include_str!("../npm/src/collector.js"));
    const OPEN_RS: &str = include_str!("js_api/open.rs");
    const EXPORTER: (&str, &str) = ("exporter.js", include_str!("wasm/js/exporter.js"));
    const RECORD_WRITER: (&str, &str) = (
        "record-writer.js",
        include_str!("../npm/src/record-writer.js"),
    );
    const RULES_JS: (&str, &str) = ("rules.js", include_str!("../npm/src/rules.js"));
    const CORE_RS: &str = include_str!("wasm/core.rs");
    const INTAKE_RS: &str = include_str!("js_api/intake.rs");

    /// The methods a handle's exports give it (`"<prefix>_<method>"` in `handle_exports!`),
    /// with `free`, which every handle has.
    fn exported_methods(source: &str, prefix: &str) -> Vec<String> {
        let quoted = format!("\"{prefix}_");
        let mut methods = vec!["free".to_owned()];
        for (_, rest) in source
            .match_indices(&quoted)
            .map(|(at, _)| source.split_at(at + quoted.len()))
        {
            methods.extend(rest.split_once('"').map(|(method, _)| method.to_owned()));
        }
        methods
    }

    /// The methods called on `receiver` (`receiver.name(`) in a JavaScript source.
    fn js_calls_on(source: &str, receiver: &str) -> Vec<String> {
        let prefix = format!("{receiver}.");
        source
            .match_indices(&prefix)
            .filter_map(|(at, _)| {
                let rest = &source[at + prefix.len()..];
                let end = rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_')?;
                rest[end..].starts_with('(').then(|| rest[..end].to_owned())
            })
            .collect()
    }

    /// The text after `const NAME =` up to its `;`, in `source`.
    fn js_const<'a>((file, source): (&str, &'a str), name: &str) -> &'a str {
        let start = format!("const {name} = ");
        let at = source
            .find(&start)
            .unwrap_or_else(|| panic!("{file} has no `const {name}`"))
            + start.len();
        let end = source[at..].find(';').unwrap() + at;
        source[at..end].trim()
    }

    /// A JavaScript whole-number constant: a literal or `a << b`.
    fn js_number(file: (&str, &str), name: &str) -> i64 {
        let text = js_const(file, name);
        let parse = |part: &str| {
            part.trim()
                .parse::<i64>()
                .unwrap_or_else(|_| panic!("{}: {name} = {text}", file.0))
        };
        match text.split_once("<<") {
            Some((base, shift)) => parse(base) << parse(shift),
            None => parse(text),
        }
    }

    /// The quoted strings of a JavaScript array constant, in order.
    fn js_strings(file: (&str, &str), name: &str) -> Vec<String> {
        js_const(file, name)
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    /// The names of the first `{ a, b, … }` or `[a, b, …]` (shorthand properties or a
    /// destructuring) that `marker` opens in a JavaScript source, in order.
    fn js_names_after((file, source): (&str, &str), marker: &str) -> Vec<String> {
        let at = source
            .find(marker)
            .unwrap_or_else(|| panic!("{file} has no `{marker}`"));
        let open = at + marker.len();
        let close = source[open..].find(['}', ']']).unwrap() + open;
        source[open..close]
            .split(',')
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect()
    }

    /// `snake_case` as `camelCase`.
    fn camel_case(snake: &str) -> String {
        let mut words = snake.split('_');
        let mut camel = words.next().unwrap_or_default().to_owned();
        for word in words {
            let mut letters = word.chars();
            camel.extend(letters.next().map(|first| first.to_ascii_uppercase()));
            camel.push_str(letters.as_str());
        }
        camel
    }

    /// `key: value` of a JavaScript object constant (values as written).
    fn js_field<'a>(file: (&str, &'a str), object: &str, key: &str) -> &'a str {
        let text = js_const(file, object);
        let start = format!("{key}: ");
        let at = text
            .find(&start)
            .unwrap_or_else(|| panic!("{}: {object} has no {key}", file.0))
            + start.len();
        let end = text[at..].find([',', '\n', '}']).unwrap() + at;
        text[at..end].trim().trim_matches('\'')
    }

    #[test]
    fn every_method_javascript_calls_on_a_handle_is_exported() {
        // The handles' methods are made from the exports' names (`handles` in exporter.js):
        // a method renamed on one side only would be missing on the other.
        let core = exported_methods(CORE_RS, "collectorcore");
        let intake = exported_methods(INTAKE_RS, "intake");
        assert!(core.len() > 10 && intake.len() > 5, "{core:?} {intake:?}");
        let calls = [
            (EXPORTER, "core", &core),
            (COLLECTOR, "core", &core),
            (RULES_JS, "core", &core),
            (COLLECTOR, "intake", &intake),
            (RECORD_WRITER, "intake", &intake),
            (RULES_JS, "intake", &intake),
        ];
        let mut checked = 0;
        for ((file, source), receiver, exported) in calls {
            for method in js_calls_on(source, receiver) {
                assert!(
                    exported.contains(&method),
                    "{file} calls {receiver}.{method}(), which no `{receiver}` export gives: {exported:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} calls found");
    }

    #[test]
    fn every_number_that_crosses_is_the_same_in_both_languages() {
        let numbers: [((&str, &str), &str, i64); 19] = [
            (EXPORTER, "NETWORK_ERROR", NETWORK_ERROR.into()),
            (EXPORTER, "TIMED_OUT", TIMED_OUT.into()),
            (BOUNDARY, "REFUSED_BUFFER_FULL", REFUSED_BUFFER_FULL.into()),
            (BOUNDARY, "REFUSED_SHUT_DOWN", REFUSED_SHUT_DOWN.into()),
            (BOUNDARY, "REFUSED_BAD_RECORD", REFUSED_BAD_RECORD.into()),
            (BOUNDARY, "SPEAKS_JSON", SPEAKS_JSON.into()),
            (BOUNDARY, "SPEAKS_GZIP", SPEAKS_GZIP.into()),
            (BOUNDARY, "TAG_STRING", TAG_STRING.into()),
            (BOUNDARY, "TAG_BOOL", TAG_BOOL.into()),
            (BOUNDARY, "TAG_INT", TAG_INT.into()),
            (BOUNDARY, "TAG_DOUBLE", TAG_DOUBLE.into()),
            (BOUNDARY, "TAG_ARRAY", TAG_ARRAY.into()),
            (BOUNDARY, "NO_PARENT", NO_PARENT.into()),
            (BOUNDARY, "LOCAL_PARENT", LOCAL_PARENT.into()),
            (BOUNDARY, "REMOTE_PARENT", REMOTE_PARENT.into()),
            (BOUNDARY, "STATUS_UNSET", STATUS_UNSET.into()),
            (BOUNDARY, "STATUS_OK", STATUS_OK.into()),
            (BOUNDARY, "STATUS_ERROR", STATUS_ERROR.into()),
            (OPTIONS, "MAX_QUEUE_SIZE_LIMIT", MAX_QUEUE_SIZE_LIMIT as i64),
        ];
        let drifted: Vec<String> = numbers
            .iter()
            .filter(|(file, name, rust)| js_number(*file, name) != *rust)
            .map(|(file, name, rust)| {
                format!(
                    "{name}: {} says {}, Rust says {rust}",
                    file.0,
                    js_number(*file, name)
                )
            })
            .collect();
        assert!(drifted.is_empty(), "{}", drifted.join("\n"));
        assert_eq!(
            js_strings(BOUNDARY, "STATS"),
            STATS,
            "the order of the stats"
        );
        // The settings the constructor passes: `readOptions` puts them in `core` in this
        // order, and `openCollector` takes them as its arguments in the same order (its
        // parameters, in camel case).
        assert_eq!(
            js_names_after(OPTIONS, "core: ["),
            SETTINGS,
            "the settings readOptions hands openCollector"
        );
        let parameters = OPEN_RS
            .split_once("fn open_collector(")
            .and_then(|(_, rest)| rest.split_once(") ->"))
            .expect("open.rs has `fn open_collector(…) ->`")
            .0;
        let parameters: Vec<String> = parameters
            .split(',')
            .filter_map(|parameter| parameter.split_once(':'))
            .map(|(name, _)| camel_case(name.trim()))
            .collect();
        assert_eq!(parameters, SETTINGS, "openCollector's arguments");
    }

    #[test]
    fn the_rust_stats_order_is_the_named_one() {
        // Every counter a different value: each must land under its own name.
        let stats = crate::Stats {
            collected: 1,
            exported: 2,
            dropped_buffer_full: 3,
            dropped_retries_exhausted: 4,
            dropped_rejected: 5,
            dropped_timed_out: 6,
            dropped_too_large: 7,
            dropped_shutdown: 8,
            dropped_page_unload: 9,
            batches: 10,
            retries: 11,
            bytes_sent: 12,
            buffered: 13,
            sampled_out: 14,
            filtered_out: 15,
            rule_errors: 16,
            problem_handler_panics: 17,
        };
        let by_name = |name: &str| match name {
            "collected" => stats.collected,
            "exported" => stats.exported,
            "droppedBufferFull" => stats.dropped_buffer_full,
            "droppedRetriesExhausted" => stats.dropped_retries_exhausted,
            "droppedRejected" => stats.dropped_rejected,
            "droppedTimedOut" => stats.dropped_timed_out,
            "droppedTooLarge" => stats.dropped_too_large,
            "droppedShutdown" => stats.dropped_shutdown,
            "droppedPageUnload" => stats.dropped_page_unload,
            "batches" => stats.batches,
            "retries" => stats.retries,
            "bytesSent" => stats.bytes_sent,
            "buffered" => stats.buffered,
            "sampledOut" => stats.sampled_out,
            "filteredOut" => stats.filtered_out,
            "ruleErrors" => stats.rule_errors,
            other => panic!("no counter {other}"),
        };
        assert_eq!(stats_in_order(&stats), STATS.map(by_name));
    }

    #[test]
    fn the_javascript_defaults_and_header_rules_are_the_configs() {
        let config = Config::default();
        let millis = |duration: std::time::Duration| duration.as_millis().to_string();
        for (key, rust) in [
            ("endpoint", config.endpoint().to_owned()),
            ("maxQueueSize", config.max_queue_size().to_string()),
            ("batchSize", config.batch_size().to_string()),
            ("batchTimeoutMs", millis(config.batch_timeout())),
            ("exportTimeoutMs", millis(config.export_timeout())),
        ] {
            assert_eq!(js_field(OPTIONS, "DEFAULTS", key), rust, "default {key}");
        }
        assert_eq!(
            js_number(OPTIONS, "FLUSH_TIMEOUT_MS").to_string(),
            millis(config.flush_timeout())
        );
        assert_eq!(
            js_number(OPTIONS, "SHUTDOWN_TIMEOUT_MS").to_string(),
            millis(config.shutdown_timeout())
        );
        assert_eq!(js_strings(OPTIONS, "FRAMING_HEADERS"), FRAMING_HEADERS);
        // The header-name rule: letters, digits and the same symbols (`-` escaped in the
        // JavaScript character class).
        let symbols = String::from_utf8_lossy(HEADER_NAME_SYMBOLS).replace('-', "\\-");
        assert_eq!(
            js_const(OPTIONS, "HEADER_NAME"),
            format!("/^[A-Za-z0-9{symbols}]+$/"),
            "the header-name rule"
        );
    }
}
