//! The collector's own counters as Prometheus / OpenMetrics text, for a `/metrics` endpoint.
//!
//! Names follow the OpenTelemetry SDK's self-metrics where they exist (semantic conventions
//! `otel.sdk.*`, in Prometheus form: dots as underscores, counters ending `_total`), with the
//! outcome of a dropped span in `error_type`; what they do not cover is prefixed
//! `otlp_collector_`. With fan-out, each destination's export counters carry its endpoint in
//! `destination`.
//!
//! # Examples
//! ```
//! use otlp_collector::{Collector, Config};
//!
//! let collector = Collector::new(Config::default())?;
//! let text = collector.prometheus_text();
//! assert!(text.contains("# TYPE otel_sdk_processor_span_processed_total counter"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write;

use crate::observe::stats::{DestinationStats, Stats};
use crate::Collector;

impl Collector {
    /// The collector's counters — and with fan-out each destination's — as Prometheus text
    /// exposition (version 0.0.4), for a `/metrics` endpoint.
    pub fn prometheus_text(&self) -> String {
        prometheus_text(
            &self.stats(),
            self.config().max_queue_size(),
            &self.destination_stats(),
        )
    }
}

/// One sample: the metric's labels (already escaped) and value.
struct Sample {
    labels: String,
    value: u64,
}

/// A metric family: name, type, help and samples.
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    samples: Vec<Sample>,
}

/// A label value escaped as the text format requires (backslash, quote, newline).
fn escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `{a="x",b="y"}` from pairs, or nothing for none.
fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", escaped(value)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// The export outcomes of `stats`, for `otel_sdk_exporter_span_exported_total`, each with
/// `extra` labels (a destination).
fn exported_samples(stats: &Stats, extra: &[(&str, &str)]) -> Vec<Sample> {
    let outcomes = [
        (None, stats.exported),
        (Some("rejected"), stats.dropped_rejected),
        (Some("retries_exhausted"), stats.dropped_retries_exhausted),
        (Some("timeout"), stats.dropped_timed_out),
        (Some("too_large"), stats.dropped_too_large),
        (Some("page_unload"), stats.dropped_page_unload),
    ];
    outcomes
        .into_iter()
        .map(|(error, value)| {
            let mut pairs = extra.to_vec();
            if let Some(error) = error {
                pairs.push(("error_type", error));
            }
            Sample {
                labels: labels(&pairs),
                value,
            }
        })
        .collect()
}

/// The text of the collector's `stats` and, with fan-out, each destination's; `capacity` is
/// the buffer's.
fn prometheus_text(stats: &Stats, capacity: usize, destinations: &[DestinationStats]) -> String {
    let sample = |pairs: &[(&str, &str)], value: u64| Sample {
        labels: labels(pairs),
        value,
    };
    let mut exported = exported_samples(stats, &[]);
    if destinations.len() > 1 {
        for destination in destinations {
            exported.extend(exported_samples(
                &destination.stats,
                &[("destination", &destination.endpoint)],
            ));
        }
    }
    let families = [
        Family {
            name: "otel_sdk_span_started_total",
            kind: "counter",
            help: "Spans handed to the collector, by the sampler's decision.",
            samples: vec![
                sample(
                    &[("otel_span_sampling_result", "RECORD_AND_SAMPLE")],
                    stats.collected,
                ),
                sample(&[("otel_span_sampling_result", "DROP")], stats.sampled_out),
            ],
        },
        Family {
            name: "otel_sdk_processor_span_processed_total",
            kind: "counter",
            help: "Sampled spans the collector took (no error_type) or refused, by reason.",
            samples: vec![
                sample(
                    &[],
                    stats
                        .collected
                        .saturating_sub(stats.dropped_buffer_full + stats.dropped_shutdown),
                ),
                sample(&[("error_type", "queue_full")], stats.dropped_buffer_full),
                sample(&[("error_type", "shutdown")], stats.dropped_shutdown),
            ],
        },
        Family {
            name: "otel_sdk_exporter_span_exported_total",
            kind: "counter",
            help: "Spans the backend acknowledged (no error_type) or that were dropped while exporting, by reason.",
            samples: exported,
        },
        Family {
            name: "otel_sdk_processor_span_queue_size",
            kind: "gauge",
            help: "Spans buffered or being exported.",
            samples: vec![sample(&[], stats.buffered)],
        },
        Family {
            name: "otel_sdk_processor_span_queue_capacity",
            kind: "gauge",
            help: "Spans the buffer holds at most.",
            samples: vec![sample(&[], capacity as u64)],
        },
        Family {
            name: "otlp_collector_export_requests_total",
            kind: "counter",
            help: "Export requests the backend acknowledged.",
            samples: vec![sample(&[], stats.batches)],
        },
        Family {
            name: "otlp_collector_export_retries_total",
            kind: "counter",
            help: "Export requests sent again after a retryable failure.",
            samples: vec![sample(&[], stats.retries)],
        },
        Family {
            name: "otlp_collector_export_bytes_total",
            kind: "counter",
            help: "Request body bytes the backend acknowledged, after compression.",
            samples: vec![sample(&[], stats.bytes_sent)],
        },
        Family {
            name: "otlp_collector_spans_filtered_total",
            kind: "counter",
            help: "Spans a drop rule removed before export (by configuration, not lost).",
            samples: vec![sample(&[], stats.filtered_out)],
        },
        Family {
            name: "otlp_collector_rule_errors_total",
            kind: "counter",
            help: "Times a transform statement or drop condition failed on a span.",
            samples: vec![sample(&[], stats.rule_errors)],
        },
        Family {
            name: "otlp_collector_problem_handler_panics_total",
            kind: "counter",
            help: "Panics caught from the problem handler.",
            samples: vec![sample(&[], stats.problem_handler_panics)],
        },
    ];
    let mut text = String::new();
    for family in families {
        // Writing into a String cannot fail.
        let _ = writeln!(text, "# HELP {} {}", family.name, family.help);
        let _ = writeln!(text, "# TYPE {} {}", family.name, family.kind);
        for Sample { labels, value } in family.samples {
            let _ = writeln!(text, "{}{labels} {value}", family.name);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("destination", "http://a\"b\\c\nd")]),
            "{destination=\"http://a\\\"b\\\\c\\nd\"}"
        );
    }
}
