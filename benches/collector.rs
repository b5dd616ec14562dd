//! Criterion benches of the hot paths: building and collecting spans (the producer's own
//! time, and end-to-end with producers waiting for room; one and two producer threads,
//! exporter draining to the loopback receiver), protobuf and JSON encoding per
//! span, and exporting 100k spans end to end.
//!
//! `cargo bench --bench collector`

// Benches run natively only: on wasm32 they compile to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use otlp_collector::encoding::{encode, Protocol};
use otlp_collector::{BenchRules, Collector, Config, Resource, Scope, Span, SpanKind};
use otlp_test_receiver::usage::current_thread_cpu_seconds;
use otlp_test_receiver::Receiver;
use tokio::runtime::Runtime;

#[path = "support/load_span.rs"]
mod load_span;
use load_span::load_span;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A collector exporting to a count-only loopback receiver on `runtime`.
fn collector(runtime: &Runtime, capacity: usize) -> (Arc<Collector>, Receiver) {
    runtime.block_on(async {
        let receiver = Receiver::start_counting().await.expect("receiver");
        let config = Config::default()
            .with_endpoint(receiver.endpoint())
            .with_max_queue_size(capacity)
            .with_batch_size(512);
        (
            Arc::new(Collector::new(config).expect("collector")),
            receiver,
        )
    })
}

fn span_building(c: &mut Criterion) {
    // Span times come from the calibrated counter once a collector exists, as in a service.
    let _collector = Collector::new(Config::default()).expect("collector");
    c.bench_function("span: build 4 attributes + end", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            black_box(load_span(i))
        })
    });
}

fn collecting(c: &mut Criterion) {
    let runtime = runtime();
    let (collector, _receiver) = collector(&runtime, 65_536);
    let mut group = c.benchmark_group("span: build + end + collect");
    group.throughput(Throughput::Elements(1));
    for threads in [1u64, 2] {
        group.bench_function(format!("{threads} producer threads"), |b| {
            b.iter_custom(|iterations| {
                let started = Instant::now();
                let producers: Vec<_> = (0..threads)
                    .map(|_| {
                        let collector = Arc::clone(&collector);
                        let handle = runtime.handle().clone();
                        std::thread::spawn(move || {
                            handle.block_on(async {
                                for i in 0..iterations / threads {
                                    // Waits for the exporter when the buffer is full.
                                    let _ = collector.collect_or_wait(load_span(i)).await;
                                }
                            })
                        })
                    })
                    .collect();
                for producer in producers {
                    producer.join().expect("producer");
                }
                started.elapsed()
            })
        });
    }
    group.finish();
}

/// Spans a producer hands over between two drains of the queue in [`producing`].
const CHUNK: u64 = 16_384;

/// The own API's cost to the application's thread: build + 4 attributes + end + `collect`
/// (never waiting), per span and per producing thread, with the exporter draining to the
/// loopback receiver as it does in a service. Counted in the producing threads' CPU time:
/// on a machine with fewer cores than threads here (producers, export, receiver), wall
/// time would count the time a producer waited for a core. The queue holds a whole chunk, and is flushed
/// (untimed) between chunks, so no span is refused — a refusal would cost less than a
/// delivery and flatter the figure, so the bench stops if one happens.
fn producing(c: &mut Criterion) {
    let runtime = runtime();
    let (collector, _receiver) = collector(&runtime, 2 * CHUNK as usize);
    let mut group = c.benchmark_group("span: build + end + collect, producer's CPU time");
    for threads in [1u64, 2] {
        group.bench_function(format!("{threads} producer threads"), |b| {
            b.iter_custom(|iterations| {
                let mut timed = Duration::ZERO;
                let mut left = iterations;
                while left > 0 {
                    let chunk = left.min(CHUNK);
                    let producers: Vec<_> = (0..threads)
                        .map(|_| {
                            let collector = Arc::clone(&collector);
                            std::thread::spawn(move || {
                                let started = current_thread_cpu_seconds();
                                for i in 0..chunk / threads {
                                    let _ = collector.collect(load_span(i));
                                }
                                Duration::from_secs_f64(current_thread_cpu_seconds() - started)
                            })
                        })
                        .collect();
                    // Thread-time per span: the threads' times added up.
                    for producer in producers {
                        timed += producer.join().expect("producer");
                    }
                    runtime.block_on(collector.flush()).expect("flush");
                    left -= chunk;
                }
                assert_eq!(
                    collector.stats().dropped_buffer_full,
                    0,
                    "a span was refused"
                );
                timed
            })
        });
    }
    group.finish();
}

