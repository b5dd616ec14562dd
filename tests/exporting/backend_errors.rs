//! Fault injection against the loopback receiver: throttling, transient errors, rejected
//! requests, partial success, stalls, a backend that is down at first or restarts. Every
//! test checks the stats invariant (collected = exported + dropped + buffered) and that
//! nothing was retried that must not be.
use std::collections::HashSet;
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config, RetryPolicy, Span, Stats};
use otlp_test_receiver::{Receiver, ReceiverOptions};

fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 5,
        initial_delay: Duration::from_millis(20),
        multiplier: 2.0,
        max_delay: Duration::from_secs(2),
        max_elapsed: Duration::from_secs(20),
    }
}

fn config(endpoint: String) -> Config {
    Config::default()
        .with_endpoint(endpoint)
        .with_batch_timeout(Duration::from_secs(60))
        .with_retry(retry_policy())
}

fn spans(count: i64) -> Vec<Span> {
    (0..count)
        .map(|i| Span::new("fault").with_attribute("i", i).end())
        .collect()
}

fn assert_balanced(stats: Stats) {
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(stats.buffered, 0, "{stats:?}");
}

/// Collects `count` spans, flushes, and returns the stats.
async fn send(collector: &Collector, count: i64) -> Stats {
    for span in spans(count) {
        collector.collect(span).unwrap();
    }
    let _ = collector.flush().await;
    collector.stats()
}

