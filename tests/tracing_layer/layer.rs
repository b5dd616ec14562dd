//! The `tracing` layer against the loopback receiver (decoding with the official
//! opentelemetry-proto types): span trees across `.instrument` and `tokio::spawn`, field
//! types and `record`, events and their limit, the `otel.*` fields, errors, a remote parent
//! with its `tracestate`, sampling, filters and the optional attributes.
use std::collections::HashMap;

use otlp_collector::{Collector, Config, OtlpSpanExt, Sampler, SpanLimits};
use otlp_test_receiver::{common::any_value::Value as AnyValue, trace, Receiver};
use tracing::Instrument;
use tracing_subscriber::prelude::*;

async fn collector(receiver: &Receiver, config: Config) -> Collector {
    Collector::new(config.with_endpoint(receiver.endpoint())).unwrap()
}

/// Flushes and returns what arrived, by span name.
async fn arrived(collector: &Collector, receiver: &Receiver) -> HashMap<String, trace::Span> {
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert!(stats.is_balanced(), "{stats:?}");
    receiver
        .spans()
        .into_iter()
        .map(|span| (span.name.clone(), span))
        .collect()
}

fn attribute(span: &trace::Span, key: &str) -> Option<AnyValue> {
    span.attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(|attribute| attribute.value.clone()?.value)
}

#[tracing::instrument]
async fn handle(order: u64) {
    load(order).await;
    tokio::spawn(charge().in_current_span()).await.unwrap();
}

#[tracing::instrument]
async fn load(order: u64) {
    tokio::task::yield_now().await;
}

async fn charge() {
    let span = tracing::info_span!("charge");
    async {
        tokio::task::yield_now().await;
    }
    .instrument(span)
    .await;
}

#[tokio::test]
async fn spans_nest_across_instrument_and_spawn() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector(&receiver, Config::default()).await;
    let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
    let _default = tracing::subscriber::set_default(subscriber);
    handle(42).await;
    let spans = arrived(&collector, &receiver).await;
    let (root, load, charge) = (&spans["handle"], &spans["load"], &spans["charge"]);
    assert!(root.parent_span_id.is_empty());
    assert_eq!(load.parent_span_id, root.span_id);
    assert_eq!(charge.parent_span_id, root.span_id, "across tokio::spawn");
    assert!([load, charge]
        .iter()
        .all(|span| span.trace_id == root.trace_id));
    assert_eq!(attribute(root, "order"), Some(AnyValue::IntValue(42)));
    assert!(root.end_time_unix_nano >= load.end_time_unix_nano);
    collector.shutdown().await.unwrap();
}

#[derive(Debug)]
#[allow(dead_code)] // read by Debug
struct Cart {
    items: u32,
}

#[tokio::test]
async fn fields_keep_their_types_and_record_updates_them() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector(&receiver, Config::default()).await;
    let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "fields",
            int = -5i64,
            big = u64::MAX,
            small = 7u64,
            float = 1.5,
            flag = true,
            text = "plain",
            debug = ?Cart { items: 2 },
            display = %"shown",
            later = tracing::field::Empty,
        );
        span.record("later", 9);
        span.record("int", 6);
    });
    let spans = arrived(&collector, &receiver).await;
    let span = &spans["fields"];
    assert_eq!(attribute(span, "int"), Some(AnyValue::IntValue(6)));
    assert_eq!(
        attribute(span, "big"),
        Some(AnyValue::StringValue(u64::MAX.to_string()))
    );
    assert_eq!(attribute(span, "small"), Some(AnyValue::IntValue(7)));
    assert_eq!(attribute(span, "float"), Some(AnyValue::DoubleValue(1.5)));
    assert_eq!(attribute(span, "flag"), Some(AnyValue::BoolValue(true)));
    assert_eq!(
        attribute(span, "text"),
        Some(AnyValue::StringValue("plain".into()))
    );
    assert_eq!(
        attribute(span, "debug"),
        Some(AnyValue::StringValue("Cart { items: 2 }".into()))
    );
    assert_eq!(
        attribute(span, "display"),
        Some(AnyValue::StringValue("shown".into()))
    );
    assert_eq!(attribute(span, "later"), Some(AnyValue::IntValue(9)));
    collector.shutdown().await.unwrap();
}

