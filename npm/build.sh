#!/usr/bin/env bash
# Builds the npm package — one size-optimised .wasm, the JavaScript API (npm/src/) bundled
# with the module's ES-module glue (wasm-pack --target web) and exporter.js, minified
# (esbuild), the browser and Node entries, types, README and LICENSE from npm/ — packs it
# with `npm pack`, and copies it to www/pkg for the demo page. Prints what a page downloads (raw and gzip -9, by part) and,
# as its last line, the tarball's path.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/install_toolchain.sh

target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
version="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "otlp-collector"))')"
out="$target_dir/npm"
built="$out/wasm-pack"
package="$out/otlp-collector"

rm -rf "$package"
# Builds the module with cargo `features` into `$package/<directory>`: the .wasm, and one
# JavaScript module for the API, the glue and what the glue imports, minified — a page loads
# one file instead of ten, and the bytes a page downloads are what we measure. npm/src/
# names the glue and the exporter (copied by wasm-bindgen into the glue's snippets/, the
# copy the glue itself imports, so there is one exporter module) by the two aliases below.
# The readable sources are in the repository.
build_module() {
    local features="$1" directory="$2" entry="$3"
    local built="$out/wasm-pack-$directory"
    printf '\n==> wasm-pack build --target web (profile wasm-release, wasm-opt -Oz) %s\n' "${features:-(no extra feature)}" >&2
    rm -rf "$built"
    # The cdylib crate in npm/wasm links the library (with gzip: our compact encoder, no
    # dependency) into the module; the crate itself stays an ordinary library for native
    # users.
    # The standard library is rebuilt for size with the module (`-Z build-std`, `rust-src`):
    # panics abort at once without formatting a message or carrying source locations
    # (`-C panic=immediate-abort`, `-Z location-detail=none`). The module already aborts on
    # a panic (profile wasm-release), so only the bytes change: 3.6 KB gzip of the main
    # entry's 30.6. These flags are unstable: RUSTC_BOOTSTRAP lets the stable toolchain
    # take them, here only — the crate and native builds never use them. A toolchain that
    # drops them fails this build loudly (no quiet fallback), and the size budget in
    # tests/e2e/packages.test.mjs holds the saving. Its own target directory: other flags,
    # other artifacts.
    RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    CARGO_TARGET_DIR="$target_dir/npm-std" \
    wasm-pack build npm/wasm --profile wasm-release --target web --no-pack --out-name otlp_collector \
        --out-dir "$built" -- -Z build-std=std,panic_abort ${features:+--features "$features"} >&2
    mkdir -p "$package/$directory"
    cp "$built/otlp_collector_bg.wasm" npm/web/index.js "$package/$directory/"
    local exporter=("$built"/snippets/*/src/wasm/js/exporter.js)
    [ "${#exporter[@]}" -eq 1 ] && [ -f "${exporter[0]}" ] ||
        { echo "npm/build.sh: expected one exporter.js in $built/snippets, found: ${exporter[*]}" >&2; exit 1; }
    # Properties named with one leading underscore are the API's private state: esbuild
    # shortens them (one bundle, so consistently; the glue's `__wbg_*` and the module's
    # exports have two and keep their names). `_sampleTrace` keeps its name for the test
    # that checks it against the shared sampling vectors.
    # The main module and `/gzip`'s, whose every crossing is numbers, load with our loader
    # (npm/src/loader.js) instead of wasm-bindgen's glue; the others pass texts (the JSON
    # writer's number formatting, the rules, the OpAMP agent) and keep the glue.
    local loader="$built/otlp_collector.js"
    case "$features" in "" | gzip) loader="$PWD/npm/src/loader.js" ;; esac
    esbuild "$entry" --bundle --format=esm --minify --legal-comments=none \
        --mangle-props='^_[^_]' --reserve-props='^_sampleTrace$' \
        --alias:otlp-collector-wasm="$loader" --alias:otlp-collector-exporter="${exporter[0]}" \
        --log-level=warning --outfile="$package/$directory/otlp_collector.js"
}
# The main entry's module (uncompressed OTLP/protobuf only), the same compressing bodies
# (`otlp-collector/gzip`), writing OTLP/JSON too (`/json`, with gzip), and the same with the
# OTTL transform and drop rules (`otlp-collector/rules`), with the OpAMP agent (`/opamp`),
# and with both (`/managed`): a page that needs none of them downloads nothing for them.
build_module "" web npm/src/index.js
build_module gzip gzip npm/src/index.js
build_module json json npm/src/index.js
build_module rules rules npm/src/rules.js
build_module opamp opamp npm/src/opamp.js
build_module rules,opamp managed npm/src/managed.js
mkdir -p "$package/node"
cp npm/node/index.js npm/node/gzip.js npm/node/json.js npm/node/rules.js npm/node/opamp.js npm/node/managed.js "$package/node/"
# The automatic instrumentations, each a module of its own that costs a page nothing until
# it is imported (minified; the readable sources are in npm/instrumentation/).
mkdir -p "$package/instrumentation"
for source in npm/instrumentation/*.js; do
    esbuild "$source" --format=esm --minify --legal-comments=none --log-level=warning \
        --outfile="$package/instrumentation/$(basename "$source")"
done
cp npm/instrumentation/*.d.ts "$package/instrumentation/"
cp npm/index.d.ts npm/README.md LICENSE "$package/"
python3 - "$version" npm/package.json "$package/package.json" <<'EOF'
import json, sys
version, template, output = sys.argv[1:]
manifest = json.load(open(template))
manifest["version"] = version
json.dump(manifest, open(output, "w"), indent=2)
open(output, "a").write("\n")
EOF

rm -rf www/pkg
cp -r "$package" www/pkg

# What a page downloads: the .wasm, and the module (glue and API) with the entry; each part
# apart, raw and gzip -9, as tests/e2e/size.mjs checks them against the budget.
gzipped() { gzip -9c "$1" | wc -c; }
for directory in web rules opamp managed; do
    wasm="$package/$directory/otlp_collector_bg.wasm"
    module="$package/$directory/otlp_collector.js"
    entry="$package/$directory/index.js"
    total=$(( $(gzipped "$wasm") + $(gzipped "$module") + $(gzipped "$entry") ))
    label="package size"
    [ "$directory" = web ] || label="package size of otlp-collector/$directory"
    printf '\n%s: .wasm %s bytes (%s gzip) + JS %s bytes (%s gzip) + entry %s bytes (%s gzip) = %s bytes gzip\n' \
        "$label" "$(wc -c < "$wasm")" "$(gzipped "$wasm")" "$(wc -c < "$module")" "$(gzipped "$module")" \
        "$(wc -c < "$entry")" "$(gzipped "$entry")" "$total"
done

for module in "$package"/instrumentation/*.js; do
    printf 'instrumentation %s: %s bytes (%s gzip)\n' "$(basename "$module" .js)" \
        "$(wc -c < "$module")" "$(gzipped "$module")"
done

# The README's size table, from the files just built: in the package, and in npm/README.md
# (commit it when it changed).
node npm/size-table.mjs "$package" "$package/README.md" npm/README.md
cp "$package/README.md" www/pkg/README.md

tarball="$(npm pack "$package" --pack-destination "$out" --silent | tail -n 1)"
printf 'package files:\n' >&2
tar -tzvf "$out/$tarball" | awk '{ printf "  %8s  %s\n", $3, $6 }' >&2
echo "$out/$tarball"
