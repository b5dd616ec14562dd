// The package's module: the WebAssembly glue's initialisers (the entries in npm/web and
// npm/node call one before they export anything) and the JavaScript API. npm/build.sh
// bundles it, with the glue and exporter.js, into web/otlp_collector.js.

export { default, initSync } from './module.js';
export { Collector } from './collector.js';
