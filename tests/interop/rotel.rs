//! Interop with a real OpenTelemetry collector written by others: rotel (PyPI `rotel`,
//! pinned by tests/install_toolchain.sh, which exports OTLP_ROTEL_BIN). We send to rotel
//! over OTLP/HTTP protobuf, JSON, gzip and gRPC; rotel forwards over OTLP/HTTP to our
//! loopback receiver, which decodes with the official opentelemetry-proto types. Every span
//! must arrive exactly once, with its resource.
//!
//! rotel runs with `--disable-batching`: this build's batcher drops the resource of the part
//! of a request it splits, and drops client batches larger than its batch size (see
//! ../shared/TOOLCHAIN.md); our batches stay under its default 8,192 anyway.
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Compression, Config, Protocol, Span};
use otlp_test_receiver::Receiver;

/// A rotel agent on loopback ports of its own, stopped when dropped.
struct Rotel {
    child: Child,
    http: SocketAddr,
    grpc: SocketAddr,
}

impl Drop for Rotel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}

impl Rotel {
    /// Starts rotel forwarding to `base` (it appends `/v1/traces`); `None` when
    /// OTLP_ROTEL_BIN is unset (the test command always sets it).
    fn start(base: &str) -> Option<Rotel> {
        let binary = std::env::var("OTLP_ROTEL_BIN").ok()?;
        let (http, grpc) = (free_port(), free_port());
        let child = Command::new(binary)
            .args(["start", "--disable-batching", "--exporter", "otlp"])
            .args(["--otlp-http-endpoint", &http.to_string()])
            .args(["--otlp-grpc-endpoint", &grpc.to_string()])
            .args(["--otlp-exporter-endpoint", base])
            .args(["--otlp-exporter-protocol", "http"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rotel starts");
        let rotel = Rotel { child, http, grpc };
        let started = Instant::now();
        while [rotel.http, rotel.grpc]
            .iter()
            .any(|address| TcpStream::connect(address).is_err())
        {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "rotel did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(rotel)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_span_crosses_rotel_exactly_once_with_its_resource() {
    let receiver = Receiver::start().await.unwrap();
    let base = receiver
        .endpoint()
        .trim_end_matches("/v1/traces")
        .to_owned();
    let Some(rotel) = Rotel::start(&base) else {
        eprintln!("OTLP_ROTEL_BIN is not set: run through tests/run_all.sh to test against rotel");
        return;
    };
    let cases = [
        ("http-protobuf", Protocol::HttpProtobuf, Compression::None),
        ("http-json", Protocol::HttpJson, Compression::None),
        (
            "http-protobuf-gzip",
            Protocol::HttpProtobuf,
            Compression::Gzip,
        ),
        ("http-json-gzip", Protocol::HttpJson, Compression::Gzip),
        ("grpc", Protocol::Grpc, Compression::None),
        ("grpc-gzip", Protocol::Grpc, Compression::Gzip),
    ];
    const SPANS: usize = 2_000;
    for (name, protocol, compression) in cases
        .into_iter()
        .filter(|(_, protocol, compression)| crate::built_in(*protocol, *compression))
    {
        let endpoint = match protocol {
            Protocol::Grpc => format!("http://{}", rotel.grpc),
            _ => format!("http://{}/v1/traces", rotel.http),
        };
        let service = format!("interop-{name}");
        let collector = Collector::new(
            Config::default()
                .with_endpoint(endpoint)
                .with_protocol(protocol)
                .with_compression(compression)
                .with_service_name(service.clone())
                .with_resource_attribute("deployment.environment", "interop")
                .with_batch_size(500),
        )
        .unwrap();
        for i in 0..SPANS {
            let span = Span::new(format!("{name}-{i}"))
                .with_attribute("i", i as i64)
                .with_attribute("ratio", 0.5)
                .end();
            collector.collect(span).unwrap();
        }
        collector.shutdown().await.unwrap();
        let stats = collector.stats();
        assert_eq!(stats.exported, SPANS as u64, "{name}: {stats:?}");

        // What reached our receiver through rotel, by span name, with the resource each
        // span came with.
        let deadline = Instant::now() + Duration::from_secs(15);
        let arrived = loop {
            let mut arrived: HashMap<String, (usize, Option<String>)> = HashMap::new();
            for request in receiver.requests() {
                for resource_spans in &request.request.resource_spans {
                    let resource_service = resource_spans.resource.as_ref().and_then(|resource| {
                        resource
                            .attributes
                            .iter()
                            .find(|attribute| attribute.key == "service.name")
                            .and_then(|attribute| attribute.value.clone()?.value)
                            .map(|value| format!("{value:?}"))
                    });
                    for scope in &resource_spans.scope_spans {
                        for span in scope
                            .spans
                            .iter()
                            .filter(|span| span.name.starts_with(name))
                        {
                            let entry = arrived
                                .entry(span.name.clone())
                                .or_insert((0, resource_service.clone()));
                            entry.0 += 1;
                        }
                    }
                }
            }
            if arrived.len() >= SPANS || Instant::now() > deadline {
                break arrived;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // Names like "grpc-1" also start "grpc": keep this case's own.
        let ours: Vec<_> = arrived
            .iter()
            .filter(|(span, _)| {
                span.strip_prefix(name)
                    .is_some_and(|rest| rest[1..].parse::<usize>().is_ok())
            })
            .collect();
        assert_eq!(
            ours.len(),
            SPANS,
            "{name}: {} of {SPANS} arrived",
            ours.len()
        );
        for (span, (count, resource)) in ours {
            assert_eq!(*count, 1, "{name}: {span} arrived {count} times");
            assert_eq!(
                resource.as_deref(),
                Some(format!("StringValue({service:?})").as_str()),
                "{name}: {span}'s resource"
            );
        }
    }
    assert!(
        receiver.decode_errors().is_empty(),
        "{:?}",
        receiver.decode_errors()
    );
}
