// The WebAssembly module's initialisers — the entries in npm/web and npm/node call one
// before they export anything — keeping the module's memory, where the JavaScript API
// writes span records and reads what the core puts in its exchange buffer, and making the
// collector's handles from the module's exports (`handles` in exporter.js).
import init, { initSync as initModuleSync } from 'otlp-collector-wasm';
import { handles } from 'otlp-collector-exporter';

/** The module's memory, once it is initialised. */
export let memory = null;

let exports;
let intakeAt;

function ready(instanceExports) {
  exports = instanceExports;
  memory = exports.memory;
  intakeAt = handles(exports, 'intake', { core: handles(exports, 'collectorcore') });
}

/** `openCollector(…settings)` → the collector's intake (src/js_api/open.rs). */
export function openCollector(a, b, c, d, e, f) {
  return intakeAt(exports.openCollector(a, b, c, d, e, f));
}

/** What the module writes beyond uncompressed protobuf (bits: src/js_api/open.rs). */
export function speaks() {
  return exports.speaks();
}

/** Loads and instantiates the module (browsers, workers, bundlers). */
export default async function initialise(input) {
  ready(await init(input));
}

/** Instantiates the module synchronously from its bytes (Node). */
export function initSync(input) {
  ready(initModuleSync(input));
}
