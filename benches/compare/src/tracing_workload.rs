//! The `tracing` workload: requests instrumented with `tracing` — a request span with 10
//! child spans, 4 fields each, and one event — exported through otlp-collector's layer,
//! through tracing-opentelemetry + the OpenTelemetry SDK's batch processor +
//! opentelemetry-otlp, or recorded by the bare registry (the floor: `tracing` itself).
//! Both exporters run with the same queue and batch sizes, every span sampled or 10 %.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::BatchConfigBuilder;
use otlp_collector::{Collector, Config, Sampler};
use tracing_subscriber::prelude::*;

use crate::contenders::{measure, sdk_provider};

/// Spans per request: the request and its 10 children.
pub const SPANS_PER_REQUEST: u64 = 11;

/// Queue and batch sizes both exporters get: the queue holds a whole default run (5,000
/// requests), so neither drops for want of room.
const QUEUE: usize = 65_536;
const BATCH: usize = 8_192;

/// The contenders, ours first; then the peer, then the floor.
pub const NAMES: [&str; 5] = [
    "tracing + otlp-collector layer",
    "tracing + otlp-collector layer, 10 % sampled",
    "tracing + tracing-opentelemetry + opentelemetry_sdk",
    "tracing + tracing-opentelemetry + opentelemetry_sdk, 10 % sampled",
    "tracing registry only (no export)",
];

/// One request's spans and event.
fn request(i: u64) {
    let request = tracing::info_span!(
        "request",
        http.request.method = "GET",
        http.route = "/cart/{id}",
        user.id = "user-1234",
        request.number = i
    );
    let _request = request.enter();
    for child in 0..10u64 {
        let span = tracing::info_span!(
            "query",
            db.system = "postgresql",
            db.collection.name = "carts",
            step = child,
            cached = false
        );
        let _span = span.enter();
        if child == 0 {
            tracing::info!(rows = 3, "query done");
        }
    }
}

/// Produces `requests` requests from `threads` threads under `subscriber`, then `finish`.
fn run_with<S>(subscriber: S, requests: u64, threads: u64, finish: impl FnOnce())
where
    S: tracing::Subscriber + Send + Sync + 'static,
{
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("a global subscriber was already set");
    }
    measure(
        requests * SPANS_PER_REQUEST,
        threads,
        move |count| {
            for i in 0..count / SPANS_PER_REQUEST {
                request(i);
            }
        },
        finish,
    );
}

fn run_ours(
    endpoint: &str,
    requests: u64,
    threads: u64,
    sampler: Sampler,
) -> Result<(), Box<dyn std::error::Error>> {
    let collector = Collector::new(
        Config::default()
            .with_endpoint(endpoint)
            .with_service_name("compare-tracing-otlp-collector")
            .with_max_queue_size(QUEUE)
            .with_batch_size(BATCH)
            .with_batch_timeout(Duration::from_millis(100))
            .with_sampler(sampler),
    )?;
    let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    run_with(subscriber, requests, threads, move || {
        let _ = runtime.block_on(collector.shutdown());
    });
    Ok(())
}

fn run_peer(
    endpoint: &str,
    requests: u64,
    threads: u64,
    sampler: opentelemetry_sdk::trace::Sampler,
) -> Result<(), Box<dyn std::error::Error>> {
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(QUEUE)
        .with_max_export_batch_size(BATCH)
        .with_scheduled_delay(Duration::from_millis(100))
        .build();
    let provider = sdk_provider(endpoint, batch, sampler, "compare-tracing-opentelemetry")?;
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("compare"));
    let subscriber = tracing_subscriber::registry().with(layer);
    run_with(subscriber, requests, threads, move || {
        let _ = provider.force_flush();
        let _ = provider.shutdown();
    });
    Ok(())
}

/// Runs the contender called `name`.
pub fn run(
    name: &str,
    endpoint: &str,
    requests: u64,
    threads: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    use opentelemetry_sdk::trace::Sampler as SdkSampler;
    let tenth = || SdkSampler::ParentBased(Box::new(SdkSampler::TraceIdRatioBased(0.1)));
    match NAMES.iter().position(|candidate| *candidate == name) {
        Some(0) => run_ours(endpoint, requests, threads, Sampler::ParentBasedAlwaysOn),
        Some(1) => run_ours(
            endpoint,
            requests,
            threads,
            Sampler::ParentBasedTraceIdRatio(0.1),
        ),
        Some(2) => run_peer(
            endpoint,
            requests,
            threads,
            SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOn)),
        ),
        Some(3) => run_peer(endpoint, requests, threads, tenth()),
        Some(4) => {
            run_with(tracing_subscriber::registry(), requests, threads, || {});
            Ok(())
        }
        _ => Err(format!("unknown contender {name:?}").into()),
    }
}
