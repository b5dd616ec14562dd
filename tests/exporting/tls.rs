//! TLS to the backend, against a real TLS server on loopback (a proxy in front of the
//! receiver, with a throwaway CA): an untrusted certificate is refused at once rather than
//! retried for half a minute; `OTEL_EXPORTER_OTLP_CERTIFICATE` trusts a CA;
//! `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`/`_CLIENT_KEY` give mutual TLS; bad files are
//! clear start errors. Also `OTEL_SDK_DISABLED`. After each, the stats balance.
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use otlp_collector::{Collector, Config, ConfigError, RetryPolicy, Span, StartError, Stats};
use otlp_test_receiver::{Receiver, TestCertificates, TlsFront, TlsFrontOptions};

/// A policy that would retry a network failure for several seconds.
fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 10,
        initial_delay: Duration::from_millis(200),
        multiplier: 1.5,
        max_delay: Duration::from_secs(1),
        max_elapsed: Duration::from_secs(30),
    }
}

/// Writes the test certificates to files in a fresh folder, as a deployment would.
struct CertificateFiles {
    folder: PathBuf,
}

impl CertificateFiles {
    fn write(certificates: &TestCertificates) -> CertificateFiles {
        let folder = std::env::temp_dir().join(format!(
            "otlp-collector-tls-{}-{}",
            std::process::id(),
            otlp_collector::SpanId::random()
        ));
        std::fs::create_dir_all(&folder).unwrap();
        for (name, pem) in [
            ("ca.pem", &certificates.ca_pem),
            ("client.pem", &certificates.client_certificate_pem),
            ("client.key", &certificates.client_key_pem),
            ("not-pem.txt", &"hello".to_owned()),
        ] {
            std::fs::write(folder.join(name), pem).unwrap();
        }
        CertificateFiles { folder }
    }

    fn path(&self, name: &str) -> String {
        self.folder.join(name).display().to_string()
    }
}

impl Drop for CertificateFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A configuration read from these `OTEL_*` variables, with the test's batching.
fn config_from(variables: &[(&str, String)]) -> Result<Config, ConfigError> {
    let variables: HashMap<String, String> = variables
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    Ok(Config::from_source(&variables)?
        .with_batch_timeout(Duration::from_secs(60))
        .with_retry(retry_policy()))
}

/// Collects `count` spans, flushes, and returns the stats and how long the flush took.
async fn send(collector: &Collector, count: usize) -> (Stats, Duration) {
    for i in 0..count {
        collector
            .collect(Span::new(format!("tls-{i}")).end())
            .unwrap();
    }
    let started = Instant::now();
    let _ = collector.flush().await;
    let took = started.elapsed();
    let stats = collector.stats();
    assert!(stats.is_balanced(), "{stats:?}");
    assert_eq!(stats.buffered, 0, "{stats:?}");
    (stats, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_server_certificate_is_refused_at_once_and_a_ca_file_trusts_it() {
    let certificates = TestCertificates::generate().unwrap();
    let files = CertificateFiles::write(&certificates);
    let receiver = Receiver::start().await.unwrap();
    let front = TlsFront::start(receiver.addr(), &certificates, TlsFrontOptions::default())
        .await
        .unwrap();
    let endpoint = format!("https://{}/v1/traces", front.addr());

    // Not trusted: before, each attempt was a retryable network error (10 retries over
    // ~10 s here, ~30 s with the defaults); now the spans are rejected on the first.
    let untrusted = config_from(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.clone())]);
    let collector = Collector::new(untrusted.unwrap()).unwrap();
    let (stats, took) = send(&collector, 5).await;
    assert_eq!(
        (stats.exported, stats.dropped_rejected, stats.retries),
        (0, 5, 0),
        "{stats:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    let error = collector.last_export_error().unwrap_or_default();
    assert!(
        error.contains("certificate") && error.contains("OTEL_EXPORTER_OTLP_CERTIFICATE"),
        "{error}"
    );
    // The server sees the refused handshake a moment after the client gave up on it.
    for _ in 0..100 {
        if front.failed_handshakes() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (front.failed_handshakes(), front.completed_handshakes()),
        (1, 0)
    );
    collector.shutdown().await.unwrap();

    // Trusted through the CA file.
    let trusted = config_from(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", files.path("ca.pem")),
    ]);
    let collector = Collector::new(trusted.unwrap()).unwrap();
    let (stats, _) = send(&collector, 5).await;
    assert_eq!((stats.exported, stats.dropped()), (5, 0), "{stats:?}");
    assert_eq!(receiver.span_count(), 5);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_with_the_client_certificate_variables() {
    let certificates = TestCertificates::generate().unwrap();
    let files = CertificateFiles::write(&certificates);
    let receiver = Receiver::start().await.unwrap();
    let options = TlsFrontOptions {
        require_client_certificate: true,
        ..TlsFrontOptions::default()
    };
    let front = TlsFront::start(receiver.addr(), &certificates, options)
        .await
        .unwrap();
    let endpoint = format!("https://{}/v1/traces", front.addr());
    let ca = ("OTEL_EXPORTER_OTLP_CERTIFICATE", files.path("ca.pem"));
    let url = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint);

    // No client certificate: the server refuses the handshake; not retried.
    let collector = Collector::new(config_from(&[url.clone(), ca.clone()]).unwrap()).unwrap();
    let (stats, _) = send(&collector, 3).await;
    assert_eq!(
        (stats.exported, stats.dropped_rejected, stats.retries),
        (0, 3, 0),
        "{stats:?}"
    );
    let error = collector.last_export_error().unwrap_or_default();
    assert!(error.contains("client certificate"), "{error}");
    collector.shutdown().await.unwrap();

    let with_identity = config_from(&[
        url,
        ca,
        (
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            files.path("client.pem"),
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
            files.path("client.key"),
        ),
    ]);
    let collector = Collector::new(with_identity.unwrap()).unwrap();
    let (stats, _) = send(&collector, 3).await;
    assert_eq!((stats.exported, stats.dropped()), (3, 0), "{stats:?}");
    assert_eq!(receiver.span_count(), 3);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(feature = "grpc")]
