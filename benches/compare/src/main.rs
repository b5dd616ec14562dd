//! The same workload — N spans named `op` with 4 attributes, from T threads — through
//! otlp-collector and through the OpenTelemetry Rust SDK (BatchSpanProcessor +
//! opentelemetry-otlp over HTTP/protobuf, default and tuned settings), each contender in
//! its own process, all exporting to one loopback receiver in this process, in one run.
//! CPU is reported per span actually delivered: a contender that drops most spans does
//! little work per span it was given.
//!
//! `cargo run --release -p otlp-compare -- [--spans N] [--threads T] [--rounds R]`
//!
//! Each contender runs R times (default 5), interleaved; the tables give medians.
//!
//! With `--workload tracing`, the same comparison for services instrumented with `tracing`
//! (see `tracing_workload.rs`): otlp-collector's layer against tracing-opentelemetry + the
//! SDK, and the bare `tracing` registry as the floor, every span sampled and 10 %:
//! `cargo run --release -p otlp-compare -- --workload tracing [--requests N] [--threads T]`
//!
//! With `--plot FILE.svg`, both workloads (`tracing` with both event variants on 2
//! threads, the own API with 1, 2 and 4) and the README's figure written to FILE.
//!
//! The receiver's decoding runs here, in the parent: the contenders' CPU and memory figures
//! are their own.

use std::process::Command;
use std::time::{Duration, Instant};

use otlp_test_receiver::Receiver;

mod contenders;
mod plot;
mod tracing_workload;

/// What one contender process reports.
struct Run {
    name: String,
    produce_s: f64,
    /// CPU seconds the producing threads used.
    producer_cpu_s: f64,
    total_s: f64,
    cpu_s: f64,
    peak_rss_mb: f64,
}

fn parse_run(name: &str, line: &str) -> Option<Run> {
    let field = |key: &str| -> Option<f64> {
        let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
        let rest = &line[start..];
        let end = rest.find([',', '}'])?;
        rest[..end].parse().ok()
    };
    Some(Run {
        name: name.to_owned(),
        produce_s: field("produce_s")?,
        producer_cpu_s: field("producer_cpu_s")?,
        total_s: field("total_s")?,
        cpu_s: field("cpu_s")?,
        peak_rss_mb: field("peak_rss_mb")?,
    })
}

fn arg(args: &[String], flag: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == flag) {
        Some(index) => args
            .get(index + 1)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("{flag} needs a whole number")),
        None => Ok(default),
    }
}

/// Runs each contender named in `names` in its own process with `extra` arguments,
/// `rounds` times interleaved (A B C A B C …, so a slower moment of the machine falls on
/// all alike), and returns per contender the median of each figure with the fewest spans
/// the receiver got from one run (waiting up to 3 s for `expected` after each).
fn run_contenders(
    receiver: &Receiver,
    names: &[&str],
    extra: &[String],
    expected: u64,
    rounds: u64,
) -> Result<Vec<(Run, u64)>, Box<dyn std::error::Error>> {
    let mut runs: Vec<Vec<(Run, u64)>> = names.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds.max(1) {
        for (name, runs) in names.iter().zip(&mut runs) {
            let before = receiver.span_count();
            let output = Command::new(std::env::current_exe()?)
                .args(["--contender", name, "--endpoint", &receiver.endpoint()])
                .args(extra)
                .output()?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            let run = stdout
                .lines()
                .last()
                .and_then(|line| parse_run(name, line))
                .ok_or_else(|| {
                    format!("{name} failed: {}", String::from_utf8_lossy(&output.stderr))
                })?;
            // Let the receiver finish decoding what is in flight.
            let settle = Instant::now();
            let mut received = receiver.span_count() - before;
            while received < expected && settle.elapsed() < Duration::from_secs(3) {
                std::thread::sleep(Duration::from_millis(50));
                received = receiver.span_count() - before;
            }
            runs.push((run, received));
        }
    }
    Ok(names
        .iter()
        .zip(runs)
        .map(|(name, runs)| median_run(name, &runs))
        .collect())
}

/// Each figure's median over `runs`, and the fewest spans received.
fn median_run(name: &str, runs: &[(Run, u64)]) -> (Run, u64) {
    let median = |figure: fn(&Run) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(|(run, _)| figure(run)).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let run = Run {
        name: name.to_owned(),
        produce_s: median(|run| run.produce_s),
        producer_cpu_s: median(|run| run.producer_cpu_s),
        total_s: median(|run| run.total_s),
        cpu_s: median(|run| run.cpu_s),
        peak_rss_mb: median(|run| run.peak_rss_mb),
    };
    let received = runs
        .iter()
        .map(|(_, received)| *received)
        .min()
        .unwrap_or(0);
    (run, received)
}

