#!/usr/bin/env bash
# Runs the whole otlp-collector test suite on a fresh machine, installing what it needs
# first (idempotently): the wasm32 target. `.ci/run` calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
step() { printf '\n==> %s\n' "$*"; }

step "install: wasm32-unknown-unknown target"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

step "format check"
cargo fmt --all --check

step "native tests: unit, encoding round-trips and pipeline against the loopback receiver, doc tests"
cargo test --workspace 2>&1 | tee -a "$log"

step "the shared core builds for wasm32 (native backend left out)"
cargo build --lib --target wasm32-unknown-unknown

step "examples: simple_collector (embedded receiver) and a loadgen smoke run"
env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
    cargo run --quiet --example simple_collector 2>&1 | tee -a "$log"
grep -q "dropped 0" "$log"
cargo run --release --quiet --example loadgen -- --spans 200000 --threads 2 2>&1 | tee -a "$log"
grep -q '"dropped":0' "$log"

# One closing line with every cargo test count added up.
grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$log" |
    awk '{ passed += $4; failed += $6 } END { printf "\ntests: %d passed, %d failed\n", passed, failed; exit failed > 0 }'
