// The WebAssembly module's initialisers — the entries in npm/web and npm/node call one
// before they export anything — keeping the module's memory, where the JavaScript API
// writes span records and reads what the core puts in its exchange buffer.
import init, { initSync as initModuleSync } from 'otlp-collector-wasm';

/** The module's memory, once it is initialised. */
export let memory = null;

/** Loads and instantiates the module (browsers, workers, bundlers). */
export default async function initialise(input) {
  ({ memory } = await init(input));
}

/** Instantiates the module synchronously from its bytes (Node). */
export function initSync(input) {
  ({ memory } = initModuleSync(input));
}