/// The `tracing` workload's comparison (see `tracing_workload.rs`); returns the CPU per
/// span on the application's threads of each of `tracing_workload::NAMES`.
fn compare_tracing(
    receiver: &Receiver,
    requests: u64,
    threads: u64,
    every_child_logs: bool,
    rounds: u64,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let spans = requests * tracing_workload::SPANS_PER_REQUEST;
    let events = if every_child_logs {
        "every-child"
    } else {
        "first-child"
    };
    let extra = [
        "--workload".to_owned(),
        "tracing".to_owned(),
        "--requests".to_owned(),
        requests.to_string(),
        "--threads".to_owned(),
        threads.to_string(),
        "--events".to_owned(),
        events.to_owned(),
    ];
    let rows = run_contenders(receiver, &tracing_workload::NAMES, &extra, spans, rounds)?;
    println!(
        "{requests} requests (a span with 10 children, 4 fields each, {}) from {threads} threads = {spans} spans, HTTP/protobuf to one loopback receiver; medians of {rounds} interleaved runs:\n",
        if every_child_logs { "an event with a field in every child" } else { "1 event" }
    );
    println!(
        "{:<68} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "contender", "CPU ns", "wall ns", "delivered", "CPU µs/sent", "peak RSS MB"
    );
    // Per span on the application's threads: CPU (the cost to the thread) and wall time.
    let per_span_ns = |run: &Run| run.producer_cpu_s * 1e9 / spans as f64;
    let wall_ns = |run: &Run| run.produce_s * 1e9 * threads as f64 / spans as f64;
    for (run, received) in &rows {
        println!(
            "{:<68} {:>10.0} {:>10.0} {:>10} {:>12} {:>12.1}",
            run.name,
            per_span_ns(run),
            wall_ns(run),
            received,
            if *received > 0 {
                format!("{:.2}", run.cpu_s * 1e6 / *received as f64)
            } else {
                "-".to_owned()
            },
            run.peak_rss_mb
        );
    }
    let ns = |index: usize| per_span_ns(&rows[index].0);
    println!();
    println!(
        "CPU per span on the application's threads, like for like (the peer exports the same attributes and events): tracing-opentelemetry / otlp-collector {:.2}x (all sampled), {:.2}x (10 %); with the peer's defaults {:.2}x; otlp-collector / bare registry {:.2}x (all sampled), {:.2}x (10 %); spans lost: otlp-collector {}, the peer like for like {}",
        ns(2) / ns(0),
        ns(3) / ns(1),
        ns(4) / ns(0),
        ns(0) / ns(5),
        ns(1) / ns(5),
        spans - rows[0].1.min(spans),
        spans - rows[2].1.min(spans)
    );
    Ok(rows.iter().map(|(run, _)| per_span_ns(run)).collect())
}

/// The own-API workload's comparison (see `contenders.rs`); returns the delivered spans a
/// second of each of `contenders::NAMES`.
fn compare_own_api(
    receiver: &Receiver,
    spans: u64,
    threads: u64,
    rounds: u64,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let extra = [
        "--spans".to_owned(),
        spans.to_string(),
        "--threads".to_owned(),
        threads.to_string(),
    ];
    let rows = run_contenders(receiver, &contenders::NAMES, &extra, spans, rounds)?;

    println!("{spans} spans with 4 attributes from {threads} threads, HTTP/protobuf to one loopback receiver; medians of {rounds} interleaved runs:\n");
    println!(
        "{:<56} {:>12} {:>14} {:>10} {:>14} {:>12}",
        "contender", "producer ns", "delivered/s", "lost", "CPU s/1M sent", "peak RSS MB"
    );
    for (run, received) in &rows {
        println!(
            "{:<56} {:>12.0} {:>14.0} {:>10} {:>14.2} {:>12.1}",
            run.name,
            run.produce_s * 1e9 * threads as f64 / spans as f64,
            *received as f64 / run.total_s,
            spans - received.min(&spans),
            run.cpu_s * 1e6 / (*received).max(1) as f64,
            run.peak_rss_mb
        );
    }
    // Producer cost is compared between the contenders that never wait; delivery and loss
    // with otlp-collector's lossless mode.
    let (lossless, lossless_received) = &rows[0];
    let (never_waits, _) = &rows[1];
    let (tuned, tuned_received) = &rows[2];
    let per_span = |run: &Run| run.produce_s * threads as f64 / spans as f64;
    let delivered = |run: &Run, received: u64| received as f64 / run.total_s;
    println!();
    for (run, received) in &rows[3..] {
        println!(
            "vs {}: producer cost {:.2}x ({} / otlp-collector never waiting), delivered spans/s {:.2}x (otlp-collector waiting / {}) and {:.2}x (otlp-collector tuned / {}), CPU per delivered span {:.2}x ({} / otlp-collector waiting)",
            run.name,
            per_span(run) / per_span(never_waits),
            run.name,
            delivered(lossless, *lossless_received) / delivered(run, *received).max(1.0),
            run.name,
            delivered(tuned, *tuned_received) / delivered(run, *received).max(1.0),
            run.name,
            (run.cpu_s / (*received).max(1) as f64)
                / (lossless.cpu_s / (*lossless_received).max(1) as f64),
            run.name
        );
    }
    println!();
    Ok(rows
        .iter()
        .map(|(run, received)| delivered(run, *received))
        .collect())
}

