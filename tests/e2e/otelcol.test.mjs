// The npm package against the OpenTelemetry Collector itself (tests/collector/, pinned
// release, OTLP_OTELCOL_BIN): in Node over OTLP/HTTP protobuf and JSON, plain and gzip, and
// in Chromium from a page on another origin, through the otlp receiver's CORS settings.
// The Collector forwards with its otlp_http exporter to a loopback receiver (official
// opentelemetry-proto decoding). Each case also sends the same spans straight to a second
// receiver, and every span must arrive through the Collector once and equal to that
// reference, field by field (span ids, random per collector, compared by role).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { installPackage, launchChromium, serveStatic, startReceiver } from './harness.mjs';
import { startOtelcol } from './otelcol.mjs';

let direct;
let through;
let otelcol;
let Collector;
let project;

before(async () => {
  direct = await startReceiver();
  through = await startReceiver();
  otelcol = await startOtelcol('tests/collector/forward.yaml', { OTELCOL_FORWARD_TO: `${through.url}/v1/traces` });
  project = await installPackage();
  const require = createRequire(path.join(project, 'package.json'));
  // The JSON cases use `otlp-collector/json`: the main entry writes OTLP/protobuf only.
  ({ Collector } = require('otlp-collector/json'));
});

after(() => {
  otelcol?.stop();
  direct?.stop();
  through?.stop();
});

// The spans every case sends, as code both Node and the page run: a server span continuing
// a remote parent (with trace state), a client child, attributes of every kind the API
// takes (NaN included), events with attributes and times, links with trace state, statuses.
const richSpans = (tag) => `
  const parent = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=abc,other=1' };
  const link = { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, traceState: 'linked=yes' },
    attributes: { 'link.reason': 'follows' } };
  const root = collector.startSpan('${tag}-root', {
    kind: 'server', parent, links: [link], startTime: new Date(1700000000000),
    attributes: { text: 'héllo wörld ✓', int: 42, negative: -7, double: 0.1 + 0.2, nan: NaN, flag: false,
      strings: ['a', 'b'], numbers: [1, 2.5], booleans: [true, false] },
  });
  root.addEvent('exception', { 'exception.type': 'TypeError', 'exception.message': 'refused' }, new Date(1700000000123));
  root.addEvent('second', new Date(1700000000223));
  const client = collector.startSpan('${tag}-client', { kind: 'client', parent: root, startTime: new Date(1700000000100),
    attributes: { 'http.request.method': 'GET', 'server.port': 443 } });
  client.setStatus('ok');
  client.end(new Date(1700000000200));
  root.setStatus('error', 'payment declined: card expired');
  root.end(new Date(1700000001000));
  collector.startSpan('${tag}-producer', { kind: 'producer', startTime: new Date(1700000002000) }).end(new Date(1700000002001));
`;
const SPANS_PER_CASE = 3;

// The spans named `tag-…` a receiver got: name → { count, resource, scope, span }, with
// span ids replaced by the name of the span they belong to, and random trace ids by
// '<random>' (the remote parent's and the links' are fixed, and stay).
async function arrived(receiver, tag) {
  const received = await (await fetch(`${receiver.url}/received`)).json();
  assert.deepEqual(received.decodeErrors, []);
  const spans = [];
  for (const resourceSpans of received.requests.flatMap((request) => request.resourceSpans)) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans.filter((candidate) => candidate.name.startsWith(`${tag}-`))) {
        spans.push({ resource: resourceSpans.resource, scope: scopeSpans.scope, span });
      }
    }
  }
  const roles = new Map(spans.map(({ span }) => [span.spanId, span.name]));
  const byName = new Map();
  for (const { resource, scope, span } of spans) {
    const seen = byName.get(span.name);
    if (seen) { seen.count++; continue; }
    const traceId = span.traceId === '4bf92f3577b34da6a3ce929d0e0e4736' ? span.traceId : '<random>';
    // An absent status reads as unset; the Collector writes it out.
    const status = span.status ?? { code: 0, message: '' };
    const normalized = { ...span, traceId, status, spanId: `<${span.name}>`, parentSpanId: roles.has(span.parentSpanId) ? `<${roles.get(span.parentSpanId)}>` : span.parentSpanId };
    byName.set(span.name, { count: 1, resource, scope, span: normalized });
  }
  return byName;
}

