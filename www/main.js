// The demo page: spans from button clicks, a traced fetch, live stats.
import { Collector } from './pkg/web/index.js';

const log = (line) => {
  document.getElementById('log').textContent += `${new Date().toLocaleTimeString()}  ${line}\n`;
};

const collector = new Collector({
  endpoint: new URL('/v1/traces', location.href).href,
  serviceName: 'shop-web',
  protocol: 'http/protobuf',
  batchSize: 64,
  batchTimeoutMs: 1000,
  resourceAttributes: { 'deployment.environment': 'demo' },
});

// A span per visible stretch of the page, ended when it is hidden — the last event a
// closing tab reliably gets. Spans ended in the page's own listener, after the
// collector's, still leave with keepalive.
const startPageView = () => collector.startSpan('page view', { attributes: { 'url.path': location.pathname } });
let pageView = startPageView();
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') pageView.end();
  else pageView = startPageView();
});

document.getElementById('checkout').addEventListener('click', async () => {
  const checkout = collector.startSpan('checkout', { kind: 'internal', attributes: { 'cart.items': 3 } });
  checkout.addEvent('clicked', { button: 'checkout' });
  const request = collector.startSpan('GET /api/cart', { kind: 'client', parent: checkout });
  request.setAttribute('http.request.method', 'GET');
  const response = await fetch('/api/cart', { headers: { traceparent: request.traceparent() } });
  request.setAttributes({ 'http.response.status_code': response.status, ok: response.ok });
  const body = await response.json();
  request.end();
  checkout.setStatus('ok');
  checkout.end();
  log(`checkout: the server saw traceparent ${body.traceparent}`);
});

document.getElementById('fail').addEventListener('click', () => {
  const payment = collector.startSpan('pay', { kind: 'client', attributes: { 'payment.method': 'card' } });
  payment.setStatus('error', 'card declined');
  payment.end();
  log('pay: recorded an error span');
});

document.getElementById('flush').addEventListener('click', async () => {
  const delivered = await collector.flush();
  log(delivered ? 'flush: everything collected so far was exported' : 'flush: some spans were not delivered (see stats)');
});

// A module worker with a collector of its own; it answers each message with what it sent.
let worker = null;
document.getElementById('worker').addEventListener('click', () => {
  if (worker === null) {
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.addEventListener('message', ({ data }) => {
      if (data.ready) worker.postMessage('run');
      else if (data.error) log(`worker: ${data.error}`);
      else log(`worker: exported ${data.exported} spans, trace ${data.traceparent.split('-')[1]}`);
    });
  } else {
    worker.postMessage('run');
  }
});

const showStats = () => {
  const stats = collector.stats();
  document.getElementById('stats').innerHTML = Object.entries(stats)
    .map(([name, value]) => `<tr><td>${name}</td><td id="stat-${name}">${value}</td></tr>`)
    .join('');
};
setInterval(showStats, 250);
showStats();
document.getElementById('status').textContent = 'ready';
