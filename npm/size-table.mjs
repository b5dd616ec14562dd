// Writes the package's size table — what a page downloads, gzip -9 of every file (Node's
// zlib, as tests/e2e measures) — into the READMEs given, between the `<!-- sizes -->` and
// `<!-- /sizes -->` lines:
//   node npm/size-table.mjs PACKAGE_DIR README...
// npm/build.sh runs it on the built package, for the packaged README and npm/README.md, so
// the published table is always the package's own; tests/e2e/packages.test.mjs checks the
// packaged one against the files.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const START = '<!-- sizes -->';
const END = '<!-- /sizes -->';

// The entries a page imports instead of the bare one.
const ENTRIES = [
  ['web', '`otlp-collector` (bare: the WebAssembly module, its loader and the API)'],
  ['gzip', '`otlp-collector/gzip` (compresses bodies when asked), instead of the bare entry'],
  ['json', '`otlp-collector/json` (writes OTLP/JSON too, and gzip), instead of the bare entry'],
  ['rules', '`otlp-collector/rules` (with the OTTL engine and JSON), instead of the bare entry'],
  ['opamp', '`otlp-collector/opamp` (with the OpAMP agent and JSON), instead of the bare entry'],
  ['managed', '`otlp-collector/managed` (both), instead of the bare entry'],
];

// The automatic instrumentations, each a module of its own; `http` is what fetch and XHR share.
const INSTRUMENTATIONS = [
  ['fetch', '`otlp-collector/fetch`'],
  ['xhr', '`otlp-collector/xhr`'],
  ['http', 'what fetch and XHR share (once for both)'],
  ['errors', '`otlp-collector/errors`'],
  ['document-load', '`otlp-collector/document-load`'],
  ['web-vitals', '`otlp-collector/web-vitals`'],
  ['interactions', '`otlp-collector/interactions`'],
  ['session', '`otlp-collector/session`'],
];

const [packageDir, ...readmes] = process.argv.slice(2);
const gzipped = (...parts) => gzipSync(readFileSync(path.join(packageDir, ...parts)), { level: 9 }).length;
const entrySize = (directory) =>
  ['otlp_collector_bg.wasm', 'otlp_collector.js', 'index.js'].reduce((sum, file) => sum + gzipped(directory, file), 0);
const figure = (bytes) => bytes.toLocaleString('en-US');

const sizes = Object.fromEntries(ENTRIES.map(([directory]) => [directory, entrySize(directory)]));
const rows = ['| what a page imports | bytes, gzip -9 |', '|---|---:|', `| ${ENTRIES[0][1]} | ${figure(sizes.web)} |`];
let everything = sizes.web;
for (const [name, label] of INSTRUMENTATIONS) {
  const bytes = gzipped('instrumentation', `${name}.js`);
  everything += bytes;
  rows.push(`| + ${label} | ${figure(bytes)} |`);
}
rows.push(`| **with every instrumentation** | **${figure(everything)}** |`);
for (const [directory, label] of ENTRIES.slice(1)) rows.push(`| ${label} | ${figure(sizes[directory])} |`);

const section = `${START}\n${rows.join('\n')}\n${END}`;
for (const readme of readmes) {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`${readme}: no ${START} … ${END} section to write the size table into`);
    process.exit(1);
  }
  writeFileSync(readme, text.slice(0, start) + section + text.slice(end + END.length));
}
