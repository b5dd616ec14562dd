#!/usr/bin/env bash
# What adding tracing export costs an axum service: the same small app built bare, with
# otlp-collector (each feature set), and with tracing + tracing-opentelemetry +
# opentelemetry_sdk + opentelemetry-otlp (HTTP, no TLS, as opentelemetry-otlp's
# reqwest-blocking-client, and again with its rustls TLS, as our default has) — each a clean release build in its own target directory, one
# after the other. Prints crates compiled, CPU seconds of the build, and the stripped
# binary's size and growth over the bare app.
#   bash benches/weight/run.sh [variant…]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# name | extra [dependencies] | main.rs body additions
variant_deps() {
    case "$1" in
        bare) echo '' ;;
        otlp-default) echo "otlp-collector = { path = \"$repo\" }" ;;
        otlp-no-tls) echo "otlp-collector = { path = \"$repo\", default-features = false }" ;;
        otlp-gzip) echo "otlp-collector = { path = \"$repo\", features = [\"gzip\"] }" ;;
        otlp-grpc) echo "otlp-collector = { path = \"$repo\", features = [\"grpc\"] }" ;;
        otlp-tracing) printf '%s\n%s\n' "otlp-collector = { path = \"$repo\", features = [\"tracing\"] }" 'tracing = "0.1"
tracing-subscriber = { version = "0.3", default-features = false, features = ["registry", "std"] }' ;;
        otlp-all) echo "otlp-collector = { path = \"$repo\", features = [\"grpc\", \"gzip\", \"tracing\"] }" ;;
        opentelemetry) echo 'tracing = "0.1"
tracing-subscriber = { version = "0.3", default-features = false, features = ["registry", "std"] }
tracing-opentelemetry = { version = "0.34", default-features = false }
opentelemetry = "0.33"
opentelemetry_sdk = { version = "0.33", features = ["trace"] }
opentelemetry-otlp = { version = "0.33", default-features = false, features = ["http-proto", "reqwest-blocking-client", "trace"] }' ;;
        opentelemetry-tls) variant_deps opentelemetry | sed 's/"reqwest-blocking-client", "trace"/"reqwest-blocking-client", "reqwest-rustls", "trace"/' ;;
    esac
}

variant_main() {
    case "$1" in
        bare) echo 'async fn handler() -> &'"'"'static str { "ok" }
#[tokio::main] async fn main() { let app = axum::Router::new().route("/", axum::routing::get(handler));
let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(); let _ = std::hint::black_box(&listener); if std::env::args().count() > 9 { axum::serve(listener, app).await.unwrap(); } }' ;;
        otlp-*) echo 'async fn handler(axum::extract::State(c): axum::extract::State<otlp_collector::Collector>) -> &'"'"'static str { let _ = c.collect(c.start_span("GET /").end()); "ok" }
#[tokio::main] async fn main() { let c = otlp_collector::Collector::new(otlp_collector::Config::from_env().unwrap()).unwrap();
let app = axum::Router::new().route("/", axum::routing::get(handler)).with_state(c.clone());
let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(); if std::env::args().count() > 9 { axum::serve(listener, app).await.unwrap(); } c.shutdown().await.unwrap(); }' ;;
        opentelemetry*) echo 'use opentelemetry::trace::TracerProvider as _; use tracing_subscriber::prelude::*;
async fn handler() -> &'"'"'static str { tracing::info_span!("GET /").in_scope(|| "ok") }
#[tokio::main] async fn main() {
let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build().unwrap();
let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().with_batch_exporter(exporter).build();
tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("app"))).init();
let app = axum::Router::new().route("/", axum::routing::get(handler));
let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(); if std::env::args().count() > 9 { axum::serve(listener, app).await.unwrap(); } let _ = provider.shutdown(); }' ;;
    esac
}

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(bare otlp-default otlp-no-tls otlp-gzip otlp-grpc otlp-tracing otlp-all opentelemetry opentelemetry-tls)
printf '%-16s %8s %12s %14s %12s\n' variant crates "build CPU s" "binary bytes" "growth"
bare_size=""
for variant in "${variants[@]}"; do
    app="$work/$variant"
    mkdir -p "$app/src"
    cat > "$app/Cargo.toml" <<TOML
[package]
name = "weight-app"
version = "0.0.0"
edition = "2021"

[workspace]

[dependencies]
axum = "0.8"
tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }
$(variant_deps "$variant")

[profile.release]
strip = true
TOML
    variant_main "$variant" > "$app/src/main.rs"
    # Resolve the same versions the repository does where they overlap.
    [ "$variant" = bare ] || cp "$repo/Cargo.lock" "$app/Cargo.lock" 2>/dev/null || true
    log="$work/$variant.log"
    /usr/bin/env time -f '%U %S' -o "$work/$variant.time" \
        cargo build --release --manifest-path "$app/Cargo.toml" --target-dir "$app/target" -v > "$log" 2>&1 ||
        { tail -n 30 "$log"; exit 1; }
    cpu=$(awk '{printf "%.0f", $1 + $2}' "$work/$variant.time")
    # Crates compiled (build scripts apart).
    crates=$(grep -o -- '--crate-name [a-z0-9_]*' "$log" | grep -v build_script | sort -u | wc -l)
    size=$(stat -c %s "$app/target/release/weight-app")
    [ -n "$bare_size" ] || bare_size=$size
    printf '%-16s %8s %12s %14s %12s\n' "$variant" "$crates" "$cpu" "$size" "+$((size - bare_size))"
done
