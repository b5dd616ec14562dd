//! A loopback OTLP/HTTP receiver for tests, examples and the demo page, and an OTLP/gRPC
//! one (`GrpcReceiver`) for the gRPC exporter's tests.
//!
//! It listens on 127.0.0.1 only, accepts `POST /v1/traces` as protobuf or JSON (optionally
//! gzip), and decodes with the official `opentelemetry-proto` types — an independent
//! decoder, not otlp-collector's own code. It answers CORS preflights so browser pages
//! on other loopback ports can export to it, and can be told to fail requests on purpose.

use std::collections::VecDeque;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

mod grpc;
mod hostile;
mod opamp_server;
mod otelcol;
mod static_files;
mod tls;
pub mod usage;

pub use grpc::{GrpcCall, GrpcReceiver};
pub use hostile::{HostileAnswer, HostileRequest, HostileServer};
pub use opamp_server::OpampServer;
pub use otelcol::{free_port, Otelcol};
pub use tls::{TestCertificates, TlsFront, TlsFrontOptions};

pub use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
pub use opentelemetry_proto::tonic::common::v1 as common;
pub use opentelemetry_proto::tonic::trace::v1 as trace;

/// The path OTLP/HTTP uses for traces.
pub const TRACES_PATH: &str = "/v1/traces";

/// `POST` a JSON array here to script the next answers to trace requests, for browser
/// fault tests: `{"status": 503, "retryAfter": "1"}`, `{"partialSuccess": 3, "message":
/// "…"}`, `{"stallMs": 500}` or `{"disconnect": true}` per request.
pub const SCRIPT_PATH: &str = "/script";

/// `GET` here answers like an application endpoint the demo page calls with a
/// `traceparent` header; the receiver remembers each header it saw.
pub const DEMO_API_PATH: &str = "/api/cart";

/// `GET` here returns everything received so far as JSON — `{"requests": [...],
/// "bodyLengths": [...], "contentEncodings": [...], "decodeErrors": [...]}`, each request in OTLP/JSON form as
/// opentelemetry-proto writes it — so browser tests can check what arrived.
pub const RECEIVED_PATH: &str = "/received";

/// One request the receiver accepted and decoded.
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    /// The `Content-Type` header.
    pub content_type: String,
    /// The `Content-Encoding` header, if any.
    pub content_encoding: Option<String>,
    /// All request headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body size on the wire (before decompression).
    pub body_len: usize,
    /// The decoded request.
    pub request: ExportTraceServiceRequest,
    /// When it arrived.
    pub received_at: Instant,
}

impl ReceivedRequest {
    /// The spans in this request, across all resources and scopes.
    pub fn spans(&self) -> impl Iterator<Item = &trace::Span> {
        self.request
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .flat_map(|scope| &scope.spans)
    }

