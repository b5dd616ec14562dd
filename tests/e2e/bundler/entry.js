// What a bundled web app does: import the package by name; the bundler wires up the wasm.
import { Collector } from 'otlp-collector';

const collector = new Collector({
  endpoint: new URL('/v1/traces', location.href).href,
  serviceName: 'bundled-app',
});
const span = collector.startSpan('bundled-span', { kind: 'internal', attributes: { bundled: true } });
span.end();
await collector.flush();
window.bundleResult = collector.stats();
