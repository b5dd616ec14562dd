# Installs, idempotently, what the browser build and tests need. Sourced by
# tests/run_all.sh and npm/build.sh; every step is skipped when already in place.
#   - the wasm32-unknown-unknown target, and rust-src (the package rebuilds std for size)
#   - wasm-pack 0.15.1
#   - wasm-bindgen-cli of exactly the wasm-bindgen version in Cargo.lock
#   - wasm-opt from the npm binaryen package (Debian's breaks wasm-bindgen output)
#   - esbuild 0.28.2 (bundles and minifies the package's JavaScript)
#   - Chromium and chromedriver from Debian's packages
#   - a Python venv with rotel 0.0.1a15 (a real OpenTelemetry collector, for the interop
#     test) and prometheus_client 0.21.1 (an independent parser for our /metrics text)
#   - the OpenTelemetry Collector 0.161.0 built from tests/collector/ (Go module proxy),
#     cached per machine under a key of its release and its sources
#   - an OpAMP server built on opamp-go (tests/opamp_server/), cached the same way

export PATH="$HOME/.cargo/bin:$PATH"
tools_dir="$HOME/.local/share/otlp-collector-tools"

# Each step says when it started (seconds since the script began), so a log shows what took long.
install_step() { printf '\n==> [%ss] install: %s\n' "$SECONDS" "$*"; }

install_step "wasm32-unknown-unknown target"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

install_step "rust-src (the package build rebuilds the standard library for size)"
if ! rustup component list --installed | grep -qx rust-src; then
    rustup component add rust-src
fi

install_step "wasm-pack 0.15.1"
if ! wasm-pack --version 2>/dev/null | grep -q " 0\.15\.1"; then
    cargo install wasm-pack --version 0.15.1 --locked
fi

wasm_bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
install_step "wasm-bindgen-cli $wasm_bindgen_version (the version in Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wasm_bindgen_version\$"; then
    # Without --locked: its packaged lock file pins a crate version the registry lacks.
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

install_step "wasm-opt (npm binaryen 132)"
if ! "$tools_dir/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version 132"; then
    mkdir -p "$tools_dir"
    npm install --prefix "$tools_dir" --no-audit --no-fund binaryen@132
fi

install_step "esbuild 0.28.2 (npm)"
if ! "$tools_dir/node_modules/.bin/esbuild" --version 2>/dev/null | grep -qx "0.28.2"; then
    mkdir -p "$tools_dir"
    npm install --prefix "$tools_dir" --no-audit --no-fund esbuild@0.28.2
fi
export PATH="$tools_dir/node_modules/.bin:$PATH"

install_step "Chromium and chromedriver (Debian packages)"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt-get update
    apt-get install -y chromium chromium-driver
fi

install_step "Python venv: rotel 0.0.1a15 (a real OpenTelemetry collector) and prometheus_client 0.21.1"
rotel_venv="$tools_dir/rotel-venv"
if ! "$rotel_venv/bin/pip" show rotel 2>/dev/null | grep -qx "Version: 0.0.1a15" ||
    ! "$rotel_venv/bin/pip" show prometheus_client 2>/dev/null | grep -qx "Version: 0.21.1"; then
    [ -x "$rotel_venv/bin/pip" ] || python3 -m venv "$rotel_venv"
    "$rotel_venv/bin/pip" install --quiet rotel==0.0.1a15 prometheus_client==0.21.1
fi
OTLP_ROTEL_BIN="$(ls "$rotel_venv"/lib/python3*/site-packages/rotel/rotel-agent)"
OTLP_TEST_PYTHON="$rotel_venv/bin/python"
export OTLP_ROTEL_BIN OTLP_TEST_PYTHON

collector_release="$(sed -n 's/^const release = "\(.*\)"$/\1/p' tests/collector/main.go)"
install_step "OpenTelemetry Collector $collector_release (tests/collector, built with $(go version | cut -d' ' -f3))"
# Keyed by release and by the sources' digest: a change to the component list rebuilds it.
collector_key="$(cat tests/collector/go.mod tests/collector/go.sum tests/collector/main.go | sha256sum | cut -c1-12)"
collector_dir="$tools_dir/otelcol-$collector_release-$collector_key"
if ! "$collector_dir/otelcol" --version 2>/dev/null | grep -q " $collector_release\$"; then
    mkdir -p "$collector_dir"
    # -trimpath and no VCS stamp keep the build independent of where the clone lives.
    (cd tests/collector && go build -trimpath -o "$collector_dir/otelcol.partial" .)
    mv "$collector_dir/otelcol.partial" "$collector_dir/otelcol"
fi
OTLP_OTELCOL_BIN="$collector_dir/otelcol"
export OTLP_OTELCOL_BIN
"$OTLP_OTELCOL_BIN" --version

# Builds the small Go program in tests/$1 into the tool cache, keyed by its sources, unless
# it is there; prints its path.
go_tool() {
    local folder="tests/$1"
    local key
    key="$(cat "$folder/go.mod" "$folder/go.sum" "$folder/main.go" | sha256sum | cut -c1-12)"
    local binary="$tools_dir/$1-$key/$1"
    if [ ! -x "$binary" ]; then
        mkdir -p "$(dirname "$binary")"
        (cd "$folder" && go build -trimpath -o "$binary.partial" .) >&2
        mv "$binary.partial" "$binary"
    fi
    printf '%s' "$binary"
}

install_step "the Collector's sampling decisions (tests/sampling_reference: contrib pkg/sampling $collector_release)"
OTLP_SAMPLING_REFERENCE_BIN="$(go_tool sampling_reference)"
export OTLP_SAMPLING_REFERENCE_BIN

install_step "an OpAMP server (tests/opamp_server: opamp-go's server package)"
OTLP_OPAMP_SERVER_BIN="$(go_tool opamp_server)"
export OTLP_OPAMP_SERVER_BIN
