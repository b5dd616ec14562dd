//! Backends that misbehave on purpose: redirects, huge response bodies and messages,
//! absurd `Retry-After` dates, oversized gRPC responses. Each must leave the spans
//! counted (delivered or dropped with a reason), the application unharmed and the
//! credentials where they were sent.
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config, RetryPolicy, Span, Stats};
use otlp_test_receiver::{HostileAnswer, HostileServer, Receiver, ReceiverOptions};

fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_delay: Duration::from_millis(20),
        multiplier: 2.0,
        max_delay: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(10),
    }
}

fn config(endpoint: String) -> Config {
    Config::default()
        .with_endpoint(endpoint)
        .with_batch_timeout(Duration::from_secs(60))
        .with_retry(retry_policy())
}

async fn send(collector: &Collector, count: i64) -> Stats {
    for i in 0..count {
        collector
            .collect(Span::new("hostile").with_attribute("i", i).end())
            .unwrap();
    }
    let _ = collector.flush().await;
    collector.stats()
}

fn assert_settled(stats: Stats) {
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(stats.buffered, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_see_other_redirect_is_a_rejection_not_a_get_counted_as_exported() {
    let target = Receiver::start().await.unwrap();
    // GET /received answers 200: a client following the redirect as a GET would count it.
    let location = format!("http://{}/received", target.addr());
    for status in [301, 302, 303] {
        let server = HostileServer::start(HostileAnswer::redirect(status, &location))
            .await
            .unwrap();
        let collector = Collector::new(config(server.endpoint())).unwrap();
        let stats = send(&collector, 5).await;
        assert_eq!(
            (stats.exported, stats.dropped_rejected),
            (0, 5),
            "{status}: {stats:?}"
        );
        assert_eq!(stats.retries, 0, "{status}");
        let error = collector.last_export_error().unwrap_or_default();
        assert!(error.contains(&location), "{status}: {error}");
        assert_eq!(server.requests().len(), 1);
        assert_settled(stats);
    }
    assert_eq!(target.attempts(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_origin_redirect_never_carries_the_spans_or_credentials() {
    let elsewhere = Receiver::start().await.unwrap();
    for status in [307, 308] {
        let server = HostileServer::start(HostileAnswer::redirect(status, &elsewhere.endpoint()))
            .await
            .unwrap();
        let collector =
            Collector::new(config(server.endpoint()).with_header("api-key", "secret-123")).unwrap();
        let stats = send(&collector, 5).await;
        assert_eq!(stats.dropped_rejected, 5, "{status}: {stats:?}");
        assert_settled(stats);
        let sent = server.requests();
        assert_eq!(
            sent[0]
                .headers
                .iter()
                .find(|(name, _)| name == "api-key")
                .map(|(_, v)| v.as_str()),
            Some("secret-123")
        );
    }
    assert_eq!(elsewhere.attempts(), 0, "the redirect was followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_response_body_is_not_read_whole() {
    const GIB: u64 = 1 << 30;
    for status in [200, 400] {
        let server = HostileServer::start(HostileAnswer::huge_body(status, GIB))
            .await
            .unwrap();
        let collector = Collector::new(config(server.endpoint())).unwrap();
        let started = Instant::now();
        let stats = send(&collector, 5).await;
        let took = started.elapsed();
        assert_settled(stats);
        if status == 200 {
            // Zeros are an empty protobuf message: full success.
            assert_eq!(stats.exported, 5, "{stats:?}");
        } else {
            assert_eq!(stats.dropped_rejected, 5, "{stats:?}");
        }
        // Give the server a moment to notice the hang-up, then check it could not push
        // more than socket buffers hold.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let written = server.body_bytes_written();
        assert!(
            written < 64 << 20,
            "the client read {written} bytes of a 1 GiB body"
        );
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_partial_success_message_is_kept_short() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with_partial_success(2, "x".repeat(8 << 20));
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let stats = send(&collector, 5).await;
    assert_eq!(
        (stats.exported, stats.dropped_rejected),
        (3, 2),
        "{stats:?}"
    );
    let error = collector.last_export_error().unwrap_or_default();
    assert!(
        error.len() < 2048,
        "kept {} bytes of the message",
        error.len()
    );
    assert!(
        error.contains("rejected 2 spans"),
        "{}",
        &error[..200.min(error.len())]
    );
    assert_settled(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_retry_after_date_is_ignored_not_a_crash() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with_retry_after(503, "Sun, 06 Nov 99999999999999 08:49:37 GMT");
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let stats = send(&collector, 5).await;
    assert_eq!((stats.exported, stats.retries), (5, 1), "{stats:?}");
    assert_settled(stats);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(feature = "grpc")]
async fn an_oversized_grpc_response_counts_delivered_spans_once() {
    let receiver = otlp_test_receiver::GrpcReceiver::start().await.unwrap();
    // Larger than tonic's default 4 MiB decode limit.
    receiver.respond_with_partial_success(0, "y".repeat(5 << 20));
    let collector =
        Collector::new(config(receiver.endpoint()).with_protocol(otlp_collector::Protocol::Grpc))
            .unwrap();
    let stats = send(&collector, 5).await;
    assert_eq!(
        (stats.exported, stats.retries, stats.dropped()),
        (5, 0, 0),
        "{stats:?}"
    );
    assert_eq!(receiver.calls().len(), 1, "delivered spans were sent again");
    assert_settled(stats);
}

/// A backend (or the proxy before it) with a body limit answers 413: the request is split
/// and the halves sent again, so every span that fits arrives exactly once; a span too
/// large for the backend even alone is dropped as too large. (Before: the whole batch was
/// dropped as rejected.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_too_large_answer_splits_the_batch_and_sends_the_halves() {
    let receiver = Receiver::start_with(ReceiverOptions {
        max_body_bytes: Some(30_000),
        ..ReceiverOptions::default()
    })
    .await
    .unwrap();
    let collector = Collector::new(config(receiver.endpoint()).with_batch_size(200)).unwrap();
    for i in 0..100 {
        let span = Span::new(format!("part-{i}")).with_attribute("payload", "x".repeat(1000));
        collector.collect(span.end()).unwrap();
    }
    let huge = Span::new("alone-too-large").with_attribute("payload", "x".repeat(40_000));
    collector.collect(huge.end()).unwrap();
    let flushed = collector.flush().await;
    let stats = collector.stats();
    assert_settled(stats);
    assert_eq!(
        (stats.exported, stats.dropped_too_large, stats.dropped()),
        (100, 1, 1),
        "{stats:?} {flushed:?}"
    );
    assert_eq!(stats.retries, 0, "a split is not a retry: {stats:?}");
    let mut names: Vec<String> = receiver.spans().into_iter().map(|span| span.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 100, "each span exactly once");
    assert_eq!(receiver.span_count(), 100);
    assert!(receiver
        .requests()
        .iter()
        .all(|request| request.body_len <= 30_000));
    assert!(
        flushed.is_err(),
        "the span refused alone is reported: {flushed:?}"
    );
    collector.shutdown().await.unwrap();
}
