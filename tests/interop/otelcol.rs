//! Interop with the OpenTelemetry Collector itself (release pinned in tests/collector/,
//! built by tests/install_toolchain.sh, which exports OTLP_OTELCOL_BIN).
//!
//! Each transport sends the same spans twice: straight to a loopback receiver (the
//! reference) and through the Collector's `otlp` receiver, which forwards them with its
//! `otlp_http` exporter to a second loopback receiver. Both receivers decode with the
//! official opentelemetry-proto types, and every span must arrive through the Collector
//! exactly once and equal to its reference, field by field, with its resource and scope.
//! The other tests here push the Collector's own limits: its request size limit, its
//! memory limiter, and a restart in the middle of a run.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use otlp_collector::{
    Collector, Compression, Config, Event, Link, Protocol, Resource, RetryPolicy, Scope, Span,
    SpanContext, SpanId, SpanKind, SpanLimits, SpanStatus, TraceId, Value,
};
use otlp_test_receiver::{common, trace, Otelcol, Receiver, ReceiverOptions};

const FORWARD: &str = "tests/collector/forward.yaml";
const WAIT: Duration = Duration::from_secs(20);

/// Starts a receiver that keeps what it gets and a Collector forwarding to it, with
/// `env` on top; `None` outside the test command.
async fn collector_forwarding(env: &[(&str, &str)]) -> Option<(Otelcol, Receiver)> {
    let receiver = keeping_receiver().await;
    let forward_to = receiver.endpoint();
    let mut env = env.to_vec();
    env.push(("OTELCOL_FORWARD_TO", &forward_to));
    let Some(collector) = Otelcol::start(FORWARD, &env) else {
        eprintln!("OTLP_OTELCOL_BIN is not set: run through tests/run_all.sh");
        return None;
    };
    Some((collector, receiver))
}

async fn keeping_receiver() -> Receiver {
    Receiver::start_with(ReceiverOptions {
        keep_requests: true,
        ..ReceiverOptions::default()
    })
    .await
    .unwrap()
}

/// Spans that use every field OTLP has: a root with a remote parent's trace state, client
/// and server children, events with attributes, links with trace state and attributes,
/// every kind of attribute value (nested arrays and maps, bytes, NaN and infinities),
/// statuses, and limits that drop attributes, events and links.
fn rich_spans(tag: &str) -> Vec<Span> {
    let remote_parent = SpanContext {
        trace_id: TraceId::random(),
        span_id: SpanId::random(),
        trace_flags: 1,
        trace_state: Some("vendor=abc,other=1".into()),
        is_remote: true,
    };
    let linked = SpanContext {
        trace_id: TraceId::random(),
        span_id: SpanId::random(),
        trace_flags: 1,
        trace_state: Some("linked=yes".into()),
        is_remote: false,
    };
    let limits = SpanLimits {
        max_attributes: 12,
        max_events: 2,
        max_links: 1,
        max_attributes_per_event: 2,
        max_attributes_per_link: 1,
        max_attribute_value_length: Some(40),
    };
    let root = Span::child_of(&remote_parent, format!("{tag}-root"))
        .with_kind(SpanKind::Server)
        .with_limits(limits)
        .with_attribute("text", "héllo wörld ✓")
        .with_attribute("long", "x".repeat(100))
        .with_attribute("int", i64::MIN)
        .with_attribute("big", u64::MAX)
        .with_attribute("double", 0.1 + 0.2)
        .with_attribute("nan", f64::NAN)
        .with_attribute("infinity", f64::NEG_INFINITY)
        .with_attribute("flag", false)
        .with_attribute("bytes", Value::Bytes(vec![0, 1, 2, 254, 255]))
        .with_attribute(
            "array",
            Value::Array(vec![
                Value::from(1),
                Value::from("two"),
                Value::Array(vec![Value::from(3.5), Value::from(true)]),
            ]),
        )
        .with_attribute(
            "map",
            Value::KvList(vec![
                otlp_collector::KeyValue::new("inner", "value"),
                otlp_collector::KeyValue::new(
                    "nested",
                    Value::KvList(vec![otlp_collector::KeyValue::new("deep", 7)]),
                ),
            ]),
        )
        .with_attribute("empty.array", Value::Array(Vec::new()))
        .with_attribute("over.limit.1", 1)
        .with_attribute("over.limit.2", 2)
        .with_event(
            Event::new("exception")
                .with_time(1_700_000_000_123_456_789)
                .with_attribute("exception.type", "io::Error")
                .with_attribute("exception.message", "refused")
                .with_attribute("dropped", "by the event limit"),
        )
        .with_event(Event::new("second").with_time(1_700_000_000_223_456_789))
        .with_event(Event::new("third, dropped"))
        .with_link(Link::new(linked.clone()).with_attribute("link.reason", "follows"))
        .with_link(Link::new(linked))
        .with_status(SpanStatus::error("payment declined: card expired"))
        .with_start_time(1_700_000_000_000_000_001);
    let client = root
        .child(format!("{tag}-client"))
        .with_kind(SpanKind::Client)
        .with_attribute("http.request.method", "GET")
        .with_attribute("server.port", 443)
        .with_status(SpanStatus::Ok)
        .with_start_time(1_700_000_000_100_000_000)
        .end_at(1_700_000_000_200_000_000);
    let internal = root
        .child(format!("{tag}-internal"))
        .with_scope(
            Scope::new("interop.scope")
                .with_version("1.2.3")
                .with_attribute("scope.attribute", "yes"),
        )
        .end();
    let producer = Span::new(format!("{tag}-producer"))
        .with_kind(SpanKind::Producer)
        .end();
    let consumer = Span::new(format!("{tag}-consumer"))
        .with_kind(SpanKind::Consumer)
        .with_trace_state("k=v")
        .end();
    vec![
        root.end_at(1_700_000_001_000_000_000),
        client,
        internal,
        producer,
        consumer,
    ]
}

