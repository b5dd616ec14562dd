// End to end: the www/ demo page in real Chromium exports to the loopback receiver — its
// automatic spans (page load, the click and the request it makes, an uncaught error, web
// vitals, the session) and those written by hand — and the receiver has them with the right
// names, attributes and parent/child links.
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

const attribute = (span, key) => {
  const value = span.attributes.find((kv) => kv.key === key)?.value;
  return value && ('intValue' in value ? Number(value.intValue) : value.stringValue ?? value.doubleValue ?? value.boolValue);
};

test('the demo shop traces itself: page load, a click and its request, errors, vitals, a session, a waterfall', async () => {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const { spans: before } = await receivedSpans();
  const known = new Set(before.map((span) => span.spanId));
  await page.goto(`${receiver.url}/?sessionIdleMs=1500`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');

  await page.click('#checkout');
  await page.waitForFunction(() => document.getElementById('log').textContent.includes('checkout:'));
  await page.click('#fail');
  await page.click('#crash');
  // Hidden: LCP is final and leaves (with keepalive), as does the page view.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.click('#flush');
  await page.waitForFunction(() => document.getElementById('log').textContent.includes('flush:'));
  assert.match(await page.textContent('#log'), /flush: everything collected so far was exported/);
  // The waterfall shows what arrived.
  await page.waitForFunction(() => document.getElementById('waterfall').textContent.includes('exception'));
  assert.match(await page.textContent('#waterfall'), /pay/);
  assert.deepEqual(pageErrors, ['demo: the cart service is unreachable'], 'only the error the crash button throws');

  const { spans: all, apiTraceparents } = await receivedSpans();
  const spans = all.filter((span) => !known.has(span.spanId));
  const named = (name) => spans.filter((span) => span.name === name);

  const [load] = named('documentLoad');
  assert.ok(load, 'the page load');
  const resources = spans.filter((span) => span.parentSpanId === load.spanId && span.name === 'resourceFetch')
    .map((span) => attribute(span, 'url.full'));
  assert.ok(resources.some((url) => url.endsWith('/main.js')), resources.join());
  assert.ok(named('documentFetch').some((span) => span.parentSpanId === load.spanId));

  const click = named('click').find((span) => attribute(span, 'target_xpath').includes('checkout'));
  assert.ok(click, 'the checkout click');
  const request = spans.find((span) => String(attribute(span, 'url.full')).endsWith('/api/cart'));
  assert.equal(request.parentSpanId, click.spanId, 'the request is the click\'s child');
  assert.equal(request.kind, 3, 'client');
  assert.equal(attribute(request, 'http.response.status_code'), 200);
  assert.ok(apiTraceparents.includes(`00-${request.traceId}-${request.spanId}-01`), 'the server saw the request span as its parent');
  assert.ok(!spans.some((span) => String(attribute(span, 'url.full')).includes('/received')), 'the waterfall\'s polling is ignored');

  assert.equal(named('pay')[0].status.message, 'card declined');
  const [crash] = named('exception');
  assert.equal(crash.status.code, 2);
  assert.match(attribute(crash.events[0], 'exception.stacktrace'), /the cart service is unreachable/);

  const vitals = named('browser.web_vital').map((span) => attribute(span, 'browser.web_vital.name'));
  for (const vital of ['TTFB', 'FCP', 'LCP']) assert.ok(vitals.includes(vital), `${vital} in ${vitals}`);

  const serviceName = click.resource.attributes.find((kv) => kv.key === 'service.name');
  assert.equal(serviceName.value.stringValue, 'shop-web');

  // The session outlives a reload, and a new one starts after the (shortened) idle limit.
  const session = attribute(click, 'session.id');
  assert.ok(spans.every((span) => attribute(span, 'session.id') === session), 'every span carries the session');
  await page.reload();
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  await page.click('#fail');
  await page.click('#flush');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await page.click('#fail');
  await page.click('#flush');
  await page.waitForFunction(() => document.getElementById('log').textContent.split('flush:').length > 2);
  const { spans: later } = await receivedSpans();
  const pays = later.filter((span) => span.name === 'pay' && !known.has(span.spanId))
    .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  assert.equal(pays.length, 3);
  assert.equal(attribute(pays[1], 'session.id'), session, 'the same session after a reload');
  assert.notEqual(attribute(pays[2], 'session.id'), session, 'a new session after idling');
  // The first span of the new session (the click on the button, here) names the old one.
  const renewal = later.filter((span) => attribute(span, 'session.previous_id') === session);
  assert.equal(renewal.length, 1);
  assert.equal(attribute(renewal[0], 'session.id'), attribute(pays[2], 'session.id'));
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