#[tokio::test]
async fn events_become_span_events_within_the_limit() {
    let receiver = Receiver::start().await.unwrap();
    let limits = SpanLimits {
        max_events: 3,
        ..SpanLimits::default()
    };
    let collector = collector(&receiver, Config::default().with_span_limits(limits)).await;
    let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        let _span = tracing::info_span!("with events").entered();
        tracing::info!(items = 3, "cart loaded");
        tracing::debug!(step = "pay");
        for i in 0..4 {
            tracing::trace!(i, "extra");
        }
        // Outside any span: not an event of one.
        drop(_span);
        tracing::info!("after");
    });
    let spans = arrived(&collector, &receiver).await;
    let span = &spans["with events"];
    assert_eq!(span.events.len(), 3);
    assert_eq!(span.dropped_events_count, 3);
    let loaded = &span.events[0];
    assert_eq!(loaded.name, "cart loaded");
    let value = |event: &trace::span::Event, key: &str| {
        event
            .attributes
            .iter()
            .find(|attribute| attribute.key == key)
            .and_then(|attribute| attribute.value.clone()?.value)
    };
    assert_eq!(value(loaded, "items"), Some(AnyValue::IntValue(3)));
    assert_eq!(
        value(loaded, "level"),
        Some(AnyValue::StringValue("INFO".into()))
    );
    assert!(
        span.events[1].name.starts_with("event "),
        "{}",
        span.events[1].name
    );
    assert_eq!(spans.len(), 1);
    collector.shutdown().await.unwrap();
}

#[tokio::test]
async fn otel_fields_and_errors_steer_the_span() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector(&receiver, Config::default()).await;
    let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "request",
            otel.name = "GET /users/{id}",
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            otel.status_message = tracing::field::Empty,
        );
        span.record("otel.status_message", "upstream down");
        span.record("otel.status_code", "ERROR");
        let io = std::io::Error::other("connection reset");
        tracing::info_span!("failing", error = &io as &dyn std::error::Error).in_scope(|| {});
        tracing::info_span!("logged").in_scope(|| tracing::error!(retries = 3, "gave up"));
    });
    let spans = arrived(&collector, &receiver).await;
    let request = &spans["GET /users/{id}"];
    assert_eq!(request.kind, 2, "server");
    let status = request.status.clone().unwrap();
    assert_eq!((status.code, status.message.as_str()), (2, "upstream down"));
    for (name, message) in [("failing", "connection reset"), ("logged", "gave up")] {
        let span = &spans[name];
        assert_eq!(span.status.clone().unwrap().code, 2, "{name}");
        let exception = span
            .events
            .iter()
            .find(|event| event.name == "exception")
            .unwrap();
        let text = exception
            .attributes
            .iter()
            .find(|attribute| attribute.key == "exception.message")
            .and_then(|attribute| attribute.value.clone()?.value);
        assert_eq!(text, Some(AnyValue::StringValue(message.into())), "{name}");
    }
    collector.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_remote_parent_and_its_tracestate_continue_the_trace() {
    let receiver = Receiver::start().await.unwrap();
    let collector = collector(&receiver, Config::default()).await;
    let subscriber = tracing_subscriber::registry().with(collector.tracing_layer());
    let mut outgoing = http::HeaderMap::new();
    tracing::subscriber::with_default(subscriber, || {
        let mut incoming = http::HeaderMap::new();
        incoming.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        incoming.insert("tracestate", "vendor=abc".parse().unwrap());
        let request = tracing::info_span!("server request");
        assert!(request.set_parent_from_headers(&incoming));
        request.in_scope(|| {
            let call = tracing::info_span!("client call");
            call.in_scope(|| tracing::Span::current().inject_context(&mut outgoing));
        });
    });
    let spans = arrived(&collector, &receiver).await;
    let (request, call) = (&spans["server request"], &spans["client call"]);
    assert_eq!(hex(&request.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex(&request.parent_span_id), "00f067aa0ba902b7");
    assert_eq!(request.trace_state, "vendor=abc");
    assert_eq!(call.trace_id, request.trace_id);
    assert_eq!(call.parent_span_id, request.span_id);
    assert_eq!(call.trace_state, "vendor=abc", "carried, never dropped");
    assert_eq!(
        outgoing["traceparent"],
        format!(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01",
            hex(&call.span_id)
        )
        .as_str()
    );
    assert_eq!(outgoing["tracestate"], "vendor=abc");
    collector.shutdown().await.unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn the_sampler_decides_when_a_span_starts() {
    let receiver = Receiver::start().await.unwrap();
    let off = collector(
        &receiver,
        Config::default().with_sampler(Sampler::AlwaysOff),
    )
    .await;
    let on = collector(&receiver, Config::default()).await;
    let subscriber = tracing_subscriber::registry().with(off.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        let _root = tracing::info_span!("never", field = 1).entered();
        tracing::info_span!("child").in_scope(|| tracing::info!("event"));
    });
    let subscriber = tracing_subscriber::registry().with(on.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        let request = tracing::info_span!("unsampled upstream");
        let mut incoming = http::HeaderMap::new();
        incoming.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
                .parse()
                .unwrap(),
        );
        request.set_parent_from_headers(&incoming);
        request.in_scope(|| tracing::info_span!("its child").in_scope(|| {}));
        tracing::info_span!("sampled").in_scope(|| {});
    });
    assert!(arrived(&off, &receiver).await.is_empty());
    assert_eq!(off.stats().sampled_out, 2);
    let spans = arrived(&on, &receiver).await;
    assert_eq!(spans.keys().collect::<Vec<_>>(), ["sampled"]);
    assert_eq!(on.stats().sampled_out, 2);
    off.shutdown().await.unwrap();
    on.shutdown().await.unwrap();
}

