//! A small axum service instrumented only with `tracing`, exporting through the layer: one
//! line of setup, `#[instrument]` and `info_span!` everywhere else. Incoming `traceparent`
//! headers are continued; the outgoing call to the stock service carries the context on.
//!
//! It serves on 127.0.0.1, then plays an upstream caller itself (three requests carrying a
//! `traceparent`), so one run shows a whole trace: caller → `GET /cart/{id}` → client call →
//! `GET /stock/{id}` → lookup. Spans go where `OTEL_EXPORTER_OTLP_*` says, or to a collector
//! on localhost:4318, or else to an embedded loopback receiver that prints what it got. The
//! collector's own counters are served on `/metrics` for Prometheus.
//!
//! `cargo run --example tracing_service --features tracing`
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use otlp_collector::{Collector, Config, OtlpSpanExt};
use otlp_test_receiver::{embedded_unless_a_backend_is_configured, print_received};
use tracing::Instrument;
use tracing_subscriber::prelude::*;

/// What the handlers share: a client for the downstream call and where it goes.
#[derive(Clone)]
struct App {
    client: reqwest::Client,
    base: String,
}

/// `GET /cart/{id}`: continues the caller's trace and asks the stock service.
async fn cart(State(app): State<App>, Path(id): Path<u64>, headers: HeaderMap) -> String {
    let span = tracing::info_span!(
        "GET /cart/{id}",
        otel.kind = "server",
        http.request.method = "GET",
        http.route = "/cart/{id}",
        cart.id = id,
        http.response.status_code = tracing::field::Empty,
    );
    // Right after creating the span, before its children exist.
    span.set_parent_from_headers(&headers);
    async move {
        let items = stock(&app, id).await;
        tracing::Span::current().record("http.response.status_code", 200);
        format!("cart {id}: {items} in stock\n")
    }
    .instrument(span)
    .await
}

/// The outgoing call, with `traceparent` and `tracestate` injected.
#[tracing::instrument(skip(app), fields(otel.kind = "client", http.request.method = "GET"))]
async fn stock(app: &App, id: u64) -> u64 {
    let mut headers = HeaderMap::new();
    tracing::Span::current().inject_context(&mut headers);
    let url = format!("{}/stock/{id}", app.base);
    match app.client.get(url).headers(headers).send().await {
        Ok(response) => response
            .text()
            .await
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0),
        Err(error) => {
            tracing::error!(error = %error, "stock lookup failed");
            0
        }
    }
}

/// `GET /stock/{id}`: the downstream service, continuing the trace it was called in.
async fn stock_level(Path(id): Path<u64>, headers: HeaderMap) -> String {
    let span = tracing::info_span!(
        "GET /stock/{id}",
        otel.kind = "server",
        http.route = "/stock/{id}"
    );
    span.set_parent_from_headers(&headers);
    span.in_scope(|| lookup(id)).to_string()
}

#[tracing::instrument]
fn lookup(id: u64) -> u64 {
    let level = id % 7 + 1;
    tracing::info!(warehouse = "north", level, "stock looked up");
    level
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::from_env()?.with_default_service_name("cart-service");
    let embedded = embedded_unless_a_backend_is_configured().await?;
    if let Some(receiver) = &embedded {
        config = config.with_endpoint(receiver.endpoint());
    }
    println!("exporting to {}", config.endpoint());
    let collector = Collector::new(config)?;
    // The one line of setup.
    tracing_subscriber::registry()
        .with(collector.tracing_layer())
        .init();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = App {
        client: reqwest::Client::new(),
        base: base.clone(),
    };
    // The collector's own counters, for Prometheus to scrape.
    let metrics = collector.clone();
    let router = Router::new()
        .route("/cart/{id}", get(cart))
        .route("/stock/{id}", get(stock_level))
        .route(
            "/metrics",
            get(move || async move { metrics.prometheus_text() }),
        )
        .with_state(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    println!("serving on {base}");

    // An upstream caller, in a trace of its own.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    for id in 1..=3 {
        let response = app
            .client
            .get(format!("{base}/cart/{id}"))
            .header(
                "traceparent",
                format!("00-{caller_trace}-00f067aa0ba902b7-01"),
            )
            .header("tracestate", "caller=example")
            .send()
            .await?
            .text()
            .await?;
        print!("GET /cart/{id} -> {response}");
    }

    collector.flush().await?;
    let scraped = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    println!("GET /metrics (excerpt):");
    for line in scraped
        .lines()
        .filter(|line| line.starts_with("otel_sdk_exporter"))
    {
        println!("  {line}");
    }
    collector.shutdown().await?;
    let stats = collector.stats();
    println!(
        "collected {}, exported {}, dropped {}",
        stats.collected,
        stats.exported,
        stats.dropped()
    );
    print_received(embedded.as_ref());
    Ok(())
}
