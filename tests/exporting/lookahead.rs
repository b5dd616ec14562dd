//! One destination, one request at a time, with the next full batch encoded while a
//! request is out (`src/native/lookahead.rs`): requests never overlap, spans keep their
//! order, a flush under steady load returns, and a shutdown past its deadline counts a
//! batch taken ahead as dropped.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config, Span, Stats};
use otlp_test_receiver::Receiver;

fn config(receiver: &Receiver) -> Config {
    Config::default()
        .with_endpoint(receiver.endpoint())
        .with_batch_size(10)
        .with_max_queue_size(200)
        .with_batch_timeout(Duration::from_secs(60))
}

fn collect(collector: &Collector, count: i64) {
    for i in 0..count {
        let span = Span::new("ahead").with_attribute("i", i).end();
        collector.collect(span).unwrap();
    }
}

fn assert_balanced(stats: &Stats) {
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(stats.buffered, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_never_overlap_and_spans_keep_their_order() {
    let receiver = Receiver::start().await.unwrap();
    let stall = Duration::from_millis(250);
    receiver.stall_next(3, stall);
    let collector = Collector::new(config(&receiver)).unwrap();
    // Six full batches queued at once: each request leaves with the next one ready.
    collect(&collector, 60);
    collector.flush().await.unwrap();

    let arrivals = receiver.attempt_times();
    assert_eq!(arrivals.len(), 6);
    // A request arrives only once the stalled one before it was answered.
    for pair in arrivals.windows(2).take(3) {
        assert!(
            pair[1] - pair[0] >= stall,
            "overlapping requests: {arrivals:?}"
        );
    }
    let order: Vec<i64> = receiver
        .spans()
        .iter()
        .map(
            |span| match &span.attributes[0].value.as_ref().unwrap().value {
                Some(opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(i)) => *i,
                other => panic!("unexpected value {other:?}"),
            },
        )
        .collect();
    assert_eq!(order, (0..60).collect::<Vec<_>>());
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.batches), (60, 6), "{stats:?}");
    assert_balanced(&stats);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_under_steady_load_returns() {
    let receiver = Receiver::start().await.unwrap();
    // A queue deep enough that exporting never empties it while the producer runs.
    let collector = Arc::new(Collector::new(config(&receiver).with_max_queue_size(5_000)).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (collector, stop) = (Arc::clone(&collector), Arc::clone(&stop));
        std::thread::spawn(move || {
            // Bounded: at most 20 million spans (seconds), however long the flush takes.
            // Returns whether it was stopped (the flush returned) before running out.
            for i in 0..20_000_000i64 {
                if stop.load(Ordering::Relaxed) {
                    return true;
                }
                let _ = collector.collect(Span::new("load").with_attribute("i", i).end());
            }
            false
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let flushed = tokio::time::timeout(Duration::from_secs(10), collector.flush()).await;
    stop.store(true, Ordering::Relaxed);
    let stopped_early = producer.join().unwrap();
    // A flush that kept exporting what arrived after it began would return only when the
    // producer ran out.
    assert!(
        flushed.is_ok() && stopped_early,
        "the flush chased the load for {:?}",
        started.elapsed()
    );
    collector.shutdown().await.unwrap();
    let stats = collector.stats();
    assert_balanced(&stats);
    assert_eq!(stats.exported, receiver.span_count(), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_past_its_deadline_counts_the_batch_taken_ahead() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(10, Duration::from_secs(3));
    let collector =
        Collector::new(config(&receiver).with_shutdown_timeout(Duration::from_millis(300)))
            .unwrap();
    collect(&collector, 50);
    // The first request is out (stalled) and the second batch taken ahead.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = collector.shutdown().await;
    let stats = collector.stats();
    assert_balanced(&stats);
    assert_eq!(stats.collected, 50, "{stats:?}");
    assert_eq!(stats.dropped_shutdown, 50, "{stats:?}");
}
