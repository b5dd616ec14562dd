//! OTLP/gRPC export against a loopback tonic receiver that decodes with the official
//! opentelemetry-proto service types: delivery (metadata, gzip), the specification's
//! gRPC retry classification, `RetryInfo` delays, partial success, timeouts and a backend
//! that comes up late. Every test checks the stats invariant.
use std::collections::HashSet;
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Compression, Config, Protocol, RetryPolicy, Span, Stats};
use otlp_test_receiver::GrpcReceiver;
use tonic::Code;

fn config(endpoint: String) -> Config {
    Config::default()
        .with_protocol(Protocol::Grpc)
        .with_endpoint(endpoint)
        .with_batch_timeout(Duration::from_secs(60))
        .with_retry(RetryPolicy {
            max_retries: 5,
            initial_delay: Duration::from_millis(20),
            multiplier: 2.0,
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(20),
        })
}

/// Collects `count` spans named `name`, flushes, and returns the stats.
async fn send(collector: &Collector, name: &str, count: i64) -> Stats {
    for i in 0..count {
        let span = Span::new(name.to_owned()).with_attribute("i", i).end();
        collector.collect(span).unwrap();
    }
    let _ = collector.flush().await;
    collector.stats()
}

fn assert_balanced(stats: Stats) {
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(stats.buffered, 0, "{stats:?}");
}

fn gaps(receiver: &GrpcReceiver) -> Vec<Duration> {
    receiver
        .attempt_times()
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .collect()
}