async fn grpc_over_tls_trusts_the_ca_file_and_refuses_an_unknown_certificate_at_once() {
    let certificates = TestCertificates::generate().unwrap();
    let files = CertificateFiles::write(&certificates);
    let receiver = otlp_test_receiver::GrpcReceiver::start().await.unwrap();
    let options = TlsFrontOptions {
        http2: true,
        ..TlsFrontOptions::default()
    };
    let front = TlsFront::start(receiver.addr(), &certificates, options)
        .await
        .unwrap();
    let endpoint = format!("https://{}", front.addr());
    let grpc = ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned());

    let untrusted = config_from(&[
        grpc.clone(),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
    ]);
    let collector = Collector::new(untrusted.unwrap()).unwrap();
    let (stats, _) = send(&collector, 4).await;
    assert_eq!(
        (stats.exported, stats.dropped_rejected, stats.retries),
        (0, 4, 0),
        "{stats:?} {:?}",
        collector.last_export_error()
    );
    collector.shutdown().await.unwrap();

    let trusted = config_from(&[
        grpc,
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", files.path("ca.pem")),
    ]);
    let collector = Collector::new(trusted.unwrap()).unwrap();
    let (stats, _) = send(&collector, 4).await;
    assert_eq!(
        (stats.exported, stats.dropped()),
        (4, 0),
        "{stats:?} {:?}",
        collector.last_export_error()
    );
    let received: usize = receiver
        .calls()
        .iter()
        .map(|call| call.request.resource_spans[0].scope_spans[0].spans.len())
        .sum();
    assert_eq!(received, 4);
    collector.shutdown().await.unwrap();
}

#[test]
fn unusable_certificate_settings_are_clear_errors_at_start() {
    let certificates = TestCertificates::generate().unwrap();
    let files = CertificateFiles::write(&certificates);
    let https = (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "https://127.0.0.1:1/v1/traces".to_owned(),
    );

    let missing = files.path("missing.pem");
    let config = config_from(&[
        https.clone(),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", missing.clone()),
    ]);
    match Collector::new(config.unwrap()) {
        Err(error @ StartError::Tls { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("CA certificate") && message.contains(&missing),
                "{message}"
            );
        }
        other => panic!("expected a TLS start error, got {:?}", other.err()),
    }

    let not_pem = config_from(&[
        https.clone(),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", files.path("not-pem.txt")),
    ]);
    let error = Collector::new(not_pem.unwrap())
        .err()
        .map(|error| error.to_string());
    assert!(
        error
            .as_deref()
            .is_some_and(|error| error.contains("not a PEM file")),
        "{error:?}"
    );

    // A certificate without its key (or the other way round) is refused when read.
    let alone = config_from(&[
        https,
        (
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            files.path("client.pem"),
        ),
    ]);
    match alone {
        Err(ConfigError::InvalidVariable {
            variable, reason, ..
        }) => {
            assert_eq!(variable, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
            assert!(reason.contains("OTEL_EXPORTER_OTLP_CLIENT_KEY"), "{reason}");
        }
        other => panic!("expected an invalid variable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_sdk_accepts_spans_and_does_nothing() {
    let receiver = Receiver::start().await.unwrap();
    for (value, disabled) in [
        ("true", true),
        ("TRUE", true),
        ("false", false),
        ("yes", false),
    ] {
        let config = config_from(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint()),
            ("OTEL_SDK_DISABLED", value.to_owned()),
        ])
        .unwrap();
        assert_eq!(config.is_disabled(), disabled, "OTEL_SDK_DISABLED={value}");
        let collector = Collector::new(config).unwrap();
        let before = receiver.span_count();
        for i in 0..3 {
            collector
                .collect(Span::new(format!("maybe-{i}")).end())
                .unwrap();
        }
        collector
            .collect_or_wait(Span::new("waited").end())
            .await
            .unwrap();
        collector.flush().await.unwrap();
        collector.shutdown().await.unwrap();
        let stats = collector.stats();
        let expected = if disabled {
            Stats::default()
        } else {
            Stats {
                collected: 4,
                exported: 4,
                batches: 1,
                bytes_sent: stats.bytes_sent,
                ..Stats::default()
            }
        };
        assert_eq!(stats, expected, "OTEL_SDK_DISABLED={value}");
        assert_eq!(receiver.span_count() - before, if disabled { 0 } else { 4 });
    }
}
