//! The `tracing` workload: requests instrumented with `tracing` — a request span with 10
//! child spans, 4 fields each, and one event (or, with `--events every-child`, an event with
//! a field in every child, as services usually log inside spans) — exported through
//! otlp-collector's layer, through tracing-opentelemetry + the OpenTelemetry SDK's batch
//! processor + opentelemetry-otlp, or recorded by the bare registry (the floor: `tracing`
//! itself). Both exporters run with the same queue and batch sizes, every span sampled or
//! 10 %. Like for like: the peer is configured to export what our layer exports — the
//! span's fields, events with `level` and `target` — and nothing more (no code location,
//! thread, busy/idle times, target or level on spans); its defaults, which add those, are a
//! row of their own.

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

/// The contenders, ours first; then the peer like for like, the peer's defaults, and the
/// floor.
pub const NAMES: [&str; 6] = [
    "tracing + otlp-collector layer",
    "tracing + otlp-collector layer, 10 % sampled",
    "tracing + tracing-opentelemetry + sdk, like for like",
    "tracing + tracing-opentelemetry + sdk, like for like, 10 % sampled",
    "tracing + tracing-opentelemetry + sdk, its defaults",
    "tracing registry only (no export)",
];

/// One request's spans and events: one event in the first child, or one in each.
fn request(i: u64, every_child_logs: bool) {
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
        if child == 0 || every_child_logs {
            tracing::info!(rows = 3, "query done");
        }
    }
}

/// Produces `requests` requests from `threads` threads under `subscriber`, then `finish`.
fn run_with<S>(
    subscriber: S,
    requests: u64,
    threads: u64,
    every_child_logs: bool,
    finish: impl FnOnce(),
) where
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
                request(i, every_child_logs);
            }
        },
        finish,
    );
}

fn run_ours(
    endpoint: &str,
    requests: u64,
    threads: u64,
    every_child_logs: bool,
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
    run_with(subscriber, requests, threads, every_child_logs, move || {
        let _ = runtime.block_on(collector.shutdown());
    });
    Ok(())
}

fn run_peer(
    endpoint: &str,
    requests: u64,
    threads: u64,
    every_child_logs: bool,
    sampler: opentelemetry_sdk::trace::Sampler,
    like_for_like: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(QUEUE)
        .with_max_export_batch_size(BATCH)
        .with_scheduled_delay(Duration::from_millis(100))
        .build();
    let provider = sdk_provider(endpoint, batch, sampler, "compare-tracing-opentelemetry")?;
    let mut layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("compare"));
    if like_for_like {
        // What our layer exports: the fields, and events with level and target.
        layer = layer
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_target(false)
            .with_level(false);
    }
    let subscriber = tracing_subscriber::registry().with(layer);
    run_with(subscriber, requests, threads, every_child_logs, move || {
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
    every_child_logs: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    use opentelemetry_sdk::trace::Sampler as SdkSampler;
    let all = || SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOn));
    let tenth = || SdkSampler::ParentBased(Box::new(SdkSampler::TraceIdRatioBased(0.1)));
    let (e, r, t, logs) = (endpoint, requests, threads, every_child_logs);
    match NAMES.iter().position(|candidate| *candidate == name) {
        Some(0) => run_ours(e, r, t, logs, Sampler::ParentBasedAlwaysOn),
        Some(1) => run_ours(e, r, t, logs, Sampler::ParentBasedTraceIdRatio(0.1)),
        Some(2) => run_peer(e, r, t, logs, all(), true),
        Some(3) => run_peer(e, r, t, logs, tenth(), true),
        Some(4) => run_peer(e, r, t, logs, all(), false),
        Some(5) => {
            run_with(tracing_subscriber::registry(), r, t, logs, || {});
            Ok(())
        }
        _ => Err(format!("unknown contender {name:?}").into()),
    }
}
