// End to end: the www/ demo page in real Chromium exports to the loopback receiver, and
// the receiver has the spans with the right names and parent/child links.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver, launchChromium } from './harness.mjs';

let receiver;
let browser;

before(async () => {
  receiver = await startReceiver();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  receiver?.stop();
});

async function receivedSpans() {
  const received = await (await fetch(`${receiver.url}/received`)).json();
  assert.deepEqual(received.decodeErrors, []);
  const spans = received.requests.flatMap((request) =>
    request.resourceSpans.flatMap((resource) =>
      resource.scopeSpans.flatMap((scope) =>
        scope.spans.map((span) => ({ ...span, resource: resource.resource })))));
  return { spans, apiTraceparents: received.apiTraceparents };
}

test('clicking the demo buttons exports linked spans to the receiver', async () => {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(`${receiver.url}/`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');

  await page.click('#checkout');
  await page.waitForFunction(() => document.getElementById('log').textContent.includes('checkout:'));
  await page.click('#fail');
  await page.click('#flush');
  await page.waitForFunction(() => document.getElementById('log').textContent.includes('flush:'));
  await page.waitForFunction(() => document.getElementById('stat-exported')?.textContent === '3');
  assert.match(await page.textContent('#log'), /flush: everything collected so far was exported/);

  const { spans, apiTraceparents } = await receivedSpans();
  const byName = Object.fromEntries(spans.map((span) => [span.name, span]));
  assert.deepEqual(Object.keys(byName).sort(), ['GET /api/cart', 'checkout', 'pay']);

  const checkout = byName.checkout;
  const request = byName['GET /api/cart'];
  assert.equal(request.traceId, checkout.traceId, 'same trace');
  assert.equal(request.parentSpanId, checkout.spanId, 'the fetch span is a child of checkout');
  assert.equal(request.kind, 3, 'client');
  assert.equal(checkout.status.code, 1, 'ok');
  assert.equal(byName.pay.status.code, 2, 'error');
  assert.equal(byName.pay.status.message, 'card declined');
  assert.deepEqual(apiTraceparents, [`00-${request.traceId}-${request.spanId}-01`],
    'the server saw the fetch span as its parent');

  const serviceName = checkout.resource.attributes.find((kv) => kv.key === 'service.name');
  assert.equal(serviceName.value.stringValue, 'shop-web');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('closing the page delivers spans that were still buffered', async () => {
  const page = await browser.newPage();
  await page.goto(`${receiver.url}/`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const count = (spans, name) => spans.filter((span) => span.name === name).length;
  const { spans: spansBefore } = await receivedSpans();
  const before = count(spansBefore, 'pay');
  const pageViewsBefore = count(spansBefore, 'page view');
  await page.click('#fail');
  // No flush: the batch timeout has not passed, so only the pagehide keepalive sends it.
  await page.close({ runBeforeUnload: true });
  // The page's own visibilitychange listener ends the 'page view' span after the
  // collector's listener ran: it leaves with keepalive too.
  const deadline = Date.now() + 5000;
  let after = before;
  let pageViewsAfter = pageViewsBefore;
  while ((after === before || pageViewsAfter === pageViewsBefore) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { spans } = await receivedSpans();
    after = count(spans, 'pay');
    pageViewsAfter = count(spans, 'page view');
  }
  assert.equal(after, before + 1);
  assert.equal(pageViewsAfter, pageViewsBefore + 1);
});

test('the package runs in a Web Worker and its spans reach the receiver', async () => {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(`${receiver.url}/`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  await page.click('#worker');
  await page.waitForFunction(() => document.getElementById('log').textContent.includes('worker:'));
  const line = (await page.textContent('#log')).split('\n').find((text) => text.includes('worker:'));
  assert.match(line, /worker: exported 2 spans, trace [0-9a-f]{32}/);
  const traceId = line.match(/trace ([0-9a-f]{32})/)[1];

  const { spans } = await receivedSpans();
  const inTrace = spans.filter((span) => span.traceId === traceId);
  const byName = Object.fromEntries(inTrace.map((span) => [span.name, span]));
  assert.deepEqual(Object.keys(byName).sort(), ['worker step', 'worker task']);
  assert.equal(byName['worker step'].parentSpanId, byName['worker task'].spanId);
  const serviceName = byName['worker task'].resource.attributes.find((kv) => kv.key === 'service.name');
  assert.equal(serviceName.value.stringValue, 'shop-web-worker');
  assert.deepEqual(pageErrors, []);
  await page.close();
});
