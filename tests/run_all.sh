#!/usr/bin/env bash
# Runs the whole otlp-collector test suite on a fresh machine, installing what it needs
# first (idempotently, see tests/install_toolchain.sh): the wasm32 target, wasm-pack, the
# wasm-bindgen-cli of the exact version in Cargo.lock, wasm-opt from npm, Debian's
# Chromium + chromedriver, playwright-core, rotel, and the OpenTelemetry Collector built
# from tests/collector/ with Go. `.ci/run` calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

log="$(mktemp)"
receiver_log="$(mktemp)"
receiver_pid=""
cleanup() {
    [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null
    rm -f "$log" "$receiver_log"
}
trap cleanup EXIT
step() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }

source tests/install_toolchain.sh

step "format check"
cargo fmt --all --check

step "native tests, every feature on (grpc, gzip, tracing): unit, round-trips, pipeline, faults, interop (rotel, the OpenTelemetry Collector $("$OTLP_OTELCOL_BIN" --version | awk '{print $NF}'), the agent/gateway deployment, an opamp-go server), doc tests"
# otlp-compare (benches/compare) builds the OpenTelemetry Rust SDK; it is a benchmark, not a test.
cargo test --workspace --exclude otlp-compare --all-features 2>&1 | tee -a "$log"

step "ratio sampling: the decisions of tests/vectors/sampling.json (which Rust and JavaScript are tested against) are the OpenTelemetry Collector's own (contrib pkg/sampling)"
"$OTLP_SAMPLING_REFERENCE_BIN" tests/vectors/sampling.json 2>&1 | tee -a "$log"

step "native tests, default features (tls): what needs another feature is refused, naming it"
cargo test -p otlp-collector 2>&1 | tee -a "$log"

step "native tests with no feature at all (plain http:// only)"
cargo test -p otlp-collector --no-default-features 2>&1 | tee -a "$log"

step "the library alone with each feature (no dev-dependency unifies features here)"
for feature in tls grpc gzip tracing; do
    cargo check --quiet -p otlp-collector --lib --no-default-features --features "$feature"
done

step "publish-ready: cargo publish --dry-run (packages the crate alone and builds it from the package)"
cargo publish --dry-run --allow-dirty -p otlp-collector 2>&1 | tail -n 4

step "the library builds for wasm32: no optional feature, gzip, gzip + tracing"
cargo build --lib --target wasm32-unknown-unknown
cargo build --lib --target wasm32-unknown-unknown --features gzip
cargo build --lib --target wasm32-unknown-unknown --features gzip,tracing

step "start the loopback receiver for the wasm tests"
cargo build --quiet -p otlp-test-receiver
target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
export OTLP_RECEIVER_BIN="$target_dir/debug/otlp-test-receiver"
"$OTLP_RECEIVER_BIN" --port 0 > "$receiver_log" 2>&1 &
receiver_pid=$!
for _ in $(seq 50); do
    grep -q "listening on" "$receiver_log" && break
    sleep 0.1
done
receiver_url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$receiver_log" | head -n1)"
[ -n "$receiver_url" ] || { echo "the receiver did not start:"; cat "$receiver_log"; exit 1; }
export OTLP_TEST_RECEIVER="$receiver_url"
echo "receiver at $OTLP_TEST_RECEIVER"

# The runner exits 0 even when a mode skips every test: check that each file's count ran.
count_tests() { grep -c '^#\[wasm_bindgen_test\]' "tests/$1.rs"; }
check_ran() {
    local log_file="$1" mode="$2"
    shift 2
    for test_file in "$@"; do
        local expected
        expected="$(count_tests "$test_file")"
        grep -q "test result: ok. $expected passed" "$log_file" ||
            { echo "expected the $expected tests of tests/$test_file.rs to pass in $mode"; exit 1; }
    done
}

step "wasm tests in Node: tests/browser.rs ($(count_tests browser) tests)"
node_log="$(mktemp)"
wasm-pack test --node -- --test browser --features gzip 2>&1 | tee "$node_log" | tee -a "$log"
check_ran "$node_log" Node browser

step "wasm tests in headless Chromium: tests/browser.rs, browser_lifecycle.rs and browser_tracing.rs (the tracing layer)"
chrome_log="$(mktemp)"
WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" \
    -- --test browser --test browser_lifecycle --test browser_tracing --features gzip,tracing 2>&1 |
    tee "$chrome_log" | tee -a "$log"
check_ran "$chrome_log" Chromium browser browser_lifecycle browser_tracing
rm -f "$node_log" "$chrome_log"

step "the npm package (npm/build.sh): one tarball for browsers, bundlers and Node; its size"
package_output="$(mktemp)"
# The build's progress (stderr) is shown as it goes; its report (stdout) ends with the path.
bash npm/build.sh 2>&1 > "$package_output" | tee -a "$log"
tee -a "$log" < "$package_output"
export OTLP_PKG_TARBALL="$(tail -n 1 "$package_output")"
rm -f "$package_output"
[ -f "$OTLP_PKG_TARBALL" ] || { echo "npm/build.sh did not print the tarball's path"; exit 1; }

step "JavaScript end to end: the tarball in Vite, webpack, a plain page (Chromium) and Node (ESM, CommonJS), the API contract, tsc, rotel and OpenTelemetry Collector interop (Node, and Chromium across origins), OTTL rules against the Collector and OpAMP against an opamp-go server (Node), the automatic instrumentations (fetch, XHR, errors, page load, web vitals, interactions, sessions), and the www/ demo"
(cd tests/e2e && npm ci --no-audit --no-fund)
(cd tests/e2e && node --test) 2>&1 | tee -a "$log"

step "browser span cost, side by side: otlp-collector vs the OpenTelemetry JS web SDK in headless Chromium"
(cd tests/e2e && node bench.mjs) 2>&1 | tee -a "$log"

step "main-thread cost of automatic instrumentation: a page with 50 images and 200 fetches, otlp-collector vs OpenTelemetry JS web"
(cd tests/e2e && node bench-instrumented.mjs) 2>&1 | tee -a "$log"

step "what a page downloads, side by side: both bundled by webpack (production), gzip -9, bare and with every instrumentation"
(cd tests/e2e && node size.mjs) 2>&1 | tee -a "$log"

step "examples: simple_collector and tracing_service (embedded receiver) and a loadgen smoke run"
env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
    cargo run --quiet --example simple_collector 2>&1 | tee -a "$log"
grep -q "dropped 0" "$log"
example_log="$(mktemp)"
env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
    cargo run --quiet --example tracing_service --features tracing 2>&1 | tee "$example_log" | tee -a "$log"
grep -q "exported 12, dropped 0" "$example_log"
rm -f "$example_log"
cargo run --release --quiet --example loadgen -- --spans 200000 --threads 2 2>&1 | tee -a "$log"
grep -q '"dropped":0' "$log"

# One closing line with every count added up: cargo's and wasm-bindgen's "test result"
# lines and node's "# pass" / "# fail" lines.
awk '
    /test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed/ {
        for (i = 1; i <= NF; i++) {
            if ($i == "passed;") passed += $(i - 1)
            if ($i == "failed;") failed += $(i - 1)
        }
    }
    /^# pass [0-9]+$/ { passed += $3 }
    /^# fail [0-9]+$/ { failed += $3 }
    END { printf "\ntests: %d passed, %d failed\n", passed, failed; exit failed > 0 }
' "$log"