/// One arrived span with what it came with, in a form two decodings can be compared in
/// (Debug text: NaN equals NaN there, and every field is in it).
#[derive(Debug, PartialEq)]
struct Arrived {
    resource: String,
    scope: String,
    span: String,
}

/// Spans whose name starts with `tag`, by span id, with how many times each arrived.
fn arrived(receiver: &Receiver, tag: &str) -> HashMap<Vec<u8>, (usize, Arrived)> {
    let mut by_id: HashMap<Vec<u8>, (usize, Arrived)> = HashMap::new();
    for request in receiver.requests() {
        for resource_spans in &request.request.resource_spans {
            for scope_spans in &resource_spans.scope_spans {
                for span in scope_spans
                    .spans
                    .iter()
                    .filter(|span| span.name.starts_with(tag))
                {
                    // An absent status reads as unset; the Collector writes it out.
                    let mut span = span.clone();
                    span.status.get_or_insert_with(Default::default);
                    let entry = by_id.entry(span.span_id.clone()).or_insert((
                        0,
                        Arrived {
                            resource: format!("{:?}", resource_spans.resource),
                            scope: format!("{:?}", scope_spans.scope),
                            span: format!("{span:?}"),
                        },
                    ));
                    entry.0 += 1;
                }
            }
        }
    }
    by_id
}

