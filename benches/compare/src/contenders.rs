//! The contenders: each produces the workload in its own process and prints one JSON line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use otlp_test_receiver::usage::{cpu_seconds, current_thread_cpu_seconds, peak_rss_mb};

/// The contenders, ours first.
pub const NAMES: [&str; 5] = [
    "otlp-collector (waits for room)",
    "otlp-collector (never waits)",
    "otlp-collector (tuned: waits, 32768/2048, 8 in flight)",
    "opentelemetry_sdk (default)",
    "opentelemetry_sdk (tuned: 65536/8192)",
];

/// How otlp-collector is set up in a run.
#[derive(Clone, Copy)]
enum Ours {
    /// Defaults; producers wait for room (`collect_or_wait`), nothing is lost.
    Waiting,
    /// Defaults; producers never wait (`collect`), a full buffer drops.
    NeverWaiting,
    /// Waiting, with a queue of 32768, batches of 2048 and 8 requests in flight.
    Tuned,
}

/// Runs `produce(thread, count)` on `threads` threads, then `finish`; prints the figures.
pub(crate) fn measure(
    spans: u64,
    threads: u64,
    produce: impl Fn(u64) + Send + Sync + 'static,
    finish: impl FnOnce(),
) {
    let produce = Arc::new(produce);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let produce = Arc::clone(&produce);
            std::thread::spawn(move || {
                produce(spans / threads);
                current_thread_cpu_seconds()
            })
        })
        .collect();
    // CPU the producing threads used: their cost, apart from waiting for a core (on a
    // small machine the export thread and the receiver compete for them).
    let producer_cpu_s: f64 = workers
        .into_iter()
        .map(|worker| worker.join().unwrap_or(0.0))
        .sum();
    let produce_s = started.elapsed().as_secs_f64();
    finish();
    let total_s = started.elapsed().as_secs_f64();
    println!(
        "{{\"produce_s\":{produce_s:.4},\"producer_cpu_s\":{producer_cpu_s:.4},\"total_s\":{total_s:.4},\"cpu_s\":{:.3},\"peak_rss_mb\":{:.1}}}",
        cpu_seconds(),
        peak_rss_mb()
    );
}

fn run_ours(
    endpoint: &str,
    spans: u64,
    threads: u64,
    setup: Ours,
) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut config = otlp_collector::Config::default()
        .with_endpoint(endpoint)
        .with_service_name("compare-otlp-collector");
    if let Ours::Tuned = setup {
        config = config
            .with_max_queue_size(32_768)
            .with_batch_size(2_048)
            .with_max_concurrent_exports(8);
    }
    let wait = !matches!(setup, Ours::NeverWaiting);
    let collector = Arc::new(runtime.block_on(async { otlp_collector::Collector::new(config) })?);
    let handle = runtime.handle().clone();
    let producer = Arc::clone(&collector);
    measure(
        spans,
        threads,
        move |count| {
            let span = |i: u64| {
                otlp_collector::Span::new("op")
                    .with_attribute("i", i as i64)
                    .with_attribute("user.id", "user-1234")
                    .with_attribute("http.method", "GET")
                    .with_attribute("ok", true)
                    .end()
            };
            if wait {
                // One runtime entry for the whole loop: waiting for room is an await.
                handle.block_on(async {
                    for i in 0..count {
                        let _ = producer.collect_or_wait(span(i)).await;
                    }
                });
            } else {
                for i in 0..count {
                    let _ = producer.collect(span(i));
                }
            }
        },
        || {
            let _ = runtime.block_on(collector.shutdown());
        },
    );
    Ok(())
}

fn run_sdk(
    endpoint: &str,
    spans: u64,
    threads: u64,
    tuned: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let batch = if tuned {
        BatchConfigBuilder::default()
            .with_max_queue_size(65_536)
            .with_max_export_batch_size(8_192)
            .with_scheduled_delay(Duration::from_millis(100))
            .build()
    } else {
        BatchConfigBuilder::default().build()
    };
    let provider = sdk_provider(
        endpoint,
        batch,
        opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(
            opentelemetry_sdk::trace::Sampler::AlwaysOn,
        )),
        "compare-opentelemetry-sdk",
    )?;
    let tracer = Arc::new(provider.tracer("compare"));
    measure(
        spans,
        threads,
        move |count| {
            for i in 0..count {
                let mut span = tracer.start("op");
                span.set_attribute(KeyValue::new("i", i as i64));
                span.set_attribute(KeyValue::new("user.id", "user-1234"));
                span.set_attribute(KeyValue::new("http.method", "GET"));
                span.set_attribute(KeyValue::new("ok", true));
                span.end();
            }
        },
        || {
            let _ = provider.force_flush();
            let _ = provider.shutdown();
        },
    );
    Ok(())
}

/// The OpenTelemetry SDK set up as its users do: a batch span processor with `batch`
/// feeding opentelemetry-otlp over HTTP/protobuf to `endpoint`, sampling with `sampler`.
pub(crate) fn sdk_provider(
    endpoint: &str,
    batch: opentelemetry_sdk::trace::BatchConfig,
    sampler: opentelemetry_sdk::trace::Sampler,
    service: &'static str,
) -> Result<SdkTracerProvider, Box<dyn std::error::Error>> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .build()?;
    Ok(SdkTracerProvider::builder()
        .with_span_processor(
            BatchSpanProcessor::builder(exporter)
                .with_batch_config(batch)
                .build(),
        )
        .with_sampler(sampler)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service)
                .build(),
        )
        .build())
}

/// Runs the contender called `name`.
pub fn run(
    name: &str,
    endpoint: &str,
    spans: u64,
    threads: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    match NAMES.iter().position(|candidate| *candidate == name) {
        Some(0) => run_ours(endpoint, spans, threads, Ours::Waiting),
        Some(1) => run_ours(endpoint, spans, threads, Ours::NeverWaiting),
        Some(2) => run_ours(endpoint, spans, threads, Ours::Tuned),
        Some(3) => run_sdk(endpoint, spans, threads, false),
        Some(4) => run_sdk(endpoint, spans, threads, true),
        _ => Err(format!("unknown contender {name:?}").into()),
    }
}
