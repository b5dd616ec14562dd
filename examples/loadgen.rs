//! Load generator: T producer threads hand N spans to one collector, waiting for room
//! instead of dropping, and the run reports throughput, CPU and memory as one JSON line.
//!
//! `cargo run --release --example loadgen -- --spans N --threads T [--batch-size B]
//! [--capacity C] [--rate R] [--concurrency K]`
//!
//! `--rate R` paces the producers to R spans per second in all (default: as fast as they
//! can), for measuring what exporting costs at a given load. `--concurrency K` lets K
//! export requests be in flight at once (`max_concurrent_exports`).
//!
//! OTEL_* variables are honoured (endpoint, protocol, compression, batching); with no
//! endpoint set the spans go to an embedded loopback receiver that decodes every request
//! with opentelemetry-proto. CPU is reported in all (`cpu_s`, which includes the receiver)
//! and per group of threads: the collector's runtime (`export_cpu_s`: batching, encoding,
//! HTTP), the receiver's own runtime (`receiver_cpu_s`), and the rest (`producer_cpu_s`:
//! building and collecting spans, plus the main thread). Peak RSS covers the whole process.
// These examples run natively only: on wasm32 they compile to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config};
use otlp_test_receiver::usage::{cpu_seconds, peak_rss_mb, thread_cpu_seconds, ThreadCpuSampler};
use otlp_test_receiver::Receiver;

struct Args {
    spans: u64,
    threads: u64,
    batch_size: Option<usize>,
    capacity: Option<usize>,
    rate: Option<u64>,
    concurrency: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        spans: 1_000_000,
        threads: 1,
        batch_size: None,
        capacity: None,
        rate: None,
        concurrency: None,
    };
    let mut words = std::env::args().skip(1);
    while let Some(flag) = words.next() {
        let value = words
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} needs a whole number, got {value:?}"))?;
        match flag.as_str() {
            "--spans" => args.spans = number,
            "--threads" => args.threads = number.max(1),
            "--batch-size" => args.batch_size = Some(number as usize),
            "--capacity" => args.capacity = Some(number as usize),
            "--rate" => args.rate = Some(number.max(1)),
            "--concurrency" => args.concurrency = Some(number as usize),
            _ => {
                return Err(format!(
                "unknown flag {flag}; usage: --spans N --threads T [--batch-size B] [--capacity C] [--rate R] [--concurrency K]"
            ))
            }
        }
    }
    Ok(args)
}

#[path = "../benches/support/load_span.rs"]
mod load_span;
use load_span::load_span;

/// Thread-name prefixes of the collector's export thread (named by the library) and the
/// receiver's runtime.
const EXPORT_THREADS: &str = "otlp-export";
const RECEIVER_THREADS: &str = "receiver";

/// Sleeps while span `i` of a producer sending `per_second` spans a second is more than a
/// millisecond ahead of schedule (shorter sleeps cost more than they pace).
fn keep_pace(started: Instant, i: u64, per_second: f64) {
    let due = started + Duration::from_secs_f64(i as f64 / per_second);
    let now = Instant::now();
    if due > now + Duration::from_millis(1) {
        std::thread::sleep(due - now);
    }
}

