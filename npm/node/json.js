// The Node entry of `otlp-collector/json`: the package writing OTLP/JSON as well as
// protobuf (`protocol: 'http/json'`), instantiated synchronously as `./index.js` is.
import { readFileSync } from 'node:fs';
import { initSync } from '../json/otlp_collector.js';

initSync({ module: readFileSync(new URL('../json/otlp_collector_bg.wasm', import.meta.url)) });

export { Collector } from '../json/otlp_collector.js';
