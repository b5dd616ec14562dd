// The entry for browsers, workers and bundlers: loads the WebAssembly module (from the file
// beside this one; bundlers see the `new URL(…, import.meta.url)` in the glue and emit it)
// before the first import returns, so `new Collector()` works at once.
import init from './otlp_collector.js';

await init();

export { Collector } from './otlp_collector.js';
