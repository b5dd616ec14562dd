//! The native pipeline end to end: collector → reqwest → a real loopback receiver that
//! decodes with opentelemetry-proto.
use std::collections::HashSet;
use std::time::{Duration, Instant};

use otlp_collector::{
    CollectError, Collector, Compression, Config, FlushError, Protocol, RetryPolicy, Span,
};
use otlp_test_receiver::Receiver;

const WAIT: Duration = Duration::from_secs(10);

fn config_for(receiver: &Receiver) -> Config {
    Config::default()
        .with_endpoint(receiver.endpoint())
        .with_service_name("pipeline-test")
        .with_batch_timeout(Duration::from_secs(60))
        .with_retry(RetryPolicy {
            max_retries: 3,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        })
}

fn numbered_span(i: i64) -> Span {
    Span::new("op")
        .with_attribute("i", i)
        .with_attribute("user.id", format!("user-{i}"))
        .with_attribute("http.method", "GET")
        .with_attribute("ok", true)
        .end()
}

/// Collects `count` spans and checks the receiver got exactly those, once each.
async fn n_in_n_out(protocol: Protocol, compression: Compression) {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(
        config_for(&receiver)
            .with_protocol(protocol)
            .with_compression(compression)
            .with_batch_size(256),
    )
    .unwrap();
    let mut sent = HashSet::new();
    for i in 0..2000 {
        let span = numbered_span(i);
        sent.insert(span.span_id().to_bytes().to_vec());
        collector.collect_or_wait(span).await.unwrap();
    }
    collector.flush().await.unwrap();

    let received: Vec<_> = receiver.spans();
    let received_ids: HashSet<_> = received.iter().map(|span| span.span_id.clone()).collect();
    assert_eq!(received.len(), 2000, "no duplicates");
    assert_eq!(received_ids, sent);
    assert!(
        receiver.decode_errors().is_empty(),
        "{:?}",
        receiver.decode_errors()
    );
    for request in receiver.requests() {
        assert_eq!(request.content_type, protocol.content_type());
        assert_eq!(
            request.content_encoding.as_deref(),
            compression.content_encoding()
        );
        let resource = request.request.resource_spans[0].resource.clone().unwrap();
        assert_eq!(resource.attributes[0].key, "service.name");
    }
    let stats = collector.stats();
    assert_eq!(
        (stats.collected, stats.exported, stats.dropped()),
        (2000, 2000, 0)
    );
    assert_eq!(stats.batches, receiver.request_count());
    assert!(stats.is_balanced(), "{stats:?}");
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_span_arrives_once_over_protobuf() {
    n_in_n_out(Protocol::HttpProtobuf, Compression::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(feature = "json")]
async fn every_span_arrives_once_over_json() {
    n_in_n_out(Protocol::HttpJson, Compression::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(feature = "gzip")]
async fn every_span_arrives_once_gzipped() {
    for protocol in crate::http_protocols() {
        n_in_n_out(protocol, Compression::Gzip).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_batches_go_out_without_waiting_for_the_timeout() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config_for(&receiver).with_batch_size(10)).unwrap();
    for i in 0..30 {
        collector.collect(numbered_span(i)).unwrap();
    }
    assert!(
        receiver.wait_for_spans(30, WAIT).await,
        "size trigger did not fire"
    );
    let sizes: Vec<usize> = receiver
        .requests()
        .iter()
        .map(|r| r.spans().count())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 30);
    assert!(sizes.iter().all(|size| *size <= 10), "{sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_batch_goes_out_when_its_timeout_passes() {
    let receiver = Receiver::start().await.unwrap();
    let timeout = Duration::from_millis(300);
    let collector = Collector::new(config_for(&receiver).with_batch_timeout(timeout)).unwrap();
    let collected_at = Instant::now();
    for i in 0..5 {
        collector.collect(numbered_span(i)).unwrap();
    }
    assert!(
        receiver.wait_for_spans(5, WAIT).await,
        "time trigger did not fire"
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let waited = requests[0].received_at - collected_at;
    assert!(
        waited >= timeout,
        "sent after {waited:?}, before the {timeout:?} timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_arriving_during_an_export_waits_for_the_next_timeout() {
    let receiver = Receiver::start().await.unwrap();
    let timeout = Duration::from_millis(300);
    // The first export is slow, so the second span arrives while it is being sent.
    receiver.stall_next(1, Duration::from_millis(200));
    let collector = Collector::new(config_for(&receiver).with_batch_timeout(timeout)).unwrap();
    collector.collect(numbered_span(0)).unwrap();
    while receiver.attempts() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let export_started = Instant::now();
    tokio::time::sleep(Duration::from_millis(50)).await;
    collector.collect(numbered_span(1)).unwrap();
    assert!(receiver.wait_for_spans(2, WAIT).await);
    let requests = receiver.requests();
    assert_eq!(
        requests.len(),
        2,
        "the second span must not join the first request"
    );
    // The collector began that export a few ms before the receiver's first byte was seen
    // here; sent right after the slow export (the old behaviour) it would be about 200 ms.
    let waited = requests[1].received_at - export_started;
    assert!(
        waited >= timeout - Duration::from_millis(60),
        "the second span left {waited:?} after the first export began, before the {timeout:?} timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_exports_a_partial_batch_at_once() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config_for(&receiver)).unwrap();
    for i in 0..7 {
        collector.collect(numbered_span(i)).unwrap();
    }
    collector.flush().await.unwrap();
    assert_eq!(receiver.span_count(), 7);
    assert_eq!(collector.stats().buffered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_everything_then_refuses_spans() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config_for(&receiver).with_batch_size(100)).unwrap();
    for i in 0..1500 {
        collector.collect(numbered_span(i)).unwrap();
    }
    collector.shutdown().await.unwrap();
    assert_eq!(receiver.span_count(), 1500);
    assert_eq!(
        collector.collect(numbered_span(0)),
        Err(CollectError::ShutDown)
    );
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped_shutdown), (1500, 1));
    assert!(stats.is_balanced(), "{stats:?}");
    assert!(
        collector.shutdown().await.is_err(),
        "a second shutdown is reported"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_buffer_refuses_and_counts_spans() {
    let receiver = Receiver::start().await.unwrap();
    // The export thread runs beside us: with the first request held for 2 s, at most one
    // batch (10) is in flight and 10 wait in the buffer, so of 30 spans 10 to 20 are taken
    // and the rest refused, however the two threads interleave.
    receiver.stall_next(1, Duration::from_secs(2));
    let collector = Collector::new(
        config_for(&receiver)
            .with_max_queue_size(10)
            .with_batch_size(10)
            .with_max_concurrent_exports(1),
    )
    .unwrap();
    let results: Vec<_> = (0..30)
        .map(|i| collector.collect(numbered_span(i)))
        .collect();
    assert!(results[..10].iter().all(Result::is_ok), "{results:?}");
    let refused = results.iter().filter(|result| result.is_err()).count() as u64;
    assert!((10..=20).contains(&refused), "{results:?}");
    assert!(results
        .iter()
        .filter_map(|result| result.as_ref().err())
        .all(|error| *error == CollectError::BufferFull { capacity: 10 }));
    collector.shutdown().await.unwrap();
    let stats = collector.stats();
    assert_eq!(
        (stats.collected, stats.exported, stats.dropped_buffer_full),
        (30, 30 - refused, refused)
    );
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(receiver.span_count(), 30 - refused);
}

#[tokio::test(flavor = "current_thread")]
async fn a_current_thread_runtime_delivers_with_backpressure() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(
        config_for(&receiver)
            .with_max_queue_size(64)
            .with_batch_size(32),
    )
    .unwrap();
    for i in 0..5000 {
        collector.collect_or_wait(numbered_span(i)).await.unwrap();
    }
    collector.shutdown().await.unwrap();
    assert_eq!(receiver.span_count(), 5000);
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped()), (5000, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_producer_threads_lose_nothing() {
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config_for(&receiver).with_batch_size(128)).unwrap();
    let producers: Vec<_> = (0..4)
        .map(|thread| {
            let collector = collector.clone();
            tokio::spawn(async move {
                for i in 0..2500 {
                    collector
                        .collect_or_wait(numbered_span(thread * 10_000 + i))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.await.unwrap();
    }
    collector.shutdown().await.unwrap();
    let ids: HashSet<_> = receiver
        .spans()
        .into_iter()
        .map(|span| span.span_id)
        .collect();
    assert_eq!(ids.len(), 10_000);
    assert_eq!(receiver.span_count(), 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retryable_failures_are_retried_until_accepted() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with([503, 429]);
    let collector = Collector::new(config_for(&receiver)).unwrap();
    for i in 0..5 {
        collector.collect(numbered_span(i)).unwrap();
    }
    collector.flush().await.unwrap();
    assert_eq!(receiver.attempts(), 3);
    assert_eq!(receiver.span_count(), 5);
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.retries, stats.dropped()), (5, 2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_request_is_not_retried_and_is_counted_as_rejected() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with([400]);
    let collector = Collector::new(config_for(&receiver)).unwrap();
    for i in 0..5 {
        collector.collect(numbered_span(i)).unwrap();
    }
    let error = collector.flush().await.unwrap_err();
    assert!(
        matches!(error, FlushError::Undelivered { dropped: 5, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("400"), "{error}");
    assert_eq!(receiver.attempts(), 1);
    let stats = collector.stats();
    assert_eq!((stats.dropped_rejected, stats.retries), (5, 0));
    assert!(stats.is_balanced(), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_are_counted() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with([503; 10]);
    let collector = Collector::new(config_for(&receiver)).unwrap();
    collector.collect(numbered_span(1)).unwrap();
    assert!(collector.flush().await.is_err());
    assert_eq!(
        receiver.attempts(),
        4,
        "one attempt and max_retries = 3 retries"
    );
    let stats = collector.stats();
    assert_eq!((stats.dropped_retries_exhausted, stats.retries), (1, 3));
    assert!(stats.is_balanced(), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_retried_then_counted() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let collector = Collector::new(
        Config::default()
            .with_endpoint(format!("http://127.0.0.1:{closed_port}/v1/traces"))
            .with_retry(RetryPolicy {
                max_retries: 1,
                initial_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(10),
                ..RetryPolicy::default()
            }),
    )
    .unwrap();
    collector.collect(numbered_span(1)).unwrap();
    let error = collector.flush().await.unwrap_err();
    assert!(error.to_string().contains("network error"), "{error}");
    let stats = collector.stats();
    assert_eq!((stats.dropped_retries_exhausted, stats.retries), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_batches_are_split_under_the_byte_limit() {
    let receiver = Receiver::start().await.unwrap();
    let limit = 4_000;
    let collector = Collector::new(config_for(&receiver).with_max_request_bytes(limit)).unwrap();
    for i in 0..100 {
        collector.collect(numbered_span(i)).unwrap();
    }
    collector
        .collect(
            Span::new("huge")
                .with_attribute("blob", "x".repeat(10_000))
                .end(),
        )
        .unwrap();
    assert!(
        collector.flush().await.is_err(),
        "the huge span is reported"
    );
    let requests = receiver.requests();
    assert!(requests.len() > 1);
    assert!(requests.iter().all(|request| request.body_len <= limit));
    assert_eq!(receiver.span_count(), 100);
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped_too_large), (100, 1));
    assert!(stats.is_balanced(), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_headers_are_sent() {
    let receiver = Receiver::start().await.unwrap();
    let collector =
        Collector::new(config_for(&receiver).with_header("x-api-key", "secret")).unwrap();
    collector.collect(numbered_span(1)).unwrap();
    collector.flush().await.unwrap();
    let request = &receiver.requests()[0];
    assert_eq!(request.header("x-api-key"), Some("secret"));
    assert!(request
        .header("user-agent")
        .unwrap()
        .starts_with("otlp-collector/"));
}

#[tokio::test]
async fn an_invalid_config_is_refused_with_the_field_named() {
    let error = Collector::new(Config::default().with_batch_size(0))
        .err()
        .unwrap();
    assert!(error.to_string().contains("batch_size"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_is_bounded_by_its_timeout_and_loses_nothing() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(1, Duration::from_millis(1500));
    let collector =
        Collector::new(config_for(&receiver).with_flush_timeout(Duration::from_millis(200)))
            .unwrap();
    for i in 0..5 {
        collector.collect(numbered_span(i)).unwrap();
    }
    let started = Instant::now();
    let error = collector.flush().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "flush waited {:?}",
        started.elapsed()
    );
    assert_eq!(error, FlushError::TimedOut { still_buffered: 5 });
    // The stalled request still completes; nothing was lost.
    assert!(receiver.wait_for_spans(5, WAIT).await);
    collector.shutdown().await.unwrap();
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped()), (5, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_bounded_by_its_timeout_and_counts_what_it_drops() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(100, Duration::from_secs(5));
    let collector = Collector::new(
        config_for(&receiver)
            .with_batch_size(10)
            .with_export_timeout(Duration::from_millis(200))
            .with_shutdown_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    for i in 0..50 {
        collector.collect(numbered_span(i)).unwrap();
    }
    let started = Instant::now();
    let error = collector.shutdown().await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "shutdown took {took:?}");
    let stats = collector.stats();
    assert!(
        matches!(error, otlp_collector::ShutdownError::TimedOut { dropped } if dropped == stats.dropped_shutdown),
        "{error}"
    );
    assert_eq!(stats.exported, 0);
    assert_eq!(stats.dropped(), 50, "{stats:?}");
    assert_eq!(stats.buffered, 0);
    assert!(stats.is_balanced(), "{stats:?}");
}
