// The smallest useful setup: a collector exporting one span (tests/e2e/size.mjs).
import { Collector } from 'otlp-collector';

const collector = new Collector({ endpoint: '/v1/traces', serviceName: 'size' });
collector.startSpan('page load').end();
globalThis.collector = collector;
