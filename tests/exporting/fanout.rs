//! Fan-out to several loopback receivers: every batch encoded once and delivered to each
//! destination with its own headers; a destination that fails, stalls or is down does not
//! hold the others back; stats per destination balance on their own, and the collector's
//! balance too.
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config, Destination, DestinationStats, RetryPolicy, Span, Stats};
use otlp_test_receiver::Receiver;

fn config(main: &Receiver) -> Config {
    Config::default()
        .with_endpoint(main.endpoint())
        .with_header("x-tenant", "main")
        .with_batch_size(10)
        .with_max_queue_size(40)
        .with_batch_timeout(Duration::from_millis(50))
        .with_retry(RetryPolicy {
            max_retries: 3,
            initial_delay: Duration::from_millis(20),
            multiplier: 2.0,
            max_delay: Duration::from_millis(200),
            max_elapsed: Duration::from_secs(5),
        })
}

fn collect(collector: &Collector, name: &str, count: i64) {
    for i in 0..count {
        let span = Span::new(name.to_owned()).with_attribute("i", i).end();
        collector.collect(span).unwrap();
    }
}

fn assert_balanced(stats: &Stats) {
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(stats.buffered, 0, "{stats:?}");
}

fn by_endpoint<'a>(all: &'a [DestinationStats], endpoint: &str) -> &'a DestinationStats {
    all.iter()
        .find(|destination| destination.endpoint == endpoint)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_destination_gets_the_same_requests_with_its_own_headers() {
    let (first, second) = (
        Receiver::start().await.unwrap(),
        Receiver::start().await.unwrap(),
    );
    let collector = Collector::new(
        config(&first)
            .with_header("authorization", "Bearer main-only")
            .with_destination(Destination::new(second.endpoint()).with_header("x-tenant", "copy")),
    )
    .unwrap();
    collect(&collector, "fan", 35);
    collector.flush().await.unwrap();

    let stats = collector.stats();
    assert_eq!((stats.exported, stats.batches), (35, 4), "{stats:?}");
    assert_balanced(&stats);
    let (a, b) = (first.requests(), second.requests());
    assert_eq!(a.len(), 4);
    assert_eq!(b.len(), 4);
    for (from_first, from_second) in a.iter().zip(&b) {
        // Encoded once: the same body reached both.
        assert_eq!(from_first.request, from_second.request);
        assert_eq!(from_first.body_len, from_second.body_len);
        assert_eq!(from_first.header("x-tenant"), Some("main"));
        assert_eq!(from_second.header("x-tenant"), Some("copy"));
        // The main destination's credentials go to it alone.
        assert_eq!(from_first.header("authorization"), Some("Bearer main-only"));
        assert_eq!(from_second.header("authorization"), None);
    }
    let destinations = collector.destination_stats();
    assert_eq!(destinations.len(), 2);
    for destination in &destinations {
        assert_eq!(destination.stats.exported, 35, "{destination:?}");
        assert_balanced(&destination.stats);
    }
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_destination_does_not_hold_the_healthy_one_back() {
    let (healthy, failing) = (
        Receiver::start().await.unwrap(),
        Receiver::start().await.unwrap(),
    );
    failing.respond_with([503; 1000]);
    let collector =
        Collector::new(config(&healthy).with_destination(Destination::new(failing.endpoint())))
            .unwrap();
    for round in 0..5 {
        collect(&collector, "steady", 10);
        // The healthy receiver gets each batch within its timeout, however far behind
        // the failing one is.
        let expected = (round + 1) * 10;
        assert!(
            healthy
                .wait_for_spans(expected, Duration::from_secs(2))
                .await,
            "round {round}: {} spans arrived",
            healthy.span_count()
        );
    }
    collector.flush().await.unwrap_err();

    let destinations = collector.destination_stats();
    let good = by_endpoint(&destinations, &healthy.endpoint());
    let bad = by_endpoint(&destinations, &failing.endpoint());
    assert_eq!(good.stats.exported, 50, "{good:?}");
    assert_eq!(bad.stats.exported, 0, "{bad:?}");
    assert_eq!(
        bad.stats.dropped_retries_exhausted + bad.stats.dropped_buffer_full,
        50,
        "{bad:?}"
    );
    assert!(bad.last_error.as_deref().unwrap().contains("503"));
    assert_balanced(&good.stats);
    assert_balanced(&bad.stats);
    assert_eq!(healthy.span_count(), 50);
    // Not delivered everywhere: the collector counts the spans as dropped, with the
    // failing destination's reason.
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped()), (0, 50), "{stats:?}");
    assert_balanced(&stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_destination_is_waited_for_only_by_its_own_requests() {
    let (fast, slow) = (
        Receiver::start().await.unwrap(),
        Receiver::start().await.unwrap(),
    );
    slow.stall_next(1, Duration::from_millis(1500));
    let collector =
        Collector::new(config(&fast).with_destination(Destination::new(slow.endpoint()))).unwrap();
    let started = Instant::now();
    collect(&collector, "stall", 30);
    assert!(fast.wait_for_spans(30, Duration::from_secs(1)).await);
    let fast_done = started.elapsed();
    collector.flush().await.unwrap();
    assert!(
        fast_done < Duration::from_millis(1000),
        "the fast destination waited {fast_done:?} for the stalled one"
    );
    assert_eq!(slow.span_count(), 30);
    let stats = collector.stats();
    assert_eq!(stats.exported, 30, "{stats:?}");
    assert_balanced(&stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_at_its_deadline_counts_what_a_stalled_destination_still_held() {
    let (fast, slow) = (
        Receiver::start().await.unwrap(),
        Receiver::start().await.unwrap(),
    );
    slow.stall_next(10, Duration::from_secs(5));
    let collector = Collector::new(
        config(&fast)
            .with_destination(Destination::new(slow.endpoint()))
            .with_export_timeout(Duration::from_secs(10))
            .with_shutdown_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    collect(&collector, "deadline", 20);
    let started = Instant::now();
    let error = collector.shutdown().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{error}");
    assert_eq!(fast.span_count(), 20);

    let stats = collector.stats();
    assert_eq!(stats.dropped_shutdown, 20, "{stats:?}");
    assert_balanced(&stats);
    let destinations = collector.destination_stats();
    let fast_stats = &by_endpoint(&destinations, &fast.endpoint()).stats;
    let slow_stats = &by_endpoint(&destinations, &slow.endpoint()).stats;
    assert_eq!(fast_stats.exported, 20, "{fast_stats:?}");
    assert_eq!(slow_stats.dropped_shutdown, 20, "{slow_stats:?}");
    assert_balanced(fast_stats);
    assert_balanced(slow_stats);
}

#[test]
fn a_bad_destination_is_refused_by_validation() {
    let error = Config::default()
        .with_destination(Destination::new("collector:4318"))
        .validate()
        .unwrap_err();
    assert!(error.to_string().contains("collector:4318"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_exports_overlap_slow_requests() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(4, Duration::from_millis(600));
    let collector = Collector::new(
        config(&receiver)
            .with_batch_timeout(Duration::from_secs(60))
            .with_max_concurrent_exports(4),
    )
    .unwrap();
    collect(&collector, "concurrent", 40);
    let started = Instant::now();
    collector.flush().await.unwrap();
    let took = started.elapsed();
    // One at a time, four stalled requests would take 2.4 s.
    assert!(
        took < Duration::from_millis(1500),
        "four stalled requests took {took:?}"
    );
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.batches), (40, 4), "{stats:?}");
    assert_balanced(&stats);
    assert_eq!(receiver.span_count(), 40);
    assert_eq!(collector.destination_stats().len(), 1);
    collector.shutdown().await.unwrap();
}

#[test]
fn zero_concurrent_exports_is_refused() {
    let error = Config::default()
        .with_max_concurrent_exports(0)
        .validate()
        .unwrap_err();
    assert!(
        error.to_string().contains("max_concurrent_exports"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destination_passwords_never_reach_metrics_stats_or_errors() {
    let main = Receiver::start().await.unwrap();
    // A second destination with credentials in its URL, where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let secret_endpoint = format!("http://user:s3cr3t-pw@127.0.0.1:{port}/v1/traces");
    let collector = Collector::new(
        config(&main)
            .with_retry(RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            })
            .with_destination(Destination::new(secret_endpoint)),
    )
    .unwrap();
    collect(&collector, "secret", 10);
    let _ = collector.flush().await;
    let destinations = collector.destination_stats();
    let text = collector.prometheus_text();
    let everything = format!(
        "{destinations:?}\n{text}\n{:?}\n{:?}",
        collector.last_export_error(),
        collector.stats()
    );
    assert!(!everything.contains("s3cr3t"), "{everything}");
    assert!(
        destinations
            .iter()
            .any(|destination| destination.endpoint.contains("user:<redacted>@127.0.0.1")),
        "{destinations:?}"
    );
    let failed = destinations
        .iter()
        .find(|destination| destination.endpoint.contains("<redacted>"))
        .unwrap();
    assert!(failed.last_error.is_some(), "{failed:?}");
    assert!(
        text.contains("destination=\"http://user:<redacted>@127.0.0.1"),
        "{text}"
    );
    collector.shutdown().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_destinations_password_is_redacted_in_its_stats_and_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let collector = Collector::new(
        Config::default()
            .with_endpoint(format!("http://user:s3cr3t-pw@127.0.0.1:{port}/v1/traces"))
            .with_retry(RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            }),
    )
    .unwrap();
    collect(&collector, "secret", 3);
    let _ = collector.flush().await;
    let error = collector.last_export_error().expect("the export failed");
    let destinations = collector.destination_stats();
    assert!(
        !format!("{error}{destinations:?}").contains("s3cr3t"),
        "{error} {destinations:?}"
    );
    assert!(destinations[0].endpoint.contains("<redacted>"));
    collector.shutdown().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_with_a_smaller_body_limit_gets_its_requests_split() {
    let main = Receiver::start().await.unwrap();
    // A proxy before the second destination refuses bodies over 2 KB with 413.
    let limited = otlp_test_receiver::Receiver::start_with(otlp_test_receiver::ReceiverOptions {
        max_body_bytes: Some(2048),
        ..Default::default()
    })
    .await
    .unwrap();
    let collector =
        Collector::new(config(&main).with_destination(Destination::new(limited.endpoint())))
            .unwrap();
    for i in 0..30 {
        let span = Span::new("padded")
            .with_attribute("i", i)
            .with_attribute("padding", "p".repeat(300))
            .end();
        collector.collect(span).unwrap();
    }
    collector.flush().await.unwrap();
    assert_eq!(main.span_count(), 30);
    assert_eq!(
        limited.span_count(),
        30,
        "the 413s were split and sent again"
    );
    let destinations = collector.destination_stats();
    let limited_stats = &by_endpoint(&destinations, &limited.endpoint()).stats;
    assert_eq!(limited_stats.exported, 30, "{limited_stats:?}");
    assert_eq!(limited_stats.dropped(), 0, "{limited_stats:?}");
    assert_balanced(limited_stats);
    let stats = collector.stats();
    assert_eq!(stats.exported, 30, "{stats:?}");
    assert_balanced(&stats);
    collector.shutdown().await.unwrap();
}