    /// A header's value, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// How the receiver behaves.
#[derive(Clone, Debug)]
pub struct ReceiverOptions {
    /// Keep every decoded request (tests inspect them); off for load runs, which only count.
    pub keep_requests: bool,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// A folder to serve with `GET` (the demo page), if any.
    pub static_dir: Option<std::path::PathBuf>,
    /// Trace request bodies larger than this (as sent, before decompression) are refused
    /// with 413 Payload Too Large, as a proxy's body limit would.
    pub max_body_bytes: Option<usize>,
    /// Note, for each span decoded, how long after its end time it arrived (see
    /// [`Receiver::take_latencies_ns`]): for latency benches.
    pub record_latency: bool,
}

impl Default for ReceiverOptions {
    fn default() -> Self {
        ReceiverOptions {
            keep_requests: true,
            port: 0,
            static_dir: None,
            max_body_bytes: None,
            record_latency: false,
        }
    }
}

struct State {
    keep_requests: bool,
    max_body_bytes: Option<usize>,
    record_latency: bool,
    /// Per span: wall-clock nanoseconds from its end time to its decoding here.
    latencies_ns: Mutex<Vec<u64>>,
    static_dir: Option<std::path::PathBuf>,
    /// `traceparent` headers of requests to the demo API.
    api_traceparents: Mutex<Vec<String>>,
    requests: Mutex<Vec<ReceivedRequest>>,
    spans: AtomicU64,
    accepted_requests: AtomicU64,
    attempts: AtomicU64,
    attempt_times: Mutex<Vec<Instant>>,
    decode_errors: Mutex<Vec<String>>,
    scripted: Mutex<VecDeque<Scripted>>,
    arrived: Notify,
    started: Instant,
    /// Set when the receiver is dropped.
    stopped: std::sync::atomic::AtomicBool,
}

impl Default for State {
    fn default() -> Self {
        State {
            keep_requests: true,
            max_body_bytes: None,
            record_latency: false,
            latencies_ns: Mutex::default(),
            static_dir: None,
            api_traceparents: Mutex::default(),
            requests: Mutex::default(),
            spans: AtomicU64::default(),
            accepted_requests: AtomicU64::default(),
            attempts: AtomicU64::default(),
            attempt_times: Mutex::default(),
            decode_errors: Mutex::default(),
            scripted: Mutex::default(),
            arrived: Notify::new(),
            started: Instant::now(),
            stopped: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// A canned answer for the next request, for fault injection.
#[derive(Clone, Debug)]
enum Scripted {
    /// Answer with this status (and `Retry-After`, if given) without accepting the spans.
    Status(u16, Option<String>),
    /// Accept the request but report this many spans rejected, with a message.
    PartialSuccess(i64, String),
    /// Wait this long, then accept the spans normally.
    Stall(Duration),
    /// Close the connection without answering, as a server that restarts mid-request.
    Disconnect,
}

/// The handler's only failure: a scripted disconnect, which makes hyper close the
/// connection without a response.
#[derive(Debug)]
struct ScriptedDisconnect;

impl std::fmt::Display for ScriptedDisconnect {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("scripted disconnect")
    }
}

impl std::error::Error for ScriptedDisconnect {}

/// Locks a mutex, recovering from poisoning (a panicked test thread must not hide data).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running receiver; it stops when dropped.
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Connections already open may still deliver a request before their tasks are
        // cancelled: answer those 503, as a server shutting down would.
        self.state.stopped.store(true, Ordering::SeqCst);
        self.server.abort();
    }
}

impl Receiver {
    /// Starts a receiver on a free loopback port, keeping every request.
    pub async fn start() -> std::io::Result<Receiver> {
        Receiver::start_with(ReceiverOptions::default()).await
    }

    /// Starts a receiver that decodes and counts every request but keeps none: for load
    /// runs, where keeping millions of spans would dominate memory.
    pub async fn start_counting() -> std::io::Result<Receiver> {
        Receiver::start_with(ReceiverOptions {
            keep_requests: false,
            ..ReceiverOptions::default()
        })
        .await
    }

