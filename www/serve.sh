#!/usr/bin/env bash
# Builds the package and serves the demo page and the loopback OTLP receiver on one
# origin: http://127.0.0.1:${1:-8080}/ — spans the page exports are printed here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash npm/build.sh
cargo run --quiet -p otlp-test-receiver -- --port "${1:-8080}" --static www