fn gaps(receiver: &Receiver) -> Vec<Duration> {
    receiver
        .attempt_times()
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_from_a_503_is_respected() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with_retry_after(503, "1");
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let stats = send(&collector, 10).await;
    assert_eq!(
        (stats.exported, stats.retries, receiver.attempts()),
        (10, 1, 2)
    );
    let gap = gaps(&receiver)[0];
    assert!(
        gap >= Duration::from_millis(1000),
        "retried after {gap:?}, not Retry-After: 1"
    );
    assert!(gap < Duration::from_millis(1900), "waited {gap:?}");
    assert_eq!(receiver.span_count(), 10);
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_gateway_errors_are_retried_with_backoff() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with([429, 502, 504]);
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let stats = send(&collector, 10).await;
    assert_eq!(
        (stats.exported, stats.retries, receiver.attempts()),
        (10, 3, 4)
    );
    // Backoff: 20 ms, then 40 ms, then 80 ms, each with jitter down to half.
    let waits = gaps(&receiver);
    for (wait, minimum) in waits.iter().zip([10, 20, 40]) {
        assert!(*wait >= Duration::from_millis(minimum), "{waits:?}");
    }
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_errors_are_rejected_without_retrying() {
    // 413 is split and sent again instead (hostile_servers.rs).
    for status in [400, 401, 403, 404, 500] {
        let receiver = Receiver::start().await.unwrap();
        receiver.respond_with([status]);
        let collector = Collector::new(config(receiver.endpoint())).unwrap();
        let stats = send(&collector, 4).await;
        assert_eq!(receiver.attempts(), 1, "HTTP {status} must not be retried");
        assert_eq!((stats.dropped_rejected, stats.retries), (4, 0), "{status}");
        assert!(collector
            .last_export_error()
            .unwrap()
            .contains(&status.to_string()));
        assert_balanced(stats);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_success_counts_the_rejected_spans_and_is_not_retried() {
    for json in [false, cfg!(feature = "json")] {
        let receiver = Receiver::start().await.unwrap();
        receiver.respond_with_partial_success(3, "spans too old");
        let protocol = if json {
            otlp_collector::Protocol::HttpJson
        } else {
            otlp_collector::Protocol::HttpProtobuf
        };
        let collector =
            Collector::new(config(receiver.endpoint()).with_protocol(protocol)).unwrap();
        let stats = send(&collector, 10).await;
        assert_eq!(receiver.attempts(), 1);
        assert_eq!(
            (stats.exported, stats.dropped_rejected),
            (7, 3),
            "json: {json}"
        );
        let error = collector.last_export_error().unwrap();
        assert!(error.contains("rejected 3 spans: spans too old"), "{error}");
        assert_balanced(stats);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_stalled_past_the_timeout_is_retried() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(1, Duration::from_secs(1));
    let collector =
        Collector::new(config(receiver.endpoint()).with_export_timeout(Duration::from_millis(300)))
            .unwrap();
    let sent = spans(10);
    let ids: HashSet<_> = sent
        .iter()
        .map(|span| span.span_id().to_bytes().to_vec())
        .collect();
    for span in sent {
        collector.collect(span).unwrap();
    }
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.retries), (10, 1));
    let error = collector.last_export_error().unwrap();
    assert!(error.contains("request timed out after 300 ms"), "{error}");
    // A server may still finish the abandoned request: the only case where spans may
    // arrive twice. Give it the time to, then check nothing else was duplicated or lost.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received: Vec<_> = receiver
        .spans()
        .into_iter()
        .map(|span| span.span_id)
        .collect();
    assert!(
        received.len() == 10 || received.len() == 20,
        "{}",
        received.len()
    );
    assert_eq!(received.iter().cloned().collect::<HashSet<_>>(), ids);
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_never_answers_in_time_counts_the_spans_as_timed_out() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(3, Duration::from_secs(2));
    let collector = Collector::new(
        config(receiver.endpoint())
            .with_export_timeout(Duration::from_millis(200))
            .with_retry(RetryPolicy {
                max_retries: 2,
                ..retry_policy()
            }),
    )
    .unwrap();
    let stats = send(&collector, 4).await;
    assert_eq!(
        (stats.dropped_timed_out, stats.retries, stats.exported),
        (4, 2, 0),
        "{stats:?}"
    );
    assert_eq!(receiver.attempts(), 3);
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_without_an_answer_is_retried() {
    let receiver = Receiver::start().await.unwrap();
    receiver.disconnect_next(2);
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let stats = send(&collector, 8).await;
    assert_eq!((stats.exported, stats.retries), (8, 2), "{stats:?}");
    let error = collector.last_export_error().unwrap();
    assert!(error.contains("network error"), "{error}");
    assert_eq!(receiver.span_count(), 8, "nothing duplicated");
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_a_batch_waits_to_retry_new_spans_buffer_up_to_capacity() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with_retry_after(503, "1");
    let collector = Collector::new(
        config(receiver.endpoint())
            .with_batch_size(10)
            .with_max_queue_size(20),
    )
    .unwrap();
    for span in spans(10) {
        collector.collect(span).unwrap();
    }
    // The full batch leaves at once and gets the 503; wait until it is waiting to retry.
    while receiver.attempts() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut refused = 0;
    for span in spans(30) {
        if collector.collect(span).is_err() {
            refused += 1;
        }
    }
    let during = collector.stats();
    assert_eq!(refused, 10, "{during:?}");
    assert_eq!((during.buffered, during.dropped_buffer_full), (30, 10));
    assert!(during.is_balanced(), "{during:?}");

    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.retries), (30, 1), "{stats:?}");
    assert_eq!(receiver.span_count(), 30);
    assert_balanced(stats);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn receiver_on(port: u16) -> Receiver {
    Receiver::start_with(ReceiverOptions {
        port,
        ..ReceiverOptions::default()
    })
    .await
    .unwrap()
}

/// Flushes while the backend is down, and starts a receiver on `port` once the first
/// attempts have failed; returns it when the flush has delivered.
async fn flush_while_backend_comes_up(collector: &Collector, port: u16) -> Receiver {
    let flush = tokio::spawn({
        let collector = collector.clone();
        async move { collector.flush().await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let receiver = receiver_on(port).await;
    flush.await.unwrap().unwrap();
    receiver
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_down_at_start_gets_the_spans_once_it_is_up() {
    let port = free_port();
    let collector = Collector::new(config(format!("http://127.0.0.1:{port}/v1/traces"))).unwrap();
    for span in spans(10) {
        collector.collect(span).unwrap();
    }
    let receiver = flush_while_backend_comes_up(&collector, port).await;
    let stats = collector.stats();
    assert!(stats.retries >= 1, "{stats:?}");
    assert_eq!((stats.exported, receiver.span_count()), (10, 10));
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_restarts_mid_stream_loses_nothing() {
    let port = free_port();
    let first = receiver_on(port).await;
    let collector = Collector::new(config(first.endpoint())).unwrap();
    let before = send(&collector, 10).await;
    assert_eq!((before.exported, first.span_count()), (10, 10));

    drop(first);
    for span in spans(10) {
        collector.collect(span).unwrap();
    }
    let second = flush_while_backend_comes_up(&collector, port).await;
    let stats = collector.stats();
    assert_eq!((stats.exported, second.span_count()), (20, 10));
    assert!(stats.retries >= 1, "{stats:?}");
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_gives_up_at_max_elapsed_and_counts_the_spans() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with([503; 50]);
    let collector = Collector::new(config(receiver.endpoint()).with_retry(RetryPolicy {
        max_retries: 50,
        max_elapsed: Duration::from_millis(300),
        ..retry_policy()
    }))
    .unwrap();
    let started = Instant::now();
    let stats = send(&collector, 5).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(stats.dropped_retries_exhausted, 5);
    assert!(receiver.attempts() < 50);
    assert_balanced(stats);
}