    /// Starts a receiver with `options`, on the current tokio runtime.
    pub async fn start_with(options: ReceiverOptions) -> std::io::Result<Receiver> {
        let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            keep_requests: options.keep_requests,
            max_body_bytes: options.max_body_bytes,
            record_latency: options.record_latency,
            static_dir: options.static_dir,
            ..State::default()
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&state)));
        Ok(Receiver {
            addr,
            state,
            server,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The full traces URL, e.g. `http://127.0.0.1:40123/v1/traces`.
    pub fn endpoint(&self) -> String {
        format!("http://{}{TRACES_PATH}", self.addr)
    }

    /// Answers the next requests with these statuses instead of accepting them.
    pub fn respond_with(&self, statuses: impl IntoIterator<Item = u16>) {
        lock(&self.state.scripted).extend(
            statuses
                .into_iter()
                .map(|status| Scripted::Status(status, None)),
        );
    }

    /// Answers the next request with `status` and a `Retry-After: retry_after` header.
    pub fn respond_with_retry_after(&self, status: u16, retry_after: impl Into<String>) {
        lock(&self.state.scripted).push_back(Scripted::Status(status, Some(retry_after.into())));
    }

    /// Accepts the next request but answers that `rejected` of its spans were rejected.
    pub fn respond_with_partial_success(&self, rejected: i64, message: impl Into<String>) {
        lock(&self.state.scripted).push_back(Scripted::PartialSuccess(rejected, message.into()));
    }

    /// Closes the connection of the next `requests` requests without answering, as a
    /// backend restarting mid-request would.
    pub fn disconnect_next(&self, requests: usize) {
        lock(&self.state.scripted).extend(std::iter::repeat_n(Scripted::Disconnect, requests));
    }

    /// Makes the next `requests` requests wait `delay` before being accepted, as an
    /// overloaded backend would.
    pub fn stall_next(&self, requests: usize, delay: Duration) {
        lock(&self.state.scripted).extend(std::iter::repeat_n(Scripted::Stall(delay), requests));
    }

    /// Accepted requests, in arrival order (empty unless `keep_requests`).
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        lock(&self.state.requests).clone()
    }

    /// All accepted spans, in arrival order (empty unless `keep_requests`).
    pub fn spans(&self) -> Vec<trace::Span> {
        lock(&self.state.requests)
            .iter()
            .flat_map(|request| request.spans().cloned().collect::<Vec<_>>())
            .collect()
    }

    /// Spans accepted so far.
    pub fn span_count(&self) -> u64 {
        self.state.spans.load(Ordering::SeqCst)
    }

    /// Requests accepted so far.
    pub fn request_count(&self) -> u64 {
        self.state.accepted_requests.load(Ordering::SeqCst)
    }

    /// Every POST received, including ones answered with a scripted failure.
    pub fn attempts(&self) -> u64 {
        self.state.attempts.load(Ordering::SeqCst)
    }

    /// When each POST arrived.
    pub fn attempt_times(&self) -> Vec<Instant> {
        lock(&self.state.attempt_times).clone()
    }

    /// Bodies the decoder refused, with the reason. Tests assert this stays empty.
    pub fn decode_errors(&self) -> Vec<String> {
        lock(&self.state.decode_errors).clone()
    }

    /// How long after its end time each span arrived, in nanoseconds, in arrival order
    /// (taken: the next call returns only later arrivals); empty unless the receiver was
    /// started with `record_latency`.
    pub fn take_latencies_ns(&self) -> Vec<u64> {
        std::mem::take(&mut *lock(&self.state.latencies_ns))
    }

    /// Waits until at least `spans` spans were accepted; false if `timeout` passes first.
    pub async fn wait_for_spans(&self, spans: u64, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.state.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if self.span_count() >= spans {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.span_count() >= spans;
            }
        }
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    // Connections live in this set, so stopping the receiver (aborting this task) closes
    // them too, as a real server going down would.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = service_fn(move |request| handle(Arc::clone(&state), request));
            // A client hanging up mid-request is not the receiver's problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    // Browsers hide Retry-After from cross-origin pages unless it is exposed.
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("retry-after"),
    );
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    response
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ScriptedDisconnect> {
    if state.stopped.load(Ordering::SeqCst) {
        let mut response = respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            b"shutting down".to_vec(),
        );
        response
            .headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
        return Ok(response);
    }
    if request.method() == Method::OPTIONS {
        let mut response = respond(StatusCode::NO_CONTENT, "text/plain", Vec::new());
        let headers = response.headers_mut();
        headers.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("POST, OPTIONS"),
        );
        let requested = request
            .headers()
            .get("access-control-request-headers")
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("content-type, content-encoding"));
        headers.insert("access-control-allow-headers", requested);
        headers.insert("access-control-max-age", HeaderValue::from_static("600"));
        return Ok(response);
    }
    if request.method() == Method::GET && request.uri().path() == RECEIVED_PATH {
        let requests = lock(&state.requests);
        let body = serde_json::json!({
            "requests": requests.iter().map(|received| &received.request).collect::<Vec<_>>(),
            "bodyLengths": requests.iter().map(|received| received.body_len).collect::<Vec<_>>(),
            "contentEncodings": requests
                .iter()
                .map(|received| received.content_encoding.as_deref())
                .collect::<Vec<_>>(),
            "apiTraceparents": lock(&state.api_traceparents).clone(),
            "attempts": state.attempts.load(Ordering::SeqCst),
            "attemptTimesMs": lock(&state.attempt_times)
                .iter()
                .map(|time| time.duration_since(state.started).as_secs_f64() * 1000.0)
                .collect::<Vec<_>>(),
            "decodeErrors": lock(&state.decode_errors).clone(),
        });
        return Ok(respond(
            StatusCode::OK,
            "application/json",
            body.to_string().into_bytes(),
        ));
    }
    if request.method() == Method::POST && request.uri().path() == SCRIPT_PATH {
        let body = request
            .into_body()
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        return Ok(match parse_script(&body) {
            Ok(steps) => {
                lock(&state.scripted).extend(steps);
                respond(StatusCode::NO_CONTENT, "text/plain", Vec::new())
            }
            Err(error) => respond(StatusCode::BAD_REQUEST, "text/plain", error.into_bytes()),
        });
    }
    if request.method() == Method::GET && request.uri().path() == DEMO_API_PATH {
        let traceparent = request
            .headers()
            .get("traceparent")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        lock(&state.api_traceparents).push(traceparent.clone());
        let body = serde_json::json!({ "items": 3, "traceparent": traceparent });
        return Ok(respond(
            StatusCode::OK,
            "application/json",
            body.to_string().into_bytes(),
        ));
    }
    if request.method() == Method::GET {
        if let Some((content_type, bytes)) = state
            .static_dir
            .as_deref()
            .and_then(|root| static_files::read(root, request.uri().path()))
        {
            return Ok(respond(StatusCode::OK, content_type, bytes));
        }
    }
    if request.method() != Method::POST || request.uri().path() != TRACES_PATH {
        return Ok(respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            b"POST OTLP traces to /v1/traces; GET /received lists what arrived".to_vec(),
        ));
    }
    state.attempts.fetch_add(1, Ordering::SeqCst);
    lock(&state.attempt_times).push(Instant::now());
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let content_type = header(CONTENT_TYPE.as_str()).unwrap_or_default();
    let content_encoding = header(CONTENT_ENCODING.as_str());
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return Ok(respond(
                StatusCode::BAD_REQUEST,
                "text/plain",
                format!("could not read body: {error}").into_bytes(),
            ))
        }
    };
    if state.max_body_bytes.is_some_and(|limit| body.len() > limit) {
        return Ok(respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain",
            b"request body too large".to_vec(),
        ));
    }
    let scripted = lock(&state.scripted).pop_front();
    let mut partial_success = None;
    match scripted {
        Some(Scripted::Status(status, retry_after)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = respond(status, "text/plain", b"scripted failure".to_vec());
            if let Some(value) = retry_after.and_then(|value| HeaderValue::from_str(&value).ok()) {
                response.headers_mut().insert("retry-after", value);
            }
            return Ok(response);
        }
        Some(Scripted::Stall(delay)) => tokio::time::sleep(delay).await,
        Some(Scripted::Disconnect) => return Err(ScriptedDisconnect),
        Some(Scripted::PartialSuccess(rejected, message)) => {
            partial_success = Some((rejected, message))
        }
        None => {}
    }
    let is_json = content_type.starts_with("application/json");
    match decode(&body, content_encoding.as_deref(), is_json) {
        Ok(decoded) => {
            let span_count = decoded
                .resource_spans
                .iter()
                .flat_map(|resource| &resource.scope_spans)
                .map(|scope| scope.spans.len() as u64)
                .sum::<u64>();
            if state.record_latency {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |since| since.as_nanos() as u64);
                lock(&state.latencies_ns).extend(
                    decoded
                        .resource_spans
                        .iter()
                        .flat_map(|resource| &resource.scope_spans)
                        .flat_map(|scope| &scope.spans)
                        .map(|span| now.saturating_sub(span.end_time_unix_nano)),
                );
            }
            if state.keep_requests {
                lock(&state.requests).push(ReceivedRequest {
                    content_type: content_type.clone(),
                    content_encoding,
                    headers,
                    body_len: body.len(),
                    request: decoded,
                    received_at: Instant::now(),
                });
            }
            state.accepted_requests.fetch_add(1, Ordering::SeqCst);
            state.spans.fetch_add(span_count, Ordering::SeqCst);
            state.arrived.notify_waiters();
            // An empty ExportTraceServiceResponse is full success.
            let response = ExportTraceServiceResponse {
                partial_success: partial_success.map(|(rejected_spans, message)| {
                    ExportTracePartialSuccess {
                        rejected_spans,
                        error_message: message,
                    }
                }),
            };
            Ok(if is_json {
                let body = serde_json::to_vec(&response).unwrap_or_else(|_| b"{}".to_vec());
                respond(StatusCode::OK, "application/json", body)
            } else {
                respond(
                    StatusCode::OK,
                    "application/x-protobuf",
                    response.encode_to_vec(),
                )
            })
        }
        Err(error) => {
            lock(&state.decode_errors).push(error.clone());
            Ok(respond(
                StatusCode::BAD_REQUEST,
                "text/plain",
                error.into_bytes(),
            ))
        }
    }
}

