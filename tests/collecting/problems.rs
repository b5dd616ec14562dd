//! The collector reports its own trouble as it happens, rate-limited: a backend that is down
//! gives a report at once and then a few, not one per request or span.
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

/// Runs `work` on its own thread and fails (instead of hanging the suite) if it takes
/// longer than `limit`.
fn within<T: Send + 'static>(limit: Duration, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    receiver
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still blocked after {limit:?}: a deadlock"))
}

#[test]
fn a_handler_may_read_stats_and_metrics_from_any_thread() {
    // The handler runs on the export thread (spans dropped after the backend refused them)
    // and on the application's (a full buffer): both read the collector's counters.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver = runtime.block_on(Receiver::start()).unwrap();
    receiver.respond_with(std::iter::repeat_n(400, 100));
    let slot: Arc<Mutex<Option<Collector>>> = Arc::new(Mutex::new(None));
    let reads = Arc::new(Mutex::new(Vec::new()));
    let (handler_slot, handler_reads) = (Arc::clone(&slot), Arc::clone(&reads));
    let config = Config::default()
        .with_endpoint(receiver.endpoint())
        .with_batch_size(5)
        .with_max_queue_size(10)
        .with_retry(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .with_problem_handler(move |problem: &Problem| {
            let collector = handler_slot.lock().unwrap().clone();
            if let Some(collector) = collector {
                let stats = collector.stats();
                let text = collector.prometheus_text();
                handler_reads
                    .lock()
                    .unwrap()
                    .push((problem.clone(), stats, text.len()));
            }
        });
    let collector = {
        let _entered = runtime.enter();
        Collector::new(config).unwrap()
    };
    *slot.lock().unwrap() = Some(collector.clone());
    let producer = collector.clone();
    within(Duration::from_secs(20), move || {
        for i in 0..50 {
            let _ = producer.collect(Span::new("refused").with_attribute("i", i).end());
        }
    });
    let flusher = collector.clone();
    let handle = runtime.handle().clone();
    within(Duration::from_secs(20), move || {
        let _ = handle.block_on(flusher.flush());
        flusher.stats()
    });
    let reads = reads.lock().unwrap().clone();
    assert!(
        reads.iter().any(|(problem, _, _)| matches!(
            problem,
            Problem::SpansDropped {
                reason: DropReason::Rejected,
                ..
            }
        )),
        "{reads:?}"
    );
    assert!(reads
        .iter()
        .all(|(_, stats, text)| stats.collected > 0 && *text > 0));
    *slot.lock().unwrap() = None;
    let handle = runtime.handle().clone();
    within(Duration::from_secs(20), move || {
        handle.block_on(collector.shutdown())
    })
    .expect("shut down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_caught_and_counted() {
    let receiver = Receiver::start().await.unwrap();
    receiver.respond_with(std::iter::repeat_n(400, 100));
    let collector = Collector::new(
        Config::default()
            .with_endpoint(receiver.endpoint())
            .with_batch_size(5)
            .with_max_queue_size(5)
            .with_retry(RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            })
            .with_problem_handler(|problem: &Problem| panic!("the handler panics on {problem}")),
    )
    .unwrap();
    // A full buffer reports on the application's thread: collect must return, not unwind.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for i in 0..50 {
            let _ = collector.collect(Span::new("refused").with_attribute("i", i).end());
        }
    }));
    assert!(outcome.is_ok(), "the handler's panic reached collect()");
    let _ = collector.flush().await;
    let stats = collector.stats();
    assert!(stats.problem_handler_panics >= 2, "{stats:?}");
    assert!(stats.is_balanced(), "{stats:?}");
    assert!(collector.prometheus_text().contains(&format!(
        "otlp_collector_problem_handler_panics_total {}",
        stats.problem_handler_panics
    )));
    collector.shutdown().await.unwrap();
}
