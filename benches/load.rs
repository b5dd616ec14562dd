//! What a deployment sees, with default settings unless a figure needs otherwise — the
//! project plan's figures, each printed as one JSON line with its target:
//!
//! 1. peak resident memory with 100,000 spans buffered (measured first, so nothing the
//!    later steps allocate is in it);
//! 2. at 100,000 spans a second (one paced producer, 3 s): p50/p99/p99.9 from a span's
//!    `end()` to its decoding by the receiver, and the export thread's CPU as a share of
//!    one core;
//! 3. delivered spans a second, producers waiting for room (`collect_or_wait`: nothing
//!    dropped), with 1 and 2 producer threads.
//!
//! Spans are the load generator's (`op` with 4 attributes); the receiver decodes every
//! request with `opentelemetry-proto` on a runtime of its own.
//!
//! `cargo bench --bench load`

// Benches run natively only: on wasm32 they compile to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config};
use otlp_test_receiver::usage::{peak_rss_mb, rss_mb, ThreadCpuSampler};
use otlp_test_receiver::{Receiver, ReceiverOptions};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[path = "support/load_span.rs"]
mod load_span;
use load_span::load_span;

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * fraction) as usize]
}

/// 100,000 spans held in the buffer (a batch as large as the queue and an hour's timeout,
/// so none leaves before the flush), then flushed to the receiver.
fn memory_with_spans_buffered(
    runtime: &tokio::runtime::Runtime,
    receiver: &Receiver,
) -> Result<()> {
    const SPANS: u64 = 100_000;
    let before_mb = rss_mb();
    let received_before = receiver.span_count();
    let config = Config::default()
        .with_endpoint(receiver.endpoint())
        .with_max_queue_size(SPANS as usize)
        .with_batch_size(SPANS as usize)
        .with_batch_timeout(Duration::from_secs(3600));
    let collector = runtime.block_on(async { Collector::new(config) })?;
    for i in 0..SPANS {
        collector.collect(load_span(i))?;
    }
    let buffered = collector.stats().buffered;
    let (rss, peak) = (rss_mb(), peak_rss_mb());
    runtime.block_on(collector.shutdown())?;
    let delivered =
        runtime.block_on(receiver.wait_for_spans(received_before + SPANS, Duration::from_secs(10)));
    println!(
        "{{\"measure\":\"resident memory with 100k spans buffered, MiB\",\"buffered\":{buffered},\"rss\":{rss:.1},\"peak_rss\":{peak:.1},\"before_collector\":{before_mb:.1},\"target_peak\":40,\"all_delivered\":{delivered}}}"
    );
    Ok(())
}

/// One producer paced at 100,000 spans a second for 3 s, default settings.
fn latency_and_export_cpu_at_100k(
    runtime: &tokio::runtime::Runtime,
    receiver: &Receiver,
) -> Result<()> {
    const RATE: f64 = 100_000.0;
    const SPANS: u64 = 300_000;
    let config = Config::default().with_endpoint(receiver.endpoint());
    let collector = runtime.block_on(async { Collector::new(config) })?;
    let _ = receiver.take_latencies_ns();
    let before = receiver.span_count();
    let export_cpu = ThreadCpuSampler::start("otlp-export");
    let started = Instant::now();
    for i in 0..SPANS {
        // Sleep while more than a millisecond ahead of schedule.
        let due = started + Duration::from_secs_f64(i as f64 / RATE);
        let now = Instant::now();
        if due > now + Duration::from_millis(1) {
            std::thread::sleep(due - now);
        }
        runtime.block_on(collector.collect_or_wait(load_span(i)))?;
    }
    let produced_s = started.elapsed().as_secs_f64();
    // Spans still waiting for a batch to fill go out with the shutdown: their latency is
    // the flush's, not the pipeline's, so the figures cover the spans delivered until here.
    let delivered = runtime
        .block_on(receiver.wait_for_spans(before + SPANS / 512 * 512, Duration::from_secs(10)));
    let mut latencies = receiver.take_latencies_ns();
    let export_cpu_s = export_cpu.stop();
    runtime.block_on(collector.shutdown())?;
    let stats = collector.stats();
    latencies.sort_unstable();
    if latencies.is_empty() {
        return Err("the receiver noted no latency".into());
    }
    let ms = |nanos: u64| nanos as f64 / 1e6;
    println!(
        "{{\"measure\":\"end() to received at 100k spans/s, default settings, ms\",\"spans\":{},\"rate\":{:.0},\"p50\":{:.2},\"p99\":{:.2},\"p999\":{:.2},\"max\":{:.2},\"target_p99\":10,\"all_delivered\":{}}}",
        latencies.len(),
        SPANS as f64 / produced_s,
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 0.999)),
        ms(latencies[latencies.len() - 1]),
        delivered && stats.exported == SPANS
    );
    println!(
        "{{\"measure\":\"export thread CPU at 100k spans/s, default settings, % of a core\",\"export_cpu_pct\":{:.1},\"seconds\":{:.2},\"target\":5}}",
        export_cpu_s / produced_s * 100.0,
        produced_s
    );
    Ok(())
}

/// Delivered spans a second with default settings, `threads` producers waiting for room.
fn delivered_rate(
    runtime: &tokio::runtime::Runtime,
    receiver: &Receiver,
    threads: u64,
) -> Result<()> {
    const SPANS: u64 = 1_000_000;
    let config = Config::default().with_endpoint(receiver.endpoint());
    let collector = Arc::new(runtime.block_on(async { Collector::new(config) })?);
    let before = receiver.span_count();
    let started = Instant::now();
    let producers: Vec<_> = (0..threads)
        .map(|thread| {
            let collector = Arc::clone(&collector);
            let handle = runtime.handle().clone();
            let share = SPANS / threads + u64::from(thread < SPANS % threads);
            std::thread::spawn(move || {
                handle.block_on(async {
                    for i in 0..share {
                        collector.collect_or_wait(load_span(i)).await?;
                    }
                    Ok::<_, otlp_collector::CollectError>(())
                })
            })
        })
        .collect();
    for producer in producers {
        producer.join().map_err(|_| "a producer panicked")??;
    }
    runtime.block_on(collector.shutdown())?;
    let elapsed = started.elapsed().as_secs_f64();
    let received = receiver.span_count() - before;
    println!(
        "{{\"measure\":\"delivered spans/s, default settings\",\"producer_threads\":{threads},\"spans\":{SPANS},\"received\":{received},\"per_s\":{:.0},\"target\":1000000}}",
        received as f64 / elapsed
    );
    if received != SPANS {
        return Err(format!("{received} of {SPANS} spans delivered").into());
    }
    Ok(())
}

fn main() -> Result<()> {
    // Benches are run with `--bench` and filters; this one takes none.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let receiver_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("receiver")
        .enable_all()
        .build()?;
    let receiver = receiver_runtime.block_on(Receiver::start_with(ReceiverOptions {
        keep_requests: false,
        record_latency: true,
        ..ReceiverOptions::default()
    }))?;
    memory_with_spans_buffered(&runtime, &receiver)?;
    latency_and_export_cpu_at_100k(&runtime, &receiver)?;
    for threads in [1, 2] {
        delivered_rate(&runtime, &receiver, threads)?;
    }
    Ok(())
}