/// Reads a `/script` body: a JSON array of scripted answers.
fn parse_script(body: &[u8]) -> Result<Vec<Scripted>, String> {
    let steps: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|error| format!("expected a JSON array: {error}"))?;
    steps
        .iter()
        .map(|step| {
            if let Some(status) = step.get("status").and_then(serde_json::Value::as_u64) {
                let retry_after = step
                    .get("retryAfter")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned);
                let status = u16::try_from(status).map_err(|_| "status out of range".to_owned())?;
                Ok(Scripted::Status(status, retry_after))
            } else if let Some(rejected) = step
                .get("partialSuccess")
                .and_then(serde_json::Value::as_i64)
            {
                let message = step
                    .get("message")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default();
                Ok(Scripted::PartialSuccess(rejected, message.to_owned()))
            } else if let Some(millis) = step.get("stallMs").and_then(serde_json::Value::as_u64) {
                Ok(Scripted::Stall(Duration::from_millis(millis)))
            } else if step.get("disconnect") == Some(&serde_json::Value::Bool(true)) {
                Ok(Scripted::Disconnect)
            } else {
                Err(format!("unknown step {step}"))
            }
        })
        .collect()
}

/// Decodes a request body with the official opentelemetry-proto types.
pub fn decode(
    body: &[u8],
    content_encoding: Option<&str>,
    is_json: bool,
) -> Result<ExportTraceServiceRequest, String> {
    let mut inflated = Vec::new();
    let body = match content_encoding {
        None | Some("identity") => body,
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut inflated)
                .map_err(|error| format!("bad gzip body: {error}"))?;
            &inflated
        }
        Some(other) => return Err(format!("unsupported content-encoding {other:?}")),
    };
    if is_json {
        serde_json::from_slice(body).map_err(|error| format!("bad OTLP/JSON: {error}"))
    } else {
        ExportTraceServiceRequest::decode(body)
            .map_err(|error| format!("bad OTLP/protobuf: {error}"))
    }
}

