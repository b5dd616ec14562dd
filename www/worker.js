// The same package in a Web Worker (no window, no document): a collector of its own
// exports a span and its child, then tells the page what it sent.
import { Collector } from './pkg/web/index.js';

const collector = new Collector({
  endpoint: new URL('/v1/traces', location.href).href,
  serviceName: 'shop-web-worker',
});

self.addEventListener('message', async () => {
  const task = collector.startSpan('worker task', { attributes: { 'worker.kind': 'module' } });
  const step = collector.startSpan('worker step', { parent: task });
  step.end();
  task.end();
  const delivered = await collector.flush();
  if (delivered) self.postMessage({ exported: collector.stats().exported, traceparent: task.traceparent() });
  else self.postMessage({ error: 'some spans were not delivered (see stats)' });
});
self.postMessage({ ready: true });