#[tokio::test]
async fn subscriber_filters_apply_and_extra_attributes_are_opt_in() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    let receiver = Receiver::start().await.unwrap();
    let collector = collector(&receiver, Config::default()).await;
    let layer = collector
        .tracing_layer()
        .with_location(true)
        .with_thread_names(true)
        .with_timings(true)
        .with_filter(
            Targets::new()
                .with_target("noisy", LevelFilter::WARN)
                .with_default(LevelFilter::INFO),
        );
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!(target: "noisy", "filtered out").in_scope(|| {});
        tracing::debug_span!("below the level").in_scope(|| {});
        tracing::info_span!("kept").in_scope(|| {});
    });
    let spans = arrived(&collector, &receiver).await;
    assert_eq!(spans.keys().collect::<Vec<_>>(), ["kept"]);
    let kept = &spans["kept"];
    assert!(
        matches!(attribute(kept, "code.file.path"), Some(AnyValue::StringValue(file)) if file.ends_with("tracing_layer/layer.rs"))
    );
    assert!(
        matches!(attribute(kept, "code.line.number"), Some(AnyValue::IntValue(line)) if line > 0)
    );
    assert!(attribute(kept, "thread.name").is_some());
    assert!(matches!(
        attribute(kept, "busy_ns"),
        Some(AnyValue::IntValue(_))
    ));
    assert!(matches!(
        attribute(kept, "idle_ns"),
        Some(AnyValue::IntValue(_))
    ));

    // Without the options, none of those attributes.
    let plain = Collector::new(Config::default().with_endpoint(receiver.endpoint())).unwrap();
    let subscriber = tracing_subscriber::registry().with(plain.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("plain").in_scope(|| {});
    });
    let spans = arrived(&plain, &receiver).await;
    assert!(spans["plain"].attributes.is_empty());
    collector.shutdown().await.unwrap();
    plain.shutdown().await.unwrap();
}

/// Counts the events of target `otlp_collector`: the collector's own reports.
struct OwnReports(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for OwnReports {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "otlp_collector" {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn the_collectors_own_reports_reach_the_subscriber_but_never_its_spans() {
    let receiver = Receiver::start().await.unwrap();
    receiver.stall_next(1, std::time::Duration::from_millis(300));
    let collector = collector(
        &receiver,
        Config::default().with_max_queue_size(2).with_batch_size(1),
    )
    .await;
    let reports = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(collector.tracing_layer())
        .with(OwnReports(std::sync::Arc::clone(&reports)));
    tracing::subscriber::with_default(subscriber, || {
        let _busy = tracing::info_span!("busy").entered();
        for _ in 0..50 {
            let _ = collector.collect(otlp_collector::Span::new("direct").end());
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(collector.stats().dropped_buffer_full > 0);
    assert_eq!(
        reports.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "rate-limited: one report"
    );
    let spans = arrived(&collector, &receiver).await;
    if let Some(busy) = spans.get("busy") {
        assert!(busy.events.is_empty(), "{:?}", busy.events);
    }
    collector.shutdown().await.unwrap();
}