async fn wait_for(
    receiver: &Receiver,
    tag: &str,
    spans: usize,
) -> HashMap<Vec<u8>, (usize, Arrived)> {
    let deadline = Instant::now() + WAIT;
    loop {
        let arrived = arrived(receiver, tag);
        if arrived.len() >= spans || Instant::now() > deadline {
            return arrived;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Compares field by field, naming the first place the two differ.
fn assert_same(case: &str, arrived: &Arrived, reference: &Arrived) {
    for (field, got, expected) in [
        ("resource", &arrived.resource, &reference.resource),
        ("scope", &arrived.scope, &reference.scope),
        ("span", &arrived.span, &reference.span),
    ] {
        if got != expected {
            let (got, expected): (Vec<char>, Vec<char>) =
                (got.chars().collect(), expected.chars().collect());
            let at = got
                .iter()
                .zip(&expected)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(expected.len()));
            let around = |text: &[char]| -> String {
                text[at.saturating_sub(80).min(text.len())..(at + 80).min(text.len())]
                    .iter()
                    .collect()
            };
            panic!(
                "{case}: the {field} differs at character {at}:\n through the Collector: …{}\n sent straight:         …{}",
                around(&got),
                around(&expected),
            );
        }
    }
}

fn config(endpoint: String, protocol: Protocol, compression: Compression) -> Config {
    Config::default()
        .with_endpoint(endpoint)
        .with_protocol(protocol)
        .with_compression(compression)
        .with_resource(
            Resource::new("otelcol-interop")
                .with_attribute("service.version", "9.9.9")
                .with_attribute("deployment.environment.name", "interop")
                .with_attribute("host.cpu.count", 2)
                .with_attribute("resource.bytes", Value::Bytes(vec![9, 8, 7])),
        )
        .with_scope(Scope::new("otlp-collector-interop").with_version("0.1.0"))
        .with_batch_size(64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_crosses_the_collector_unchanged_on_every_transport() {
    let Some((collector, through)) = collector_forwarding(&[]).await else {
        return;
    };
    let direct = keeping_receiver().await;
    let cases = [
        ("http-protobuf", Protocol::HttpProtobuf, Compression::None),
        (
            "http-protobuf-gzip",
            Protocol::HttpProtobuf,
            Compression::Gzip,
        ),
        ("http-json", Protocol::HttpJson, Compression::None),
        ("http-json-gzip", Protocol::HttpJson, Compression::Gzip),
        ("grpc", Protocol::Grpc, Compression::None),
        ("grpc-gzip", Protocol::Grpc, Compression::Gzip),
    ];
    let mut tested = 0;
    for (name, protocol, compression) in cases {
        if !crate::built_in(protocol, compression) {
            continue;
        }
        let tag = format!("case-{name}-");
        let spans = rich_spans(&tag);
        let endpoint = match protocol {
            Protocol::Grpc => collector.grpc_endpoint(),
            _ => collector.http_endpoint(),
        };
        // The reference goes straight to a receiver in the same encoding (gRPC's in
        // protobuf over HTTP): OTLP/JSON carries NaN and infinities as strings.
        let reference_protocol = match protocol {
            Protocol::HttpJson => Protocol::HttpJson,
            _ => Protocol::HttpProtobuf,
        };
        let via = Collector::new(config(endpoint, protocol, compression)).unwrap();
        let reference = Collector::new(config(
            direct.endpoint(),
            reference_protocol,
            Compression::None,
        ))
        .unwrap();
        for span in &spans {
            via.collect(span.clone()).unwrap();
            reference.collect(span.clone()).unwrap();
        }
        via.shutdown().await.unwrap();
        reference.shutdown().await.unwrap();
        assert_eq!(
            via.stats().exported,
            spans.len() as u64,
            "{name}: {:?}",
            via.stats()
        );

        let expected = wait_for(&direct, &tag, spans.len()).await;
        let got = wait_for(&through, &tag, spans.len()).await;
        assert_eq!(expected.len(), spans.len(), "{name}: the reference");
        assert_eq!(
            got.len(),
            spans.len(),
            "{name}: {} of {} arrived",
            got.len(),
            spans.len()
        );
        for (id, (count, reference)) in &expected {
            let (times, arrived) = &got[id];
            assert_eq!(
                *times, 1,
                "{name}: {} arrived {times} times",
                reference.span
            );
            assert_eq!(*count, 1);
            assert_same(name, arrived, reference);
        }
        tested += 1;
    }
    // HTTP protobuf is always built in; JSON, gzip and gRPC only with their features.
    let expected = 1 + usize::from(cfg!(feature = "json"));
    assert!(
        tested >= expected,
        "at least the plain HTTP protobuf (and, with the json feature, JSON) cases ran"
    );

    // The reference itself has every field this test claims to cover.
    let root = direct
        .spans()
        .into_iter()
        .find(|span| span.name == "case-http-protobuf--root")
        .expect("the reference root");
    assert_eq!(root.kind, trace::span::SpanKind::Server as i32);
    assert_eq!(root.trace_state, "vendor=abc,other=1");
    assert_eq!(root.parent_span_id.len(), 8);
    assert_eq!(root.flags & 0x301, 0x301, "sampled, parent known remote");
    assert_eq!(
        (
            root.dropped_attributes_count,
            root.dropped_events_count,
            root.dropped_links_count
        ),
        (2, 1, 1)
    );
    assert_eq!(root.events[0].dropped_attributes_count, 1);
    assert_eq!(root.links[0].trace_state, "linked=yes");
    assert_eq!(
        root.status.as_ref().unwrap().message,
        "payment declined: card expired"
    );
    let value = |key: &str| {
        root.attributes
            .iter()
            .find(|attribute| attribute.key == key)
            .and_then(|attribute| attribute.value.clone()?.value)
    };
    assert!(matches!(value("nan"), Some(common::any_value::Value::DoubleValue(d)) if d.is_nan()));
    assert!(
        matches!(value("bytes"), Some(common::any_value::Value::BytesValue(b)) if b == [0, 1, 2, 254, 255])
    );
    assert!(matches!(
        value("map"),
        Some(common::any_value::Value::KvlistValue(_))
    ));
    assert!(
        matches!(value("long"), Some(common::any_value::Value::StringValue(s)) if s.len() == 40)
    );
    assert!(
        collector.log().is_empty() || !collector.log().contains("error"),
        "{}",
        collector.log()
    );
    assert!(
        through.decode_errors().is_empty(),
        "{:?}",
        through.decode_errors()
    );
}

fn numbered_spans(tag: &str, count: usize, padding: usize) -> Vec<Span> {
    (0..count)
        .map(|i| {
            Span::new(format!("{tag}-{i}"))
                .with_attribute("i", i as i64)
                .with_attribute("padding", "p".repeat(padding))
                .end()
        })
        .collect()
}

fn patient_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 100,
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(300),
        max_elapsed: Duration::from_secs(60),
        ..RetryPolicy::default()
    }
}

/// Waits until every one of `count` spans named `tag-…` arrived, and checks each came once.
async fn assert_each_arrived_once(receiver: &Receiver, tag: &str, count: usize) {
    let got = wait_for(receiver, tag, count).await;
    assert_eq!(got.len(), count, "{tag}: {} of {count} arrived", got.len());
    if let Some((_, (times, arrived))) = got.iter().find(|(_, (times, _))| *times != 1) {
        panic!("{tag}: {} arrived {times} times", arrived.span);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_collectors_body_limit_is_refused_and_a_matching_limit_splits() {
    // The otlp receiver answers a body over max_request_body_size (measured after
    // decompression) with 400 "request body too large", not 413: not retryable, so the
    // spans are counted as rejected. Setting max_request_bytes to the Collector's limit
    // makes the exporter split before sending, and everything arrives.
    const LIMIT: usize = 64 * 1024;
    let limit = LIMIT.to_string();
    let Some((collector, through)) =
        collector_forwarding(&[("OTELCOL_MAX_REQUEST_BODY_SIZE", &limit)]).await
    else {
        return;
    };
    for compression in [Compression::None, Compression::Gzip] {
        if !crate::built_in(Protocol::HttpProtobuf, compression) {
            continue;
        }
        let spans = numbered_spans(&format!("too-large-{compression:?}"), 400, 300);
        let unsplit = Collector::new(
            config(
                collector.http_endpoint(),
                Protocol::HttpProtobuf,
                compression,
            )
            .with_batch_size(400),
        )
        .unwrap();
        for span in spans {
            unsplit.collect(span).unwrap();
        }
        // The refusal may land before shutdown or during it (then shutdown reports the
        // undelivered spans): the stats below are the check either way.
        let _ = unsplit.shutdown().await;
        let stats = unsplit.stats();
        assert_eq!(
            (stats.exported, stats.dropped_rejected),
            (0, 400),
            "{stats:?}"
        );
        let error = unsplit.last_export_error().unwrap_or_default();
        assert!(
            error.contains("400") && error.contains("request body too large"),
            "{error}"
        );

        let tag = format!("split-{compression:?}");
        let split = Collector::new(
            config(
                collector.http_endpoint(),
                Protocol::HttpProtobuf,
                compression,
            )
            .with_batch_size(400)
            .with_max_request_bytes(LIMIT),
        )
        .unwrap();
        for span in numbered_spans(&tag, 400, 300) {
            split.collect(span).unwrap();
        }
        split.shutdown().await.unwrap();
        assert_eq!(
            split.stats().exported,
            400,
            "{:?} {:?}",
            split.stats(),
            split.last_export_error()
        );
        assert!(split.stats().batches >= 2, "{:?}", split.stats());
        assert_each_arrived_once(&through, &tag, 400).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_the_memory_limiter_refuses_are_retried_and_delivered_once() {
    // A limit below the Collector's own heap: memory_limiter refuses every request (503,
    // retryable) until the Collector comes back with room, as after an overload.
    let Some((mut collector, through)) = collector_forwarding(&[
        ("OTELCOL_MEMORY_LIMIT_MIB", "2"),
        ("OTELCOL_MEMORY_SPIKE_LIMIT_MIB", "1"),
    ])
    .await
    else {
        return;
    };
    for protocol in [Protocol::HttpProtobuf, Protocol::Grpc] {
        if !crate::built_in(protocol, Compression::None) {
            continue;
        }
        // The limiter decides on its first memory check (every 100 ms): before that it
        // lets requests through.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let tag = format!("refused-{protocol:?}");
        let endpoint = match protocol {
            Protocol::Grpc => collector.grpc_endpoint(),
            _ => collector.http_endpoint(),
        };
        let ours = Collector::new(
            config(endpoint, protocol, Compression::None).with_retry(patient_retries()),
        )
        .unwrap();
        for span in numbered_spans(&tag, 500, 10) {
            ours.collect(span).unwrap();
        }
        let deadline = Instant::now() + WAIT;
        while ours.stats().retries < 3 {
            assert!(Instant::now() < deadline, "no retries: {:?}", ours.stats());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let error = ours.last_export_error().unwrap_or_default();
        assert!(error.contains("memory") || error.contains("503"), "{error}");
        assert!(
            arrived(&through, &tag).is_empty(),
            "refused spans went through"
        );
        collector.start_again(&[
            ("OTELCOL_MEMORY_LIMIT_MIB", "4096"),
            ("OTELCOL_MEMORY_SPIKE_LIMIT_MIB", "512"),
        ]);
        ours.shutdown().await.unwrap();
        assert_eq!(ours.stats().exported, 500, "{:?}", ours.stats());
        assert_each_arrived_once(&through, &tag, 500).await;
        through_reset(&mut collector);
    }
}

/// Puts the Collector back to refusing, for the next case.
fn through_reset(collector: &mut Otelcol) {
    collector.start_again(&[
        ("OTELCOL_MEMORY_LIMIT_MIB", "2"),
        ("OTELCOL_MEMORY_SPIKE_LIMIT_MIB", "1"),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_restarted_mid_run_loses_nothing_within_the_retry_budget() {
    let Some((mut collector, through)) = collector_forwarding(&[]).await else {
        return;
    };
    for protocol in [Protocol::HttpProtobuf, Protocol::Grpc] {
        if !crate::built_in(protocol, Compression::None) {
            continue;
        }
        let tag = format!("restart-{protocol:?}");
        let endpoint = match protocol {
            Protocol::Grpc => collector.grpc_endpoint(),
            _ => collector.http_endpoint(),
        };
        let ours = Collector::new(
            config(endpoint, protocol, Compression::None)
                .with_batch_size(100)
                .with_retry(patient_retries()),
        )
        .unwrap();
        let spans = numbered_spans(&tag, 2_000, 10);
        for span in &spans[..1_000] {
            ours.collect(span.clone()).unwrap();
        }
        ours.flush().await.unwrap();
        // Stopped as an orchestrator stops it: it drains what it took, then exits.
        collector.stop();
        for span in &spans[1_000..] {
            ours.collect(span.clone()).unwrap();
        }
        let deadline = Instant::now() + WAIT;
        while ours.stats().retries < 2 {
            assert!(Instant::now() < deadline, "no retries: {:?}", ours.stats());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        collector.start_again(&[]);
        ours.shutdown().await.unwrap();
        let stats = ours.stats();
        assert_eq!(stats.exported, 2_000, "{stats:?}");
        assert!(stats.is_balanced(), "{stats:?}");
        assert_each_arrived_once(&through, &tag, 2_000).await;
    }
}

/// The deployment the README recommends, on loopback: 20 services → one agent Collector
/// (deploy/agent.yaml, load_balancing by trace id) → two gateway Collectors
/// (deploy/gateway.yaml) → a backend each. Every span arrives once, and every trace whole
/// at one gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_services_through_an_agent_and_two_gateways_every_trace_whole_at_one_gateway() {
    let backends = [keeping_receiver().await, keeping_receiver().await];
    let mut gateways = Vec::new();
    for backend in &backends {
        let endpoint = backend.endpoint();
        let Some(gateway) =
            Otelcol::start("deploy/gateway.yaml", &[("OTELCOL_BACKEND", &endpoint)])
        else {
            eprintln!("OTLP_OTELCOL_BIN is not set: run through tests/run_all.sh");
            return;
        };
        gateways.push(gateway);
    }
    let gateway_list = format!("[{}, {}]", gateways[0].grpc, gateways[1].grpc);
    let agent = Otelcol::start("deploy/agent.yaml", &[("OTELCOL_GATEWAYS", &gateway_list)])
        .expect("the agent starts");

    const SERVICES: usize = 20;
    const TRACES: usize = 25;
    const SPANS_PER_TRACE: usize = 4;
    let mut services = Vec::new();
    for service in 0..SERVICES {
        let protocol = if service % 2 == 0 || !cfg!(feature = "grpc") {
            Protocol::HttpProtobuf
        } else {
            Protocol::Grpc
        };
        let endpoint = match protocol {
            Protocol::Grpc => agent.grpc_endpoint(),
            _ => agent.http_endpoint(),
        };
        let collector = Collector::new(
            Config::default()
                .with_endpoint(endpoint)
                .with_protocol(protocol)
                .with_service_name(format!("service-{service:02}"))
                .with_batch_size(16)
                .with_retry(patient_retries()),
        )
        .unwrap();
        for trace in 0..TRACES {
            let root = Span::new(format!("scale-{service:02}-{trace:02}-root"))
                .with_kind(SpanKind::Server);
            for child in 1..SPANS_PER_TRACE {
                collector
                    .collect(
                        root.child(format!("scale-{service:02}-{trace:02}-{child}"))
                            .end(),
                    )
                    .unwrap();
            }
            collector.collect(root.end()).unwrap();
        }
        services.push(collector);
    }
    for collector in &services {
        collector.shutdown().await.unwrap();
        assert_eq!(
            collector.stats().exported,
            (TRACES * SPANS_PER_TRACE) as u64
        );
    }

    let total = SERVICES * TRACES * SPANS_PER_TRACE;
    let deadline = Instant::now() + WAIT;
    let at = |backend: &Receiver| arrived(backend, "scale-");
    while at(&backends[0]).len() + at(&backends[1]).len() < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // trace id → the gateways it reached; and every span once, with its own service.
    let mut traces: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    let mut spans = 0;
    for (gateway, backend) in backends.iter().enumerate() {
        for request in backend.requests() {
            for resource_spans in &request.request.resource_spans {
                let resource = format!("{:?}", resource_spans.resource);
                for span in resource_spans
                    .scope_spans
                    .iter()
                    .flat_map(|scope| &scope.spans)
                {
                    assert!(
                        resource.contains(&format!("service-{}", &span.name[6..8])),
                        "{} came with {resource}",
                        span.name
                    );
                    let gateways = traces.entry(span.trace_id.clone()).or_default();
                    if !gateways.contains(&gateway) {
                        gateways.push(gateway);
                    }
                    spans += 1;
                }
            }
        }
    }
    let unique = at(&backends[0]).len() + at(&backends[1]).len();
    assert_eq!((spans, unique), (total, total), "every span once");
    assert_eq!(traces.len(), SERVICES * TRACES);
    assert!(
        traces.values().all(|gateways| gateways.len() == 1),
        "a trace was split between gateways"
    );
    let at_first = traces.values().filter(|gateways| gateways[0] == 0).count();
    assert!(
        at_first > 0 && at_first < traces.len(),
        "both gateways took traces ({at_first} of {} at the first)",
        traces.len()
    );
    eprintln!("{at_first} of {} traces at the first gateway", traces.len());
    drop(agent);
}
