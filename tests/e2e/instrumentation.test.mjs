// The automatic instrumentations, installed from the tarball and run in Chromium on a page
// of their own origin: `otlp-collector/fetch` makes client spans of the page's requests
// (semantic conventions, redacted URLs, errors) and carries `traceparent` to the page's
// own origin and the allowed one only, and `otlp-collector/xhr` does the same for
// XMLHttpRequest; `otlp-collector/errors` makes `exception` spans of
// uncaught errors and unhandled rejections; `otlp-collector/document-load` turns the
// browser's timings into the page load's spans, continuing the server's trace;
// `otlp-collector/web-vitals` reports TTFB, FCP, LCP, CLS and INP;
// `otlp-collector/interactions` makes clicks spans, parents of the requests they cause; and
// `otlp-collector/session` keeps a `session.id` across reloads until the page idles. The
// page's server and another origin record the headers they got; the loopback receiver
// decodes the spans.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  attribute, importMapPage, installPackage, launchChromium, pageRoot as sharedPageRoot, serveStatic, spansOfService, startReceiver,
} from './harness.mjs';

let receiver;
let project;

before(async () => {
  receiver = await startReceiver();
  project = await installPackage();
});

after(() => receiver?.stop());

const pageRoot = (name) => sharedPageRoot(project, name);

// A page importing the package (and the instrumentations `modules`) through an import map:
// `markup`, then `script` as a module in which `collector` exports to the receiver as
// `service`.
function pageHtml({ service, modules, markup = '', script }) {
  return importMapPage({
    modules,
    markup,
    script: `const collector = new Collector({ endpoint: ${JSON.stringify(`${receiver.url}/v1/traces`)}, serviceName: ${JSON.stringify(service)}, batchTimeoutMs: 50 });
${script}`,
  });
}

const receivedSpans = (service) => spansOfService(receiver, service);

