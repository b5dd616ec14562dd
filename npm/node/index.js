// The entry for Node: the same module and glue as browsers, instantiated synchronously from
// the file (Node's fetch cannot read file: URLs). No top-level await, so `require` works
// as well as `import`.
import { readFileSync } from 'node:fs';
import { initSync } from '../web/otlp_collector.js';

initSync({ module: readFileSync(new URL('../web/otlp_collector_bg.wasm', import.meta.url)) });

export { Collector } from '../web/otlp_collector.js';
