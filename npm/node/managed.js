// The Node entry of `otlp-collector/managed`: the package with the OTTL rules and the OpAMP agent, instantiated
// synchronously as `./index.js` is.
import { readFileSync } from 'node:fs';
import { initSync } from '../managed/otlp_collector.js';

initSync({ module: readFileSync(new URL('../managed/otlp_collector_bg.wasm', import.meta.url)) });

export { Collector } from '../managed/otlp_collector.js';