test('fetch, XMLHttpRequest and errors become spans; traceparent reaches the own origin and the allowed one only', async () => {
  const root = await pageRoot('instrumented-page');
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'traceparent, tracestate' };
  const other = await serveStatic(root, {
    '/data': (request, response) => response.writeHead(200, cors).end('other'),
    '/allowed': (request, response) => response.writeHead(request.method === 'OPTIONS' ? 204 : 200, cors).end(),
  });
  const page = await serveStatic(root, {
    '/api/ok': (request, response) => response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' }).end('hello'),
    '/api/missing': (request, response) => response.writeHead(404).end(),
    '/api/xhr': (request, response) => response.writeHead(201, { 'content-length': '2' }).end('ok'),
    '/api/state': (request, response) => response.writeHead(200).end(),
    '/api/own-headers': (request, response) => response.writeHead(200).end(),
  });
  const service = `instrumented-${Date.now()}`;
  await writeFile(path.join(root, 'index.html'), pageHtml({
    service,
    modules: ['fetch', 'xhr', 'errors'],
    script: `
import { instrumentFetch } from 'otlp-collector/fetch';
import { instrumentXhr } from 'otlp-collector/xhr';
import { instrumentErrors } from 'otlp-collector/errors';
instrumentXhr(collector);
const xhr = (method, url) => new Promise((resolve) => {
  const request = new XMLHttpRequest();
  request.open(method, url);
  request.addEventListener('loadend', () => resolve(request.status));
  request.send(method === 'PUT' ? 'body' : null);
});
const other = ${JSON.stringify(other.url)};
// The page wraps fetch itself, before the instrumentation and after it.
const counted = { before: 0, after: 0 };
const pageFetch = globalThis.fetch;
globalThis.fetch = (input, init) => { counted.before++; return pageFetch(input, init); };
instrumentFetch(collector, { propagateTo: [other + '/allowed'], redactUrl: (url) => url.replace(/\\?.*/, '?REDACTED') });
// A second call must not record every request twice.
instrumentFetch(collector);
const instrumented = globalThis.fetch;
globalThis.fetch = (input, init) => { counted.after++; return instrumented(input, init); };
instrumentErrors(collector);
const body = await (await fetch('/api/ok?token=secret')).text();
await fetch('/api/missing');
// Within a span continuing a caller's trace: its tracestate goes along.
const active = Symbol.for('otlp-collector.active-span');
globalThis[active] = collector.startSpan('continued', {
  parent: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=abc' },
});
await fetch('/api/state');
globalThis[active].end();
delete globalThis[active];
// Headers of the application's own: ours join them.
await fetch('/api/own-headers', { headers: { 'x-app': '1' } });
await fetch(other + '/data');
await fetch(other + '/allowed', { method: 'POST', body: 'x' });
const refused = await fetch('http://127.0.0.1:9/').then(() => 'answered', (error) => error.name);
const xhrStatuses = [await xhr('PUT', '/api/xhr'), await xhr('GET', 'http://127.0.0.1:9/xhr')];
setTimeout(() => { throw new TypeError('boom from a timer'); });
Promise.reject(new RangeError('nobody caught me'));
await new Promise((resolve) => setTimeout(resolve, 300));
const delivered = await collector.flush();
window.appResult = { body, refused, xhrStatuses, counted, delivered, stats: collector.stats() };
`,
  }));
  const browser = await launchChromium();
  let result;
  try {
    const tab = await browser.newPage();
    await tab.goto(`${page.url}/`);
    result = await (await tab.waitForFunction(() => window.appResult, null, { timeout: 20_000 })).jsonValue();
  } finally {
    await browser.close();
    page.stop();
    other.stop();
  }
  assert.equal(result.body, 'hello', 'the application got its answer');
  assert.equal(result.refused, 'TypeError');
  assert.deepEqual(result.xhrStatuses, [201, 0]);
  // The page's seven requests went through both of its wrappers (and the exports too).
  assert.ok(result.counted.before >= 7 && result.counted.after >= 7, JSON.stringify(result.counted));
  assert.equal(result.delivered, true, JSON.stringify(result.stats));

  const spans = await receivedSpans(service);
  const byUrl = (fragment) => spans.filter((span) => String(attribute(span, 'url.full')).includes(fragment));
  assert.ok(spans.every((span) => !String(attribute(span, 'url.full')).includes('/v1/traces')),
    'the collector\'s own exports are not instrumented');

  const [ok, ...twice] = byUrl('/api/ok');
  assert.deepEqual(twice, [], 'one span per request');
  assert.equal(ok.name, 'GET');
  assert.equal(ok.kind, 3, 'SpanKind.CLIENT');
  assert.equal(attribute(ok, 'http.request.method'), 'GET');
  assert.equal(attribute(ok, 'url.full'), `${page.url}/api/ok?REDACTED`);
  assert.equal(attribute(ok, 'server.address'), '127.0.0.1');
  assert.equal(attribute(ok, 'server.port'), Number(new URL(page.url).port));
  assert.equal(attribute(ok, 'http.response.status_code'), 200);
  assert.equal(attribute(ok, 'http.response.body.size'), 5);
  assert.notEqual(ok.status?.code, 2);
  const sentToPage = page.seen.find((request) => request.path === '/api/ok');
  assert.equal(sentToPage.traceparent, `00-${ok.traceId}-${ok.spanId}-01`, 'the server got the span as its parent');

  const [state] = byUrl('/api/state');
  assert.equal(state.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  const sentState = page.seen.find((request) => request.path === '/api/state');
  assert.equal(sentState.traceparent, `00-${state.traceId}-${state.spanId}-01`);
  assert.equal(sentState.tracestate, 'vendor=abc', 'the trace\'s tracestate goes with traceparent');
  const [own] = byUrl('/api/own-headers');
  assert.equal(page.seen.find((request) => request.path === '/api/own-headers').traceparent,
    `00-${own.traceId}-${own.spanId}-01`, 'traceparent joins the application\'s headers');

  const [missing] = byUrl('/api/missing');
  assert.equal(attribute(missing, 'http.response.status_code'), 404);
  assert.equal(attribute(missing, 'error.type'), '404');
  assert.equal(missing.status.code, 2);

  const [data] = byUrl('/data');
  assert.equal(attribute(data, 'http.response.status_code'), 200);
  assert.equal(other.seen.find((request) => request.path === '/data').traceparent, undefined,
    'no traceparent to another origin by default');
  const [allowed] = byUrl('/allowed');
  assert.equal(attribute(allowed, 'http.request.method'), 'POST');
  assert.equal(other.seen.find((request) => request.path === '/allowed' && request.method === 'POST').traceparent,
    `00-${allowed.traceId}-${allowed.spanId}-01`, 'propagateTo lets it through');

  const [failed] = byUrl('127.0.0.1:9/');
  assert.equal(attribute(failed, 'error.type'), 'TypeError');
  assert.equal(failed.status.code, 2);

  const [viaXhr] = byUrl('/api/xhr');
  assert.equal(viaXhr.name, 'PUT');
  assert.equal(attribute(viaXhr, 'http.response.status_code'), 201);
  assert.equal(attribute(viaXhr, 'http.response.body.size'), 2);
  assert.equal(page.seen.find((request) => request.path === '/api/xhr').traceparent,
    `00-${viaXhr.traceId}-${viaXhr.spanId}-01`, 'XMLHttpRequest carries traceparent too');
  const [xhrFailed] = byUrl('127.0.0.1:9/xhr');
  assert.equal(attribute(xhrFailed, 'error.type'), 'error');
  assert.equal(xhrFailed.status.code, 2);

  const exceptions = spans.filter((span) => span.name === 'exception');
  const thrown = (type) => exceptions.find((span) => attribute(span, 'error.type') === type);
  for (const [type, message] of [['TypeError', 'boom from a timer'], ['RangeError', 'nobody caught me']]) {
    const span = thrown(type);
    assert.ok(span, `an exception span for the ${type}`);
    assert.equal(span.status.code, 2);
    assert.equal(span.status.message, message);
    const event = span.events.find((entry) => entry.name === 'exception');
    assert.equal(attribute(event, 'exception.type'), type);
    assert.equal(attribute(event, 'exception.message'), message);
    assert.match(attribute(event, 'exception.stacktrace'), new RegExp(`${type}: ${message}`));
  }
});

