// The Node entry of `otlp-collector/rules`: the package with the OTTL transform and drop
// rules (`transform`, `dropSpans` options), instantiated synchronously as `./index.js` is.
import { readFileSync } from 'node:fs';
import { initSync } from '../rules/otlp_collector.js';

initSync({ module: readFileSync(new URL('../rules/otlp_collector_bg.wasm', import.meta.url)) });

export { Collector } from '../rules/otlp_collector.js';
