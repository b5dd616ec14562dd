//! The README's main job: collect a few spans of a made-up checkout request and ship them.
//!
//! With OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) set, spans go there. Otherwise, if
//! something listens on localhost:4318 they go to it; if not, the example starts the
//! project's loopback receiver and prints what that receiver decoded — so it shows spans
//! flowing on a machine with no backend installed.
//!
//! `cargo run --example simple_collector`
// These examples run natively only: on wasm32 they compile to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use otlp_collector::{Collector, Config, Event, SpanKind, SpanStatus};
use otlp_test_receiver::{embedded_unless_a_backend_is_configured, print_received};

/// One checkout request: a server span with a database child, a payment call and an event.
fn checkout(collector: &Collector, order: i64) -> Result<(), Box<dyn std::error::Error>> {
    let request = collector
        .start_span("POST /checkout")
        .with_kind(SpanKind::Server)
        .with_attribute("http.request.method", "POST")
        .with_attribute("order.id", order);
    let query = request
        .child("SELECT cart")
        .with_kind(SpanKind::Client)
        .with_attribute("db.system", "postgresql")
        .end();
    let payment = request
        .child("charge card")
        .with_kind(SpanKind::Client)
        .with_attribute("payment.amount", 42.5);
    let payment = if order % 3 == 0 {
        payment.with_status(SpanStatus::error("card declined"))
    } else {
        payment.with_status(SpanStatus::Ok)
    };
    collector.collect(query)?;
    collector.collect(payment.end())?;
    let request = request
        .with_event(Event::new("order.placed").with_attribute("items", 3))
        .with_attribute("http.response.status_code", 200);
    collector.collect(request.end())?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::from_env()?.with_default_service_name("checkout");
    let embedded = embedded_unless_a_backend_is_configured().await?;
    if let Some(receiver) = &embedded {
        config = config.with_endpoint(receiver.endpoint());
    }
    println!(
        "exporting to {} as {}",
        config.endpoint(),
        config.protocol().name()
    );

    let collector = Collector::new(config)?;
    for order in 1..=4 {
        checkout(&collector, order)?;
    }
    collector.flush().await?;
    let stats = collector.stats();
    collector.shutdown().await?;
    println!(
        "collected {}, exported {} in {} requests ({} bytes), dropped {}",
        stats.collected,
        stats.exported,
        stats.batches,
        stats.bytes_sent,
        stats.dropped()
    );

    print_received(embedded.as_ref());
    Ok(())
}
