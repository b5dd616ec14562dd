// The demo page: a small shop whose own page load, requests, errors, clicks and web vitals
// become spans without a line of tracing code, beside a few spans written by hand; a live
// waterfall shows what the receiver got. `?sessionIdleMs=…` shortens the session's
// inactivity limit (the end-to-end test uses it).
import { Collector } from './pkg/web/index.js';
import { instrumentFetch } from './pkg/instrumentation/fetch.js';
import { instrumentErrors } from './pkg/instrumentation/errors.js';
import { instrumentDocumentLoad } from './pkg/instrumentation/document-load.js';
import { instrumentWebVitals } from './pkg/instrumentation/web-vitals.js';
import { instrumentInteractions } from './pkg/instrumentation/interactions.js';
import { trackSession } from './pkg/instrumentation/session.js';
import { drawWaterfall } from './waterfall.js';

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
const sessionIdleMs = Number(new URLSearchParams(location.search).get('sessionIdleMs'));
trackSession(collector, sessionIdleMs > 0 ? { inactivityMs: sessionIdleMs } : {});
instrumentDocumentLoad(collector);
instrumentWebVitals(collector);
// The waterfall's own polling of the receiver is no part of the shop.
instrumentFetch(collector, { ignoreUrls: [new URL('/received', location.href).href] });
instrumentErrors(collector);
instrumentInteractions(collector);

// A span per visible stretch of the page, ended when it is hidden — the last event a
// closing tab reliably gets. Spans ended in the page's own listener, after the
// collector's, still leave with keepalive.
const startPageView = () => collector.startSpan('page view', { attributes: { 'url.path': location.pathname } });
let pageView = startPageView();
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') pageView.end();
  else pageView = startPageView();
});

// The click is a span (interactions), and the request its handler makes is its child
// (fetch), with the traceparent the server receives.
document.getElementById('checkout').addEventListener('click', async () => {
  const body = await (await fetch('/api/cart')).json();
  log(`checkout: the server saw traceparent ${body.traceparent}`);
});

// A span written by hand.
document.getElementById('fail').addEventListener('click', () => {
  const payment = collector.startSpan('pay', { kind: 'client', attributes: { 'payment.method': 'card' } });
  payment.setStatus('error', 'card declined');
  payment.end();
  log('pay: recorded an error span');
});

// An uncaught error: the errors instrumentation records it.
document.getElementById('crash').addEventListener('click', () => {
  log('crash: threw an error nobody catches');
  throw new Error('demo: the cart service is unreachable');
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

// What the receiver got from this page, as a waterfall per trace, refreshed every second.
const refreshWaterfall = async () => {
  try {
    const received = await (await fetch('/received')).json();
    drawWaterfall(document.getElementById('waterfall'), received, 'shop-web');
  } catch {
    // The receiver is gone: keep what is shown.
  }
};
setInterval(refreshWaterfall, 1000);
document.getElementById('status').textContent = 'ready';
