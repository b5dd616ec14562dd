//! The collector's lifecycle when things around it go wrong: no runtime, a runtime without
//! timers, the application's runtime shut down, the last handle dropped without shutdown,
//! a shutdown racing a retried batch or a flush that already timed out, cancelled waits,
//! extreme timeouts, and heavy batches encoded while the application's runtime must stay
//! responsive. After each, the stats balance with nothing buffered.
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Compression, Config, RetryPolicy, ShutdownError, Span, Stats};
use otlp_test_receiver::Receiver;

fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 100,
        initial_delay: Duration::from_millis(50),
        multiplier: 1.5,
        max_delay: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(600),
    }
}

fn config(endpoint: String) -> Config {
    Config::default()
        .with_endpoint(endpoint)
        .with_batch_timeout(Duration::from_secs(60))
        .with_retry(retry_policy())
}

fn span(i: i64) -> Span {
    Span::new("lifecycle").with_attribute("i", i).end()
}

fn assert_settled(stats: Stats) {
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(stats.buffered, 0, "{stats:?}");
}

/// A runtime for the receiver, apart from whatever the collector's caller uses.
fn receiver_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn works_with_no_runtime_and_with_a_runtime_without_timers() {
    let receivers = receiver_runtime();
    let receiver = receivers.block_on(Receiver::start()).unwrap();
    // Created on a plain thread: no tokio runtime at all (was `StartError::NoRuntime`).
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    for i in 0..10 {
        collector.collect(span(i)).unwrap();
    }
    // Driven by a runtime built without the time driver (the old export task panicked).
    let no_timers = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    no_timers.block_on(collector.flush()).unwrap();
    no_timers.block_on(collector.shutdown()).unwrap();
    assert_eq!(receiver.span_count(), 10);
    assert_settled(collector.stats());
}

#[test]
fn the_application_runtime_going_away_does_not_strand_the_spans() {
    let receivers = receiver_runtime();
    let receiver = receivers.block_on(Receiver::start()).unwrap();
    let app = tokio::runtime::Runtime::new().unwrap();
    let collector = app.block_on(async { Collector::new(config(receiver.endpoint())).unwrap() });
    for i in 0..5 {
        collector.collect(span(i)).unwrap();
    }
    // The runtime that created the collector is shut down; the old export task died with
    // it and `collect` went on answering Ok for spans that could never leave.
    app.shutdown_timeout(Duration::from_millis(100));
    for i in 5..10 {
        collector.collect(span(i)).unwrap();
    }
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    other.block_on(collector.shutdown()).unwrap();
    assert_eq!(receiver.span_count(), 10);
    assert_settled(collector.stats());
}

