//! Latency of `collect()` itself — p50, p99, p99.9 — with two producer threads and the
//! exporter draining to the loopback receiver, and the time from `end()` to the receiver
//! for spans sent with a 100 ms batch timeout. Prints one JSON line per measurement.
//!
//! `cargo bench --bench latency`

// Benches run natively only: on wasm32 they compile to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config, Span};
use otlp_test_receiver::Receiver;

const PER_THREAD: usize = 200_000;

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * fraction) as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let receiver = runtime.block_on(Receiver::start_counting())?;
    let config = Config::default()
        .with_endpoint(receiver.endpoint())
        .with_max_queue_size(PER_THREAD * 2)
        .with_batch_size(512)
        .with_batch_timeout(Duration::from_millis(100));
    let collector = Arc::new(runtime.block_on(async { Collector::new(config) })?);

    // collect() latency: spans are built first, only the call is timed.
    let producers: Vec<_> = (0..2)
        .map(|_| {
            let collector = Arc::clone(&collector);
            std::thread::spawn(move || {
                let spans: Vec<Span> = (0..PER_THREAD)
                    .map(|i| Span::new("op").with_attribute("i", i as i64).end())
                    .collect();
                let mut nanos = Vec::with_capacity(PER_THREAD);
                for span in spans {
                    let started = Instant::now();
                    let _ = collector.collect(span);
                    nanos.push(started.elapsed().as_nanos() as u64);
                }
                nanos
            })
        })
        .collect();
    let mut nanos: Vec<u64> = Vec::new();
    for producer in producers {
        nanos.extend(producer.join().map_err(|_| "producer panicked")?);
    }
    nanos.sort_unstable();
    let stats = collector.stats();
    println!(
        "{{\"measure\":\"collect() ns, 2 producer threads\",\"calls\":{},\"p50\":{},\"p99\":{},\"p999\":{},\"max\":{},\"buffer_full\":{}}}",
        nanos.len(),
        percentile(&nanos, 0.5),
        percentile(&nanos, 0.99),
        percentile(&nanos, 0.999),
        nanos[nanos.len() - 1],
        stats.dropped_buffer_full
    );
    runtime.block_on(collector.flush())?;

    // end() → received: one span at a time, each waiting out the batch timeout.
    let mut millis = Vec::new();
    for _ in 0..20 {
        let before = receiver.span_count();
        collector.collect(Span::new("latency").end())?;
        let ended = Instant::now();
        runtime.block_on(receiver.wait_for_spans(before + 1, Duration::from_secs(5)));
        millis.push(ended.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    println!(
        "{{\"measure\":\"span end to received ms, batch timeout 100 ms\",\"spans\":{},\"p50\":{:.1},\"max\":{:.1}}}",
        millis.len(),
        millis[millis.len() / 2],
        millis[millis.len() - 1]
    );
    runtime.block_on(collector.shutdown())?;
    Ok(())
}
