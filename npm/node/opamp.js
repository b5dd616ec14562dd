// The Node entry of `otlp-collector/opamp`: the package with the OpAMP agent (`opamp` option), instantiated
// synchronously as `./index.js` is.
import { readFileSync } from 'node:fs';
import { initSync } from '../opamp/otlp_collector.js';

initSync({ module: readFileSync(new URL('../opamp/otlp_collector_bg.wasm', import.meta.url)) });

export { Collector } from '../opamp/otlp_collector.js';