test('the page load continues the server\'s trace, and a session id spans reloads until the page idles', async () => {
  const root = await pageRoot('document-load-page');
  const serverTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const serverSpan = '00f067aa0ba902b7';
  const service = `page-load-${Date.now()}`;
  await writeFile(path.join(root, 'style.css'), 'body { color: #333; }');
  await writeFile(path.join(root, 'helper.js'), 'window.helperLoaded = true;');
  const page = await serveStatic(root, {
    '/': async (request, response) => {
      response.writeHead(200, {
        'content-type': 'text/html',
        'server-timing': `traceparent;desc="00-${serverTrace}-${serverSpan}-01"`,
      }).end(await readFile(path.join(root, 'index.html')));
    },
    '/pixel.png': (request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(68)),
  });
  await writeFile(path.join(root, 'index.html'), pageHtml({
    service,
    modules: ['document-load', 'session'],
    markup: `<link rel="stylesheet" href="/style.css">
<script src="/helper.js"></script>
<img src="/pixel.png" alt="">`,
    script: `
import { instrumentDocumentLoad } from 'otlp-collector/document-load';
import { trackSession } from 'otlp-collector/session';
trackSession(collector, { inactivityMs: 1500 });
instrumentDocumentLoad(collector);
window.visit = async (name) => {
  collector.startSpan(name).end();
  return collector.flush();
};
// The module may run after the load event (its imports wait for the WebAssembly).
const loaded = () => setTimeout(() => { window.loaded = true; }, 100);
if (document.readyState === 'complete') loaded();
else window.addEventListener('load', loaded);
`,
  }));
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(`${page.url}/`);
    await tab.waitForFunction(() => window.loaded === true);
    assert.equal(await tab.evaluate(() => window.visit('first-visit')), true);
    await tab.reload();
    await tab.waitForFunction(() => window.loaded === true);
    assert.equal(await tab.evaluate(() => window.visit('after-reload')), true);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(await tab.evaluate(() => window.visit('after-idling')), true);
  } finally {
    await browser.close();
    page.stop();
  }

  const spans = await receivedSpans(service);
  const named = (name) => spans.filter((span) => span.name === name);
  const loads = named('documentLoad');
  assert.equal(loads.length, 2, 'one page load per visit');
  const [load] = loads;
  assert.equal(load.traceId, serverTrace, 'the page load continues the server\'s trace');
  assert.equal(load.parentSpanId, serverSpan);
  assert.equal(attribute(load, 'url.full'), `${page.url}/`);
  const milestones = load.events.map((event) => event.name);
  for (const milestone of ['fetchStart', 'responseEnd', 'domContentLoadedEventEnd', 'loadEventEnd']) {
    assert.ok(milestones.includes(milestone), `${milestone} in ${milestones}`);
  }
  const children = spans.filter((span) => span.parentSpanId === load.spanId);
  const documentFetch = children.find((span) => span.name === 'documentFetch');
  assert.ok(documentFetch, 'the document\'s own request');
  assert.equal(BigInt(documentFetch.startTimeUnixNano), BigInt(load.startTimeUnixNano));
  const resources = children.filter((span) => span.name === 'resourceFetch').map((span) => attribute(span, 'url.full'));
  for (const file of ['/style.css', '/helper.js', '/pixel.png', '/node_modules/otlp-collector/web/otlp_collector.js']) {
    assert.ok(resources.includes(`${page.url}${file}`), `${file} among ${resources}`);
  }
  for (const span of [load, documentFetch, ...children]) {
    assert.ok(BigInt(span.startTimeUnixNano) <= BigInt(span.endTimeUnixNano), span.name);
  }

  const session = (name) => attribute(named(name)[0], 'session.id');
  assert.match(session('first-visit'), /^[0-9a-f]{32}$/);
  assert.equal(session('after-reload'), session('first-visit'), 'the session outlives a reload');
  assert.equal(attribute(load, 'session.id'), session('first-visit'), 'every span carries it');
  assert.notEqual(session('after-idling'), session('first-visit'), 'a new session after the inactivity limit');
  assert.equal(attribute(named('after-idling')[0], 'session.previous_id'), session('first-visit'));
});