async function waitFor(receiver, tag, count) {
  const deadline = Date.now() + 20_000;
  let spans = new Map();
  while (Date.now() < deadline) {
    spans = await arrived(receiver, tag);
    if (spans.size >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return spans;
}

async function assertSameThroughTheCollector(tag) {
  const expected = await waitFor(direct, tag, SPANS_PER_CASE);
  const got = await waitFor(through, tag, SPANS_PER_CASE);
  assert.equal(expected.size, SPANS_PER_CASE, 'the reference arrived');
  assert.equal(got.size, SPANS_PER_CASE, `${got.size} of ${SPANS_PER_CASE} arrived through the Collector`);
  for (const [name, reference] of expected) {
    assert.equal(got.get(name).count, 1, `${name} arrived ${got.get(name).count} times`);
    assert.deepEqual(got.get(name), reference, name);
  }
  // The reference carries what the comparison claims to cover.
  const root = expected.get(`${tag}-root`).span;
  assert.equal(root.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(root.parentSpanId, '00f067aa0ba902b7');
  assert.equal(root.traceState, 'vendor=abc,other=1');
  assert.equal(root.links[0].traceState, 'linked=yes');
  assert.equal(root.events.length, 2);
  assert.equal(root.status.message, 'payment declined: card expired');
  assert.ok(root.attributes.some((attribute) => attribute.key === 'nan'), 'NaN is kept');
  assert.equal(expected.get(`${tag}-client`).span.parentSpanId, `<${tag}-root>`);
}

for (const [name, protocol, compression] of [
  ['node-protobuf', 'http/protobuf', 'none'],
  ['node-json', 'http/json', 'none'],
  ['node-protobuf-gzip', 'http/protobuf', 'gzip'],
  ['node-json-gzip', 'http/json', 'gzip'],
]) {
  test(`Node, ${protocol} (${compression}): every field crosses the Collector unchanged`, async () => {
    const options = { serviceName: 'otelcol-interop-node', protocol, compression, resourceAttributes: { 'deployment.environment.name': 'interop', 'host.cpu.count': 2 } };
    // The reference in the same encoding: OTLP/JSON carries NaN as a string.
    for (const endpoint of [otelcol.httpUrl, `${direct.url}/v1/traces`]) {
      const collector = new Collector({ ...options, endpoint });
      new Function('collector', richSpans(name))(collector);
      assert.equal(await collector.shutdown(), true);
      assert.equal(collector.stats().exported, SPANS_PER_CASE, JSON.stringify(collector.stats()));
    }
    await assertSameThroughTheCollector(name);
  });
}

test('Chromium, a page on another origin: the preflight protobuf forces passes the Collector\'s CORS rules, and every field crosses unchanged', async () => {
  const root = path.join(project, 'otelcol-page');
  await mkdir(root, { recursive: true });
  await cp(path.join(project, 'node_modules'), path.join(root, 'node_modules'), { recursive: true });
  const runs = [['browser-protobuf', 'http/protobuf', otelcol.httpUrl], ['browser-protobuf', 'http/protobuf', `${direct.url}/v1/traces`],
    ['browser-json', 'http/json', otelcol.httpUrl], ['browser-json', 'http/json', `${direct.url}/v1/traces`]];
  await writeFile(path.join(root, 'index.html'), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "otlp-collector": "/node_modules/otlp-collector/json/index.js" } }</script>
<script type="module">
  import { Collector } from 'otlp-collector';
  const results = [];
  for (const [tag, protocol, endpoint] of ${JSON.stringify(runs)}) {
    const collector = new Collector({ endpoint, protocol, serviceName: 'otelcol-interop-browser', onError: (error) => results.push(error.message) });
    new Function('collector', tag === 'browser-protobuf' ? ${JSON.stringify(richSpans('browser-protobuf'))} : ${JSON.stringify(richSpans('browser-json'))})(collector);
    results.push({ endpoint, delivered: await collector.shutdown(), stats: collector.stats() });
  }
  window.results = results;
</script>`);
  const server = await serveStatic(root);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/index.html`);
    const results = await page.waitForFunction(() => window.results, null, { timeout: 30_000 }).then((handle) => handle.jsonValue());
    for (const result of results) {
      assert.equal(typeof result, 'object', `reported: ${JSON.stringify(results)}`);
      assert.equal(result.delivered, true, JSON.stringify(result));
      assert.equal(result.stats.exported, SPANS_PER_CASE, JSON.stringify(result));
    }
    assert.notEqual(new URL(server.url).port, new URL(otelcol.httpUrl).port, 'the page is cross-origin to the Collector');
    await assertSameThroughTheCollector('browser-protobuf');
    await assertSameThroughTheCollector('browser-json');
  } finally {
    await browser.close();
    server.stop();
  }
});
