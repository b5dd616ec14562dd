//! The same workload — N spans named `op` with 4 attributes, from T threads — through
//! otlp-collector and through the OpenTelemetry Rust SDK (BatchSpanProcessor +
//! opentelemetry-otlp over HTTP/protobuf, default and tuned settings), each contender in
//! its own process, all exporting to one loopback receiver in this process, in one run.
//! CPU is reported per span actually delivered: a contender that drops most spans does
//! little work per span it was given.
//!
//! `cargo run --release -p otlp-compare -- [--spans N] [--threads T]`
//!
//! The receiver's decoding runs here, in the parent: the contenders' CPU and memory figures
//! are their own.

use std::process::Command;
use std::time::{Duration, Instant};

use otlp_test_receiver::Receiver;

mod contenders;

/// What one contender process reports.
struct Run {
    name: String,
    produce_s: f64,
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spans = arg(&args, "--spans", 1_000_000)?;
    let threads = arg(&args, "--threads", 2)?.max(1);
    if let Some(index) = args.iter().position(|a| a == "--contender") {
        let name = args.get(index + 1).ok_or("--contender needs a name")?;
        let endpoint = args
            .iter()
            .position(|a| a == "--endpoint")
            .and_then(|i| args.get(i + 1))
            .ok_or("--endpoint needs a URL")?;
        return contenders::run(name, endpoint, spans, threads);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let receiver = runtime.block_on(Receiver::start_counting())?;
    let mut rows = Vec::new();
    for name in contenders::NAMES {
        let before = receiver.span_count();
        let output = Command::new(std::env::current_exe()?)
            .args(["--contender", name, "--endpoint", &receiver.endpoint()])
            .args([
                "--spans",
                &spans.to_string(),
                "--threads",
                &threads.to_string(),
            ])
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let run = stdout
            .lines()
            .last()
            .and_then(|line| parse_run(name, line))
            .ok_or_else(|| format!("{name} failed: {}", String::from_utf8_lossy(&output.stderr)))?;
        // Let the receiver finish decoding what is in flight.
        let settle = Instant::now();
        let mut received = receiver.span_count() - before;
        while received < spans && settle.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(50));
            received = receiver.span_count() - before;
        }
        rows.push((run, received));
    }

    println!("{spans} spans with 4 attributes from {threads} threads, HTTP/protobuf to one loopback receiver:\n");
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
    Ok(())
}