#[test]
fn choosing_grpc_moves_the_default_endpoint_to_port_4317() {
    let config = Config::default().with_protocol(Protocol::Grpc);
    assert_eq!(config.endpoint(), "http://localhost:4317");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_arrive_with_metadata_and_parent_links_plain_and_gzipped() {
    for compression in [Compression::None, Compression::Gzip] {
        let receiver = GrpcReceiver::start().await.unwrap();
        let collector = Collector::new(
            config(receiver.endpoint())
                .with_compression(compression)
                .with_batch_size(8)
                .with_header("x-api-key", "secret")
                .with_service_name("grpc-test"),
        )
        .unwrap();
        let parent = Span::new("parent");
        let parent_id = parent.span_id().to_bytes().to_vec();
        for i in 0..20 {
            collector
                .collect(parent.child("child").with_attribute("i", i).end())
                .unwrap();
        }
        collector.collect(parent.end()).unwrap();
        collector.flush().await.unwrap();

        let stats = collector.stats();
        assert_eq!((stats.exported, stats.dropped()), (21, 0), "{stats:?}");
        assert_balanced(stats);
        let calls = receiver.calls();
        assert_eq!(calls.len(), 3, "batches of 8: 8 + 8 + 5");
        for call in &calls {
            let header = |name: &str| {
                call.metadata
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.as_str())
            };
            assert_eq!(header("x-api-key"), Some("secret"));
            let expected_encoding = (compression == Compression::Gzip).then_some("gzip");
            assert_eq!(
                header("grpc-encoding"),
                expected_encoding,
                "{compression:?}"
            );
            let resource = call.request.resource_spans[0].resource.as_ref().unwrap();
            assert!(format!("{:?}", resource.attributes).contains("grpc-test"));
        }
        let spans = receiver.spans();
        assert_eq!(spans.len(), 21);
        let children: Vec<_> = spans.iter().filter(|span| span.name == "child").collect();
        assert_eq!(children.len(), 20);
        assert!(children.iter().all(|span| span.parent_span_id == parent_id));
        collector.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_codes_are_retried_and_others_are_not() {
    let receiver = GrpcReceiver::start().await.unwrap();
    let mut retry = config(String::new()).retry();
    retry.max_retries = 8;
    let collector = Collector::new(config(receiver.endpoint()).with_retry(retry)).unwrap();
    receiver.fail_with([
        Code::Unavailable,
        Code::Cancelled,
        Code::DeadlineExceeded,
        Code::Aborted,
        Code::OutOfRange,
        Code::DataLoss,
    ]);
    let stats = send(&collector, "transient", 5).await;
    assert_eq!((stats.exported, stats.retries), (5, 6), "{stats:?}");
    assert_balanced(stats);

    for code in [
        Code::InvalidArgument,
        Code::PermissionDenied,
        Code::Unauthenticated,
        Code::Unimplemented,
        Code::Internal,
        Code::ResourceExhausted, // without RetryInfo
    ] {
        let attempts_before = receiver.attempt_times().len();
        let rejected_before = collector.stats().dropped_rejected;
        receiver.fail_with([code]);
        let stats = send(&collector, "permanent", 2).await;
        assert_eq!(
            receiver.attempt_times().len(),
            attempts_before + 1,
            "{code:?}"
        );
        assert_eq!(stats.dropped_rejected, rejected_before + 2, "{code:?}");
        assert_eq!(stats.retries, 6, "{code:?} must not be retried");
        assert_balanced(stats);
    }
    let error = collector.last_export_error().unwrap();
    assert!(error.contains("RESOURCE_EXHAUSTED"), "{error}");
    assert_eq!(receiver.spans().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_info_makes_resource_exhausted_retryable_and_sets_the_wait() {
    let receiver = GrpcReceiver::start().await.unwrap();
    receiver.fail_with_retry_info(Code::ResourceExhausted, Duration::from_millis(1200));
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let stats = send(&collector, "throttled", 4).await;
    assert_eq!((stats.exported, stats.retries), (4, 1), "{stats:?}");
    let gap = gaps(&receiver)[0];
    assert!(gap >= Duration::from_millis(1200), "retried after {gap:?}");
    assert!(gap < Duration::from_millis(2000), "waited {gap:?}");
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_success_is_counted_and_not_retried() {
    let receiver = GrpcReceiver::start().await.unwrap();
    receiver.respond_with_partial_success(3, "spans too old");
    let collector = Collector::new(config(receiver.endpoint())).unwrap();
    let stats = send(&collector, "partial", 10).await;
    assert_eq!(
        (stats.exported, stats.dropped_rejected, stats.retries),
        (7, 3, 0),
        "{stats:?}"
    );
    assert!(collector
        .last_export_error()
        .unwrap()
        .contains("spans too old"));
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_call_times_out_and_is_retried() {
    let receiver = GrpcReceiver::start().await.unwrap();
    receiver.stall_next(1, Duration::from_secs(1));
    let collector =
        Collector::new(config(receiver.endpoint()).with_export_timeout(Duration::from_millis(300)))
            .unwrap();
    let stats = send(&collector, "stalled", 6).await;
    assert_eq!((stats.exported, stats.retries), (6, 1), "{stats:?}");
    let error = collector.last_export_error().unwrap();
    assert!(error.contains("timed out after 300 ms"), "{error}");
    // The abandoned call is cancelled with its HTTP/2 stream, yet a server may have
    // finished it: the only case where spans may arrive twice.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let received = receiver.spans();
    assert!(
        received.len() == 6 || received.len() == 12,
        "{}",
        received.len()
    );
    let distinct: HashSet<_> = received.iter().map(|span| span.span_id.clone()).collect();
    assert_eq!(distinct.len(), 6);
    assert_balanced(stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_down_at_start_gets_the_spans_once_it_is_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let collector = Collector::new(config(format!("http://127.0.0.1:{port}"))).unwrap();
    for i in 0..10 {
        collector
            .collect(Span::new("late").with_attribute("i", i).end())
            .unwrap();
    }
    let flush = tokio::spawn({
        let collector = collector.clone();
        async move { collector.flush().await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    let receiver = GrpcReceiver::start_on(port).await.unwrap();
    flush.await.unwrap().unwrap();
    let stats = collector.stats();
    assert!(stats.retries >= 1, "{stats:?}");
    assert_eq!((stats.exported, receiver.spans().len()), (10, 10));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_balanced(stats);
}