fn endpoint_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    // The application's runtime, the collector's export thread and the receiver's runtime
    // have their own thread names, so their CPU can be told apart.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("loadgen-app")
        .enable_all()
        .build()?;
    let receiver_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(RECEIVER_THREADS)
        .enable_all()
        .build()?;
    let handle = runtime.handle().clone();

    let (collector, receiver) = runtime.block_on(async {
        let mut config = Config::from_env()?.with_default_service_name("loadgen");
        if let Some(batch_size) = args.batch_size {
            config = config.with_batch_size(batch_size);
        }
        if let Some(capacity) = args.capacity {
            config = config.with_max_queue_size(capacity);
        }
        if let Some(concurrency) = args.concurrency {
            config = config.with_max_concurrent_exports(concurrency);
        }
        let receiver = if endpoint_configured() {
            None
        } else {
            let receiver = receiver_runtime.spawn(Receiver::start_counting()).await??;
            config = config.with_endpoint(receiver.endpoint());
            Some(receiver)
        };
        eprintln!(
            "loadgen: {} spans, {} threads, batch {}, capacity {}, {} concurrent exports, {} to {}",
            args.spans,
            args.threads,
            config.batch_size(),
            config.max_queue_size(),
            config.max_concurrent_exports(),
            config.protocol().name(),
            config.endpoint()
        );
        let collector = Collector::new(config)?;
        Ok::<_, Box<dyn std::error::Error>>((collector, receiver))
    })?;

    // The export thread exits at shutdown, taking its CPU time out of /proc: sample it.
    let export_cpu = ThreadCpuSampler::start(EXPORT_THREADS);
    let started = Instant::now();
    let collector = Arc::new(collector);
    let producers: Vec<_> = (0..args.threads)
        .map(|thread| {
            let collector = Arc::clone(&collector);
            let handle = handle.clone();
            let share = args.spans / args.threads + u64::from(thread < args.spans % args.threads);
            let per_second = args.rate.map(|rate| rate as f64 / args.threads as f64);
            std::thread::spawn(move || {
                handle.block_on(async {
                    for i in 0..share {
                        if let Some(per_second) = per_second {
                            keep_pace(started, i, per_second);
                        }
                        // Waits for room when the buffer is full: nothing is dropped.
                        collector.collect_or_wait(load_span(i)).await?;
                    }
                    Ok::<_, otlp_collector::CollectError>(())
                })
            })
        })
        .collect();
    for producer in producers {
        producer
            .join()
            .map_err(|_| "a producer thread panicked")??;
    }
    let produce_s = started.elapsed().as_secs_f64();
    let shutdown = runtime.block_on(collector.shutdown());
    let total_s = started.elapsed().as_secs_f64();
    let stats = collector.stats();
    let (cpu_s, peak_rss_mb) = (cpu_seconds(), peak_rss_mb());
    let export_cpu_s = export_cpu.stop();
    let receiver_cpu_s = thread_cpu_seconds(RECEIVER_THREADS);
    let producer_cpu_s = (cpu_s - export_cpu_s - receiver_cpu_s).max(0.0);

    if let Some(receiver) = &receiver {
        let waited =
            runtime.block_on(receiver.wait_for_spans(stats.exported, Duration::from_secs(5)));
        if !waited || !receiver.decode_errors().is_empty() {
            eprintln!(
                "loadgen: receiver has {} spans, decode errors: {:?}",
                receiver.span_count(),
                receiver.decode_errors()
            );
        }
    }
    if let Err(error) = shutdown {
        eprintln!("loadgen: shutdown reported: {error}");
    }
    let received = receiver.as_ref().map_or("null".to_owned(), |receiver| {
        receiver.span_count().to_string()
    });
    let line = format!(
        concat!(
            "{{\"spans\":{},\"threads\":{},\"produce_s\":{:.3},\"total_s\":{:.3},",
            "\"delivered_per_s\":{:.0},\"cpu_s\":{:.2},\"export_cpu_s\":{:.2},",
            "\"export_cpu_pct_of_core\":{:.1},\"producer_cpu_s\":{:.2},\"receiver_cpu_s\":{:.2},",
            "\"peak_rss_mb\":{:.1},\"exported\":{},\"dropped\":{},\"received\":{}}}"
        ),
        args.spans,
        args.threads,
        produce_s,
        total_s,
        stats.exported as f64 / total_s,
        cpu_s,
        export_cpu_s,
        export_cpu_s / total_s * 100.0,
        producer_cpu_s,
        receiver_cpu_s,
        peak_rss_mb,
        stats.exported,
        stats.dropped(),
        received
    );
    println!("{line}");
    if stats.exported != args.spans {
        return Err(format!(
            "only {} of {} spans were delivered",
            stats.exported, args.spans
        )
        .into());
    }
    Ok(())
}