#[test]
fn dropping_the_last_handle_without_shutdown_delivers_what_is_buffered() {
    let receivers = receiver_runtime();
    let receiver = receivers.block_on(Receiver::start()).unwrap();
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let clone = collector.clone();
    for i in 0..7 {
        clone.collect(span(i)).unwrap();
    }
    drop(clone);
    let started = Instant::now();
    drop(collector);
    assert_eq!(
        receiver.span_count(),
        7,
        "dropped after {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_while_the_only_batch_is_retried_reports_the_loss_in_time() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with(std::iter::repeat_n(503, 1000));
    let collector = Collector::new(
        config(receiver.endpoint()).with_shutdown_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    for i in 0..20 {
        collector.collect(span(i)).unwrap();
    }
    // Let the batch start its retries, then shut down while it waits between attempts.
    let flushing = tokio::spawn({
        let collector = collector.clone();
        async move { collector.flush().await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    let result = collector.shutdown().await;
    let took = started.elapsed();
    // Was Ok(()), with the 20 spans left "buffered" forever.
    assert_eq!(result, Err(ShutdownError::TimedOut { dropped: 20 }));
    assert!(
        took < Duration::from_millis(500 + 400),
        "shutdown took {took:?}"
    );
    let stats = collector.stats();
    assert_eq!(stats.dropped_shutdown, 20, "{stats:?}");
    assert_settled(stats);
    let _ = flushing.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_after_a_timed_out_flush_is_still_bounded() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(5, Duration::from_secs(8));
    let collector = Collector::new(
        config(receiver.endpoint())
            .with_export_timeout(Duration::from_secs(10))
            .with_flush_timeout(Duration::from_millis(200))
            .with_shutdown_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    for i in 0..10 {
        collector.collect(span(i)).unwrap();
    }
    assert!(
        collector.flush().await.is_err(),
        "the flush should time out"
    );
    let started = Instant::now();
    let result = collector.shutdown().await;
    let took = started.elapsed();
    // Was unbounded (waiting for the flush's export) and answered Ok.
    assert!(
        took < Duration::from_millis(500 + 400),
        "shutdown took {took:?}"
    );
    assert_eq!(result, Err(ShutdownError::TimedOut { dropped: 10 }));
    assert_settled(collector.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_waits_keep_the_books_balanced() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(1, Duration::from_millis(300));
    let collector = Collector::new(
        config(receiver.endpoint())
            .with_max_queue_size(8)
            .with_batch_size(8),
    )
    .unwrap();
    let mut cancelled = 0;
    for i in 0..3000 {
        let wait = collector.collect_or_wait(span(i));
        if tokio::time::timeout(Duration::from_micros(50), wait)
            .await
            .is_err()
        {
            cancelled += 1;
        }
    }
    assert!(
        cancelled > 0,
        "no wait was cancelled: the test proves nothing"
    );
    collector.shutdown().await.unwrap();
    let stats = collector.stats();
    assert_eq!(stats.collected, 3000);
    assert_eq!(stats.dropped_buffer_full, cancelled, "{stats:?}");
    assert_settled(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_timeouts_work_or_are_refused_never_panic() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(
        config(receiver.endpoint())
            .with_batch_timeout(Duration::MAX)
            .with_flush_timeout(Duration::MAX)
            .with_shutdown_timeout(Duration::MAX)
            .with_export_timeout(Duration::MAX),
    )
    .unwrap();
    collector.collect(span(1)).unwrap();
    collector.flush().await.unwrap();
    collector.shutdown().await.unwrap();
    assert_eq!(receiver.span_count(), 1);
    assert_settled(collector.stats());
}

/// 2,048 spans of 20 KB each, gzip: encoding them took the application's `current_thread`
/// runtime for ~0.5 s (3.7 s with gzip). Now it runs on the export thread; the
/// application's runtime keeps ticking every millisecond.
#[test]
fn heavy_batches_do_not_stall_the_application_runtime() {
    let receivers = receiver_runtime();
    let receiver = receivers.block_on(Receiver::start_counting()).unwrap();
    let app = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let worst_gap = app.block_on(async {
        let collector = Collector::new(
            config(receiver.endpoint())
                // gzip makes each batch far heavier to prepare, when it is built in.
                .with_compression(if cfg!(feature = "gzip") {
                    Compression::Gzip
                } else {
                    Compression::None
                })
                .with_max_queue_size(2048)
                .with_batch_size(2048)
                .with_max_request_bytes(64 << 20),
        )
        .unwrap();
        let blob = "x".repeat(20 * 1024);
        for i in 0..2048 {
            let span = Span::new("heavy")
                .with_attribute("blob", blob.clone())
                .with_attribute("i", i);
            collector.collect(span.end()).unwrap();
        }
        let ticker = tokio::spawn(async {
            let mut worst = Duration::ZERO;
            let mut last = Instant::now();
            for _ in 0..400 {
                tokio::time::sleep(Duration::from_millis(1)).await;
                worst = worst.max(last.elapsed());
                last = Instant::now();
            }
            worst
        });
        collector.flush().await.unwrap();
        let worst = ticker.await.unwrap();
        collector.shutdown().await.unwrap();
        assert_settled(collector.stats());
        worst
    });
    println!("worst tick gap of the application's runtime during the export: {worst_gap:?}");
    assert_eq!(receiver.span_count(), 2048);
    assert!(
        worst_gap < Duration::from_millis(100),
        "stalled for {worst_gap:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_read_while_batches_leave_always_balance() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(
        config(receiver.endpoint())
            .with_batch_size(64)
            .with_max_queue_size(20_000),
    )
    .unwrap();
    for i in 0..20_000 {
        collector.collect(span(i)).unwrap();
    }
    // Producers have stopped; the export thread moves 64 spans at a time from the queue to
    // the wire. Every snapshot taken meanwhile must account for every span (a batch taken
    // from the queue but not yet counted in flight used to vanish from `buffered`).
    let flushing = tokio::spawn({
        let collector = collector.clone();
        async move { collector.flush().await }
    });
    let started = Instant::now();
    let mut snapshots = 0;
    while !flushing.is_finished()
        && snapshots < 2_000_000
        && started.elapsed() < Duration::from_secs(20)
    {
        let stats = collector.stats();
        assert!(stats.is_balanced(), "snapshot {snapshots}: {stats:?}");
        snapshots += 1;
    }
    flushing.await.unwrap().unwrap();
    assert!(
        snapshots > 100,
        "only {snapshots} snapshots while exporting"
    );
    collector.shutdown().await.unwrap();
    let stats = collector.stats();
    assert_eq!(stats.exported, 20_000, "{stats:?}");
    assert_settled(stats);
}
