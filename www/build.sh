#!/usr/bin/env bash
# Builds the npm package for the demo page into www/pkg (--target web, size-optimised) and
# prints what a page downloads: the .wasm and its JS glue, raw and gzip -9.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/install_toolchain.sh

printf '\n==> wasm-pack build --target web (profile wasm-release, wasm-opt -Oz)\n'
wasm-pack build --profile wasm-release --target web --out-dir www/pkg

wasm=www/pkg/otlp_collector_bg.wasm
glue=www/pkg/otlp_collector.js
wasm_gz=$(gzip -9c "$wasm" | wc -c)
glue_gz=$(gzip -9c "$glue" | wc -c)
printf '\npackage size: %s bytes .wasm (%s gzip) + %s bytes JS glue (%s gzip) = %s bytes gzip\n' \
    "$(wc -c < "$wasm")" "$wasm_gz" "$(wc -c < "$glue")" "$glue_gz" "$((wasm_gz + glue_gz))"
