// The Node entry of `otlp-collector/gzip`: the package compressing request bodies when
// asked (`compression: 'gzip'`), instantiated synchronously as `./index.js` is.
import { readFileSync } from 'node:fs';
import { initSync } from '../gzip/otlp_collector.js';

initSync({ module: readFileSync(new URL('../gzip/otlp_collector_bg.wasm', import.meta.url)) });

export { Collector } from '../gzip/otlp_collector.js';
