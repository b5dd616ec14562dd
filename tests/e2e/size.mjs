// Prints what a page downloads for tracing with otlp-collector and with the OpenTelemetry JS
// web SDK, both bundled the same way (webpack, production mode: minified, tree-shaken), each
// file gzip -9: a collector that sends one span to an OTLP/HTTP endpoint, and each with
// every automatic instrumentation on (ours: fetch, XHR, errors, page load, web vitals,
// interactions, sessions; OpenTelemetry JS: fetch, XHR, document load, user interaction and
// the zone context manager). Needs the package tarball in OTLP_PKG_TARBALL (tests/run_all.sh
// builds it with npm/build.sh):
//   node tests/e2e/size.mjs
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { bundle } from './harness.mjs';

const entries = {
  otlpCollector: path.join(import.meta.dirname, 'size', 'otlp-collector.js'),
  otelJs: path.join(import.meta.dirname, 'size', 'opentelemetry-js.js'),
  otlpCollectorInstrumented: path.join(import.meta.dirname, 'size', 'otlp-collector-instrumented.js'),
  otelJsInstrumented: path.join(import.meta.dirname, 'size', 'opentelemetry-js-instrumented.js'),
};

// Raw and gzip bytes of every file webpack wrote, by kind (the .wasm apart from the JS).
async function measure(entry) {
  const outputDir = await mkdtemp(path.join(tmpdir(), 'otlp-size-'));
  try {
    await bundle({ entry, outputDir, publicPath: '/', filename: 'main.js' });
    const sizes = { js: 0, jsGzip: 0, wasm: 0, wasmGzip: 0 };
    for (const file of await readdir(outputDir)) {
      const bytes = await readFile(path.join(outputDir, file));
      const kind = file.endsWith('.wasm') ? 'wasm' : file.endsWith('.js') ? 'js' : null;
      if (kind === null) continue;
      sizes[kind] += bytes.length;
      sizes[`${kind}Gzip`] += gzipSync(bytes, { level: 9 }).length;
    }
    return { ...sizes, totalGzip: sizes.jsGzip + sizes.wasmGzip };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

const result = {};
for (const [name, entry] of Object.entries(entries)) result[name] = await measure(entry);
result.otlpCollectorOverOtelJs = Number(
  (result.otlpCollector.totalGzip / result.otelJs.totalGzip).toFixed(2),
);
result.instrumentedOverOtelJsInstrumented = Number(
  (result.otlpCollectorInstrumented.totalGzip / result.otelJsInstrumented.totalGzip).toFixed(2),
);
console.log(JSON.stringify(result));
