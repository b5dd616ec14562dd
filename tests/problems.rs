//! The collector reports its own trouble as it happens, rate-limited: a backend that is down
//! gives a report at once and then a few, not one per request or span.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use otlp_collector::{Collector, Config, DropReason, Problem, RetryPolicy, Span};
use otlp_test_receiver::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_backend_is_reported_at_once_and_then_sparingly() {
    let receiver = Receiver::start().await.unwrap();
    // The first request stalls (the buffer fills meanwhile), the rest are refused.
    receiver.stall_next(1, Duration::from_millis(300));
    receiver.respond_with(std::iter::repeat_n(400, 1000));
    let seen = Arc::new(Mutex::new(Vec::<Problem>::new()));
    let sink = Arc::clone(&seen);
    let collector = Collector::new(
        Config::default()
            .with_endpoint(receiver.endpoint())
            .with_batch_size(10)
            .with_max_queue_size(20)
            .with_retry(RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            })
            .with_problem_handler(move |problem: &Problem| {
                sink.lock().unwrap().push(problem.clone())
            }),
    )
    .unwrap();
    for i in 0..200 {
        let _ = collector.collect(Span::new("refused").with_attribute("i", i).end());
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    for i in 0..100 {
        let _ = collector.collect(Span::new("refused").with_attribute("i", i).end());
        let _ = collector.flush().await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stats = collector.stats();
    assert!(
        stats.dropped_rejected >= 10 && stats.dropped_buffer_full > 0,
        "{stats:?}"
    );
    let seen = seen.lock().unwrap().clone();
    // One report per kind in this window: the first export failure, the first rejected
    // batch, the first full buffer — however many requests and spans failed.
    let kinds =
        |wanted: fn(&Problem) -> bool| seen.iter().filter(|problem| wanted(problem)).count();
    assert_eq!(
        kinds(|p| matches!(p, Problem::ExportFailed { .. })),
        1,
        "{seen:?}"
    );
    assert_eq!(
        kinds(|p| matches!(
            p,
            Problem::SpansDropped {
                reason: DropReason::Rejected,
                ..
            }
        )),
        1,
        "{seen:?}"
    );
    assert_eq!(
        kinds(|p| matches!(
            p,
            Problem::SpansDropped {
                reason: DropReason::BufferFull,
                ..
            }
        )),
        1,
        "{seen:?}"
    );
    assert_eq!(seen.len(), 3, "{seen:?}");
    let first = seen
        .iter()
        .find(|problem| matches!(problem, Problem::ExportFailed { .. }))
        .unwrap()
        .to_string();
    assert!(first.contains("HTTP 400"), "{first}");
}