fn encoding(c: &mut Criterion) {
    let spans: Vec<Span> = (0..512).map(load_span).collect();
    let resource = Resource::new("bench");
    let scope = Scope::default();
    let mut group = c.benchmark_group("encode 512 spans");
    group.throughput(Throughput::Elements(spans.len() as u64));
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        group.bench_function(protocol.name(), |b| {
            let mut body = Vec::with_capacity(256 * 1024);
            b.iter(|| {
                body.clear();
                encode(protocol, &resource, &scope, black_box(&spans), &mut body);
                black_box(body.len())
            })
        });
    }
    group.finish();
}

fn exporting(c: &mut Criterion) {
    const SPANS: u64 = 100_000;
    let runtime = runtime();
    let mut group = c.benchmark_group("export end to end");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(SPANS));
    group.bench_function("100k spans to the loopback receiver", |b| {
        b.iter_batched(
            || collector(&runtime, 4096),
            |(collector, receiver)| {
                runtime.block_on(async {
                    for i in 0..SPANS {
                        let _ = collector.collect_or_wait(load_span(i)).await;
                    }
                    collector.shutdown().await.expect("shutdown");
                });
                assert_eq!(receiver.span_count(), SPANS);
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// A typical redaction set: two `delete_key`, a `replace_pattern` on `url.full`, a `set`
/// with a `where`, and a drop condition, run as the export side runs them: on a batch of
/// 512 spans of the load generator's shape plus the attributes the rules look at, built
/// as an application builds them. Per span = the median over 512.
fn transform_rules(c: &mut Criterion) {
    let statements = [
        r#"delete_key(attributes, "user.email")"#,
        r#"delete_key(attributes, "enduser.id")"#,
        r#"replace_pattern(attributes["url.full"], "(token|sig)=[^&]*", "$1=REDACTED")"#,
        r#"set(attributes["deployment"], "blue") where kind == SPAN_KIND_SERVER"#,
    ]
    .map(String::from);
    let drops = [r#"attributes["url.path"] == "/health""#.to_owned()];
    let rules = BenchRules::new(&statements, &drops).unwrap();
    let none = BenchRules::new(&[], &[]).unwrap();
    let resource = Resource::new("bench");
    let scope = Scope::default();
    let batch = |url: &'static str| {
        move || -> Vec<Span> {
            (0..512)
                .map(|i| {
                    load_span(i)
                        .with_kind(SpanKind::Server)
                        .with_attribute("user.email", "ada@example.com")
                        .with_attribute("url.full", url)
                        .with_attribute("url.path", "/cart")
                })
                .collect()
        }
    };
    let plain = "https://shop.test/cart?item=42&x=1";
    let secret = "https://shop.test/cart?token=s3cret&x=1";
    let mut group = c.benchmark_group("transform rules, a batch of 512 spans (export side)");
    group.throughput(Throughput::Elements(512));
    for (name, rules, url) in [
        ("no rules", &none, plain),
        ("redaction set, URLs without a secret", &rules, plain),
        (
            "redaction set, every URL with a token to redact",
            &rules,
            secret,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                batch(url),
                |spans| {
                    for span in spans.iter_mut() {
                        black_box(rules.apply(span, &resource, &scope));
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    span_building,
    producing,
    collecting,
    encoding,
    exporting,
    transform_rules
);
criterion_main!(benches);
