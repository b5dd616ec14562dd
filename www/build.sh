#!/usr/bin/env bash
# Builds the npm package for the demo page into www/pkg (--target web, size-optimised) and
# prints what a page downloads: the .wasm and its JS glue, raw and gzip -9.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/install_toolchain.sh

printf '\n==> wasm-pack build --target web (profile wasm-release, wasm-opt -Oz)\n'
rm -rf www/pkg
wasm-pack build --profile wasm-release --target web --out-dir www/pkg

wasm=www/pkg/otlp_collector_bg.wasm
glue=www/pkg/otlp_collector.js
wasm_gz=$(gzip -9c "$wasm" | wc -c)
# The glue is the generated module plus the snippet modules it imports (js_api.js).
glue_bytes=0
glue_gz=0
for file in "$glue" $(find www/pkg/snippets -name '*.js' 2>/dev/null); do
    glue_bytes=$((glue_bytes + $(wc -c < "$file")))
    glue_gz=$((glue_gz + $(gzip -9c "$file" | wc -c)))
done
printf '\npackage size: %s bytes .wasm (%s gzip) + %s bytes JS glue (%s gzip) = %s bytes gzip\n' \
    "$(wc -c < "$wasm")" "$wasm_gz" "$glue_bytes" "$glue_gz" "$((wasm_gz + glue_gz))"