/// A one-line description of a received span, for examples and logs.
pub fn describe_span(span: &trace::Span) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let parent = if span.parent_span_id.is_empty() {
        "root".to_owned()
    } else {
        format!("parent {}", hex(&span.parent_span_id))
    };
    let duration_us = span
        .end_time_unix_nano
        .saturating_sub(span.start_time_unix_nano)
        / 1_000;
    format!(
        "{:<24} trace {} span {} {:<24} {:>7} µs  {} attributes",
        span.name,
        hex(&span.trace_id),
        hex(&span.span_id),
        parent,
        duration_us,
        span.attributes.len()
    )
}

/// For the examples: `None` when spans have somewhere to go — an `OTEL_EXPORTER_OTLP_*`
/// endpoint is set, or something listens on localhost:4318 — else a loopback receiver
/// started here (its endpoint is what to export to), so spans visibly flow on a machine
/// with no backend installed.
pub async fn embedded_unless_a_backend_is_configured() -> std::io::Result<Option<Receiver>> {
    let configured = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()));
    let local = SocketAddr::from(([127, 0, 0, 1], 4318));
    let listening =
        std::net::TcpStream::connect_timeout(&local, Duration::from_millis(200)).is_ok();
    if configured || listening {
        return Ok(None);
    }
    let receiver = Receiver::start().await?;
    println!("no OTLP endpoint configured and nothing on localhost:4318:");
    println!(
        "started an embedded loopback receiver at {}",
        receiver.endpoint()
    );
    Ok(Some(receiver))
}

/// For the examples: prints what `receiver` (if the example started one) decoded.
pub fn print_received(receiver: Option<&Receiver>) {
    if let Some(receiver) = receiver {
        println!("the receiver decoded {} spans:", receiver.span_count());
        for span in receiver.spans() {
            println!("  {}", describe_span(&span));
        }
    }
}