/// Runs the `tracing` workload (both event variants, 2 producer threads) and the own-API
/// workload with 1, 2 and 4 producer threads, and writes the README's figure to `path`.
fn plot(
    receiver: &Receiver,
    path: &str,
    requests: u64,
    spans: u64,
    rounds: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let one_event = compare_tracing(receiver, requests, 2, false, rounds)?;
    let every_child = compare_tracing(receiver, requests, 2, true, rounds)?;
    // Rows of tracing_workload::NAMES: 0 ours, 1 ours 10 %, 2 peer like for like, 3 peer
    // like for like 10 %, 4 peer's defaults, 5 bare registry.
    // Each series: its row when all are sampled, and at 10 % (none: not run).
    let bar = |name: &str, all: usize, ten_percent: Option<usize>| {
        let at = |rows: &[f64], row: Option<usize>| row.map_or(f64::NAN, |row| rows[row]);
        plot::Series {
            name: name.to_owned(),
            values: vec![
                one_event[all],
                at(&one_event, ten_percent),
                every_child[all],
                at(&every_child, ten_percent),
            ],
        }
    };
    let producer = plot::Panel {
        title: "tracing: CPU per span on the application's threads".to_owned(),
        labels: vec![
            "1 event/request".to_owned(),
            "… 10 % sampled".to_owned(),
            "event in every child".to_owned(),
            "… 10 % sampled".to_owned(),
        ],
        unit: "ns per span (lower is better)".to_owned(),
        series: vec![
            bar("otlp-collector layer", 0, Some(1)),
            bar(
                "tracing-opentelemetry + SDK, like for like (same attributes and events)",
                2,
                Some(3),
            ),
            bar("tracing-opentelemetry + SDK, its defaults", 4, None),
            // The registry samples nothing: the same floor for both columns.
            bar("bare tracing registry (no export)", 5, Some(5)),
        ],
    };
    let thread_counts = [1u64, 2, 4];
    let mut delivered: Vec<Vec<f64>> = Vec::new();
    for threads in thread_counts {
        delivered.push(compare_own_api(receiver, spans, threads, rounds)?);
    }
    // Rows of contenders::NAMES: 0 ours waiting (defaults), 2 ours tuned, 3 SDK defaults,
    // 4 SDK tuned.
    let line = |name: &str, row: usize| plot::Series {
        name: name.to_owned(),
        values: delivered.iter().map(|rates| rates[row]).collect(),
    };
    let throughput = plot::Panel {
        title: "own API: spans delivered per second".to_owned(),
        labels: thread_counts
            .iter()
            .map(|threads| {
                format!(
                    "{threads} producer thread{}",
                    if *threads == 1 { "" } else { "s" }
                )
            })
            .collect(),
        unit: "spans/s delivered to the receiver (higher is better)".to_owned(),
        series: vec![
            line("otlp-collector, defaults, waits for room (nothing lost)", 0),
            line("otlp-collector, 32768/2048, 8 requests in flight", 2),
            line("OpenTelemetry Rust SDK, defaults (drops when full)", 3),
            line("OpenTelemetry Rust SDK, 65536/8192 (drops when full)", 4),
        ],
    };
    let caption = format!(
        "otlp-compare --plot: medians of {rounds} interleaved runs on this machine ({} cores), each contender in its own process, one loopback receiver; {requests} requests of 11 spans; {spans} spans of 4 attributes.",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    std::fs::write(path, plot::figure(&producer, &throughput, &caption))?;
    println!("wrote {path}");
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spans = arg(&args, "--spans", 1_000_000)?;
    let threads = arg(&args, "--threads", 2)?.max(1);
    let tracing = args
        .windows(2)
        .any(|pair| pair[0] == "--workload" && pair[1] == "tracing");
    let requests = arg(&args, "--requests", 5_000)?;
    let rounds = arg(&args, "--rounds", 5)?;
    let events = args
        .iter()
        .position(|a| a == "--events")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    let every_child_logs = match events {
        None | Some("first-child") => false,
        Some("every-child") => true,
        Some(other) => {
            return Err(format!("--events is first-child or every-child, not {other:?}").into())
        }
    };
    if let Some(index) = args.iter().position(|a| a == "--contender") {
        let name = args.get(index + 1).ok_or("--contender needs a name")?;
        let endpoint = args
            .iter()
            .position(|a| a == "--endpoint")
            .and_then(|i| args.get(i + 1))
            .ok_or("--endpoint needs a URL")?;
        if tracing {
            return tracing_workload::run(name, endpoint, requests, threads, every_child_logs);
        }
        return contenders::run(name, endpoint, spans, threads);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let receiver = runtime.block_on(Receiver::start_counting())?;
    if let Some(index) = args.iter().position(|a| a == "--plot") {
        let path = args.get(index + 1).ok_or("--plot needs a file name")?;
        return plot(&receiver, path, requests, spans, rounds);
    }
    if tracing {
        compare_tracing(&receiver, requests, threads, every_child_logs, rounds)?;
    } else {
        compare_own_api(&receiver, spans, threads, rounds)?;
    }
    Ok(())
}