test('web vitals: TTFB, FCP, LCP, CLS and INP arrive with the semantic conventions\' attributes', async () => {
  const root = await pageRoot('web-vitals-page');
  const page = await serveStatic(root, {});
  const service = `web-vitals-${Date.now()}`;
  await writeFile(path.join(root, 'index.html'), pageHtml({
    service,
    modules: ['web-vitals'],
    markup: `<h1>A page with a headline large enough to be its largest contentful paint</h1>
<p id="late"></p>
<button id="slow">slow</button>`,
    script: `
import { instrumentWebVitals } from 'otlp-collector/web-vitals';
instrumentWebVitals(collector);
// A slow click handler: an interaction for INP.
document.getElementById('slow').addEventListener('click', () => {
  const until = performance.now() + 120;
  while (performance.now() < until);
});
window.collector = collector;
window.ready = true;
`,
  }));
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(`${page.url}/`);
    await tab.waitForFunction(() => window.ready === true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await tab.click('#slow');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await tab.evaluate(async () => {
      Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      return window.collector.flush();
    }), true);
  } finally {
    await browser.close();
    page.stop();
  }

  const vitals = new Map();
  for (const span of (await receivedSpans(service)).filter((entry) => entry.name === 'browser.web_vital')) {
    vitals.set(attribute(span, 'browser.web_vital.name'), span);
  }
  for (const name of ['TTFB', 'FCP', 'LCP', 'CLS', 'INP']) {
    const span = vitals.get(name);
    assert.ok(span, `${name} among ${[...vitals.keys()]}`);
    const value = attribute(span, 'browser.web_vital.value');
    assert.ok(value >= 0, `${name} = ${value}`);
    assert.equal(attribute(span, 'browser.web_vital.delta'), value, 'the first report of each');
    assert.match(attribute(span, 'browser.web_vital.id'), new RegExp(`^v1-\\d+-\\d+-${name}$`));
    assert.ok(['good', 'needs-improvement', 'poor'].includes(attribute(span, 'browser.web_vital.rating')));
    assert.equal(attribute(span, 'browser.web_vital.navigation_type'), 'navigate');
  }
  assert.ok(attribute(vitals.get('INP'), 'browser.web_vital.value') >= 100, 'the slow click is the interaction');
  assert.ok(attribute(vitals.get('LCP'), 'browser.web_vital.value') >= attribute(vitals.get('FCP'), 'browser.web_vital.value'));
});

test('a click is a span, and the parent of the requests its handler makes', async () => {
  const root = await pageRoot('interactions-page');
  const page = await serveStatic(root, {
    '/api/cart': (request, response) => response.writeHead(200).end('{}'),
    '/api/later': (request, response) => response.writeHead(200).end('{}'),
  });
  const service = `interactions-${Date.now()}`;
  await writeFile(path.join(root, 'index.html'), pageHtml({
    service,
    modules: ['fetch', 'interactions'],
    markup: `<div id="shop"><button class="buy">Buy</button></div>`,
    script: `
import { instrumentFetch } from 'otlp-collector/fetch';
import { instrumentInteractions } from 'otlp-collector/interactions';
instrumentFetch(collector);
instrumentInteractions(collector);
document.querySelector('.buy').addEventListener('click', async () => {
  await fetch('/api/cart');
  // After the click's task: not caused by it as far as the trace can tell.
  setTimeout(() => fetch('/api/later').then(() => { window.done = true; }), 50);
});
window.collector = collector;
window.ready = true;
`,
  }));
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(`${page.url}/`);
    await tab.waitForFunction(() => window.ready === true);
    await tab.click('.buy');
    await tab.waitForFunction(() => window.done === true);
    assert.equal(await tab.evaluate(() => window.collector.flush()), true);
  } finally {
    await browser.close();
    page.stop();
  }
  const spans = await receivedSpans(service);
  const [click] = spans.filter((span) => span.name === 'click');
  assert.ok(click, 'the click is a span');
  assert.equal(attribute(click, 'event_type'), 'click');
  assert.equal(attribute(click, 'target_element'), 'BUTTON');
  assert.equal(attribute(click, 'target_xpath'), '//*[@id="shop"]/button[1]');
  const request = (fragment) => spans.find((span) => String(attribute(span, 'url.full')).endsWith(fragment));
  assert.equal(request('/api/cart').parentSpanId, click.spanId, 'the request the click made is its child');
  assert.equal(request('/api/cart').traceId, click.traceId);
  assert.notEqual(request('/api/later').traceId, click.traceId, 'a later task is not the click\'s');
});
