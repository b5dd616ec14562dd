// The JavaScript API's contract, tried the way an application can break it: after
// `new Collector(options)`, no method throws — whatever it is given, whenever it is called
// — and everything refused is counted in stats() and reported through onError. Runs
// against the installed package in Node (the same module as in browsers) and the loopback
// receiver, which decodes with the official opentelemetry-proto types.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { installPackage, startReceiver } from './harness.mjs';

let receiver;
let Collector;
// `otlp-collector/json` and `/gzip`: the main entry writes uncompressed OTLP/protobuf only.
let JsonCollector;
let GzipCollector;

before(async () => {
  receiver = await startReceiver();
  const project = await installPackage();
  const require = createRequire(path.join(project, 'package.json'));
  ({ Collector } = require('otlp-collector'));
  ({ Collector: JsonCollector } = require('otlp-collector/json'));
  ({ Collector: GzipCollector } = require('otlp-collector/gzip'));
});

after(() => receiver?.stop());

// Spans the receiver decoded whose name starts with `prefix` (or, given a function, that
// it accepts with their resource).
async function receivedSpans(prefix) {
  const received = await (await fetch(`${receiver.url}/received`)).json();
  assert.deepEqual(received.decodeErrors, []);
  const wanted = typeof prefix === 'function' ? prefix : (span) => span.name.startsWith(prefix);
  return received.requests.flatMap((request) => request.resourceSpans.flatMap((resource) =>
    resource.scopeSpans.flatMap((scope) => scope.spans.filter((span) => wanted(span, resource.resource)))));
}

const serviceName = (resource) =>
  resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue;

function balanced(stats) {
  return stats.collected === stats.exported + stats.dropped + stats.buffered;
}

// Values an application might pass by mistake, or on purpose.
const throwing = new Proxy({}, {
  get() { throw new Error('hostile getter'); },
  ownKeys() { throw new Error('hostile ownKeys'); },
});
const hostile = [
  undefined, null, {}, [], [[1]], [1, 'mixed'], Symbol('s'), 'x'.repeat(1 << 20), NaN, -1,
  Infinity, 10n, () => 1, new Date(NaN), throwing, Object.create(null),
];

test('no span or collector method throws, whatever it is given and whenever it is called', async () => {
  const errors = [];
  const prefix = `contract-${Date.now()}`;
  const service = `contract-${Date.now()}`;
  const collector = new Collector({
    endpoint: `${receiver.url}/v1/traces`, serviceName: service, maxQueueSize: 8, batchSize: 8,
    batchTimeoutMs: 60000, onError: (error) => errors.push(error),
  });
  const calls = (span) => [
    (v) => span.setAttribute(v, v), (v) => span.setAttribute('k', v), (v) => span.setAttributes(v),
    (v) => span.addEvent(v, v, v), (v) => span.addEvent('e', v), (v) => span.addLink(v),
    (v) => span.addLinks(v), (v) => span.setStatus(v, v), (v) => span.updateName(v),
    (v) => span.recordException(v, v), () => span.isRecording(), () => span.spanContext(),
    () => span.traceparent(), () => span.tracestate(),
  ];
  for (const value of hostile) {
    const span = collector.startSpan(`${prefix}-open`, { kind: value, attributes: value, parent: value, links: value, startTime: value });
    for (const call of calls(span)) assert.doesNotThrow(() => call(value));
    assert.doesNotThrow(() => collector.startSpan(value, value));
    assert.doesNotThrow(() => span.end(value));
    // On an ended span: ignored and counted.
    for (const call of calls(span)) assert.doesNotThrow(() => call(value));
    assert.doesNotThrow(() => span.end());
  }
  // A full buffer (8 spans): ending more drops and counts them, without throwing.
  for (let i = 0; i < 20; i++) assert.doesNotThrow(() => collector.startSpan(`${prefix}-full`).end());
  let stats = collector.stats();
  assert.ok(stats.droppedBufferFull > 0, JSON.stringify(stats));
  assert.ok(stats.refusedValues > 0 && stats.ignoredCalls > 0, JSON.stringify(stats));
  assert.ok(balanced(stats), JSON.stringify(stats));

  assert.equal(await collector.flush(), true);
  const open = collector.startSpan(`${prefix}-after-shutdown`);
  assert.equal(await collector.shutdown(), true);
  assert.equal(await collector.shutdown(), true, 'a second shutdown answers like the first');
  assert.equal(await collector.flush(), true);
  assert.doesNotThrow(() => open.end());
  assert.doesNotThrow(() => collector.startSpan(`${prefix}-late`).end());
  stats = collector.stats();
  assert.equal(stats.droppedShutdown, 2, JSON.stringify(stats));
  assert.ok(balanced(stats) && stats.buffered === 0, JSON.stringify(stats));
  assert.doesNotThrow(() => collector.free());
  assert.doesNotThrow(() => collector.free());
  assert.doesNotThrow(() => collector.startSpan('after-free', { parent: '00-x' }).end());
  assert.doesNotThrow(() => collector.stats());
  assert.equal(typeof await collector.flush(), 'boolean');

  const kinds = new Set(errors.map((error) => error.kind));
  for (const kind of ['invalid-argument', 'ignored-call', 'buffer-full', 'shut-down']) {
    assert.ok(kinds.has(kind), `no ${kind} report in ${[...kinds]}`);
  }
  for (const error of errors) {
    assert.ok(error instanceof Error && error.count >= 1);
    assert.doesNotMatch(error.message, /max_queue_size|collect_or_wait|Rust|wasm-bindgen/, error.message);
  }
  const full = errors.find((error) => error.kind === 'buffer-full');
  assert.match(full.message, /maxQueueSize 8/);
  // Rate-limited: thousands of refusals, a handful of calls.
  assert.ok(errors.length < 20, `${errors.length} onError calls`);
  // Every span that left arrived, its refused values counted in dropped attributes.
  const arrived = await receivedSpans((span, resource) => serviceName(resource) === service);
  assert.equal(arrived.length, stats.exported);
  assert.ok(arrived.some((span) => span.droppedAttributesCount > 0));
});

test('a throwing onError, and no onError at all, still never reach the application', async () => {
  const collector = new Collector({
    endpoint: `${receiver.url}/v1/traces`, onError: () => { throw new Error('the app is broken'); },
  });
  assert.doesNotThrow(() => collector.startSpan('x').setAttribute('k', {}).end());
  const warnings = [];
  const warn = console.warn;
  console.warn = (message) => warnings.push(message);
  try {
    const quiet = new Collector({ endpoint: `${receiver.url}/v1/traces` });
    for (let i = 0; i < 100; i++) quiet.startSpan('x').setAttribute('k', undefined).end();
    assert.equal(warnings.length, 1, 'console.warn once per kind');
    await quiet.shutdown();
  } finally {
    console.warn = warn;
  }
  await collector.shutdown();
});

test('a refused export resolves flush to false, reported, never rejected', async () => {
  const errors = [];
  const collector = new Collector({ endpoint: `${receiver.url}/v1/traces`, onError: (error) => errors.push(error) });
  const script = await fetch(`${receiver.url}/script`, { method: 'POST', body: '[{"status": 400}]' });
  assert.equal(script.status, 204);
  collector.startSpan('refused').end();
  // Not awaited at first on purpose: were it to reject, the rejection would be unhandled
  // and end the Node process.
  const flushed = collector.flush();
  assert.equal(await flushed, false);
  assert.ok(errors.some((error) => error.kind === 'export-failed' && /HTTP 400/.test(error.message)),
    errors.map((error) => error.message).join('\n'));
  const stats = collector.stats();
  assert.equal(stats.droppedRejected, 1, JSON.stringify(stats));
  assert.equal(await collector.shutdown(), true, 'nothing was left to lose');
});

test('OpenTelemetry-style spans: times, exceptions, links, names, context and tracestate', async () => {
  const prefix = `otel-style-${Date.now()}`;
  const collector = new JsonCollector({ endpoint: `${receiver.url}/v1/traces`, protocol: 'http/json' });
  const start = Date.now() - 5000;
  const parent = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=abc' };
  const span = collector.startSpan(`${prefix}-draft`, { kind: 1, parent, startTime: new Date(start) });
  assert.equal(span.isRecording(), true);
  span.updateName(`${prefix}-request`);
  span.recordException(new TypeError('bad input'));
  const other = collector.startSpan(`${prefix}-other`);
  span.addLink({ context: other.spanContext(), attributes: { why: 'follows' } });
  span.setStatus({ code: 2, message: 'failed' });
  const context = span.spanContext();
  assert.equal(context.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(context.traceState, 'vendor=abc');
  assert.equal(span.tracestate(), 'vendor=abc');
  span.end(performance.now() - 1000);
  assert.equal(span.isRecording(), false);
  other.end();
  assert.equal(await collector.shutdown(), true);

  const [received] = (await receivedSpans(prefix)).filter((s) => s.name === `${prefix}-request`);
  assert.ok(received, 'the renamed span arrived');
  assert.equal(received.kind, 2, 'SpanKind.SERVER');
  assert.equal(received.parentSpanId, '00f067aa0ba902b7');
  assert.equal(received.traceState, 'vendor=abc');
  const startMs = Number(BigInt(received.startTimeUnixNano) / 1000000n);
  const endMs = Number(BigInt(received.endTimeUnixNano) / 1000000n);
  assert.ok(Math.abs(startMs - start) <= 1, `${startMs} vs ${start}`);
  assert.ok(Math.abs(endMs - (Date.now() - 1000)) < 1000, `end ${endMs}`);
  const exception = received.events.find((event) => event.name === 'exception');
  const attribute = (key) => exception.attributes.find((a) => a.key === key)?.value.stringValue;
  assert.equal(attribute('exception.type'), 'TypeError');
  assert.equal(attribute('exception.message'), 'bad input');
  assert.match(attribute('exception.stacktrace'), /TypeError: bad input/);
  assert.equal(received.links.length, 1);
  assert.equal(received.links[0].spanId, other.spanContext().spanId);
  assert.equal(received.status.code, 2);
  assert.equal(received.status.message, 'failed');
});

test('sampling: a share of traces by trace id, parents\' decisions honoured, whole sessions; unsampled spans record nothing', async () => {
  const prefix = `sampling-${Date.now()}`;
  const endpoint = `${receiver.url}/v1/traces`;
  const collector = new Collector({ endpoint, sampleRatio: 0.25, batchTimeoutMs: 60000, maxQueueSize: 8192, batchSize: 512 });
  let sampled = 0;
  for (let i = 0; i < 2000; i++) {
    const root = collector.startSpan(`${prefix}-root`);
    const child = collector.startSpan(`${prefix}-child`, { parent: root });
    assert.equal(child.isRecording(), root.isRecording(), 'a child follows its parent');
    assert.equal(root.traceparent().endsWith('-01'), root.isRecording(), 'the decision travels in traceparent');
    if (root.isRecording()) sampled++;
    child.setAttribute('ignored when unsampled', 1).addEvent('e');
    child.end();
    root.end();
  }
  assert.ok(sampled > 400 && sampled < 600, `${sampled} of 2000 traces at 0.25`);
  assert.equal(await collector.flush(), true);
  const stats = collector.stats();
  assert.equal(stats.exported, 2 * sampled);
  assert.equal(stats.sampledOut, 2 * (2000 - sampled), 'unsampled spans are counted apart');
  assert.equal(stats.ignoredCalls, 0, 'calls on unsampled spans are no mistake');
  assert.equal((await receivedSpans(`${prefix}-root`)).length, sampled);

  // A remote parent's decision wins over the collector's ratio, either way.
  const sampledParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const unsampledParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
  const none = new Collector({ endpoint, sampleRatio: 0 });
  assert.equal(none.startSpan('remote').isRecording(), false);
  assert.equal(none.startSpan('remote', { parent: sampledParent }).isRecording(), true);
  assert.equal(new Collector({ endpoint }).startSpan('remote', { parent: unsampledParent }).isRecording(), false);
  assert.throws(() => new Collector({ sampleRatio: 2 }), /sampleRatio/);

  // Whole sessions: every trace of one session shares its decision.
  const project = await installPackage();
  const { trackSession } = await import(path.join(project, 'node_modules/otlp-collector/instrumentation/session.js'));
  for (const [sampleRate, expected] of [[0, false], [1, true]]) {
    const inSession = new Collector({ endpoint });
    trackSession(inSession, { sampleRate });
    const decisions = new Set(Array.from({ length: 50 }, () => inSession.startSpan(`${prefix}-session`).isRecording()));
    assert.deepEqual([...decisions], [expected], `sampleRate ${sampleRate}`);
  }
  const halves = new Collector({ endpoint });
  trackSession(halves, { sampleRate: 0.5 });
  assert.equal(new Set(Array.from({ length: 200 }, () => halves.startSpan('one-session').isRecording())).size, 1,
    'a session is sampled whole or not at all');
});

test('an instrumented fetch answers exactly as the original would, whatever it is given', async () => {
  const project = await installPackage();
  const { instrumentFetch } = await import(path.join(project, 'node_modules/otlp-collector/instrumentation/fetch.js'));
  const target = `${receiver.url}/received`;
  const calls = [
    [target], [new URL(target)], [new Request(target)], [target, { method: 'HEAD' }],
    [target, { headers: [['x-a', '1']] }], [target, { headers: new Headers({ 'x-b': '2' }) }],
    [new Request(target, { headers: { 'x-c': '3' } }), { method: 'GET' }],
    [target, { method: 'bogus method' }], [target, null], ['not a url'], [undefined], [12],
    ['http://127.0.0.1:9/'], [target, { signal: AbortSignal.abort() }], [target, { headers: { 'bad header': 'x' } }],
  ];
  // How a call came out: the status, or the error's name.
  const outcome = (promise) => Promise.resolve(promise).then((response) => response.status, (error) => error.name);
  const original = await Promise.all(calls.map((args) => outcome(fetch(...args))));
  const collector = new Collector({ endpoint: `${receiver.url}/v1/traces` });
  const stop = instrumentFetch(collector, { propagateTo: [receiver.url] });
  try {
    const instrumented = await Promise.all(calls.map((args) => outcome(globalThis.fetch(...args))));
    assert.deepEqual(instrumented, original);
  } finally {
    stop();
  }
  assert.equal(globalThis.fetch, fetch, 'stop() puts the original back');
  assert.equal(await collector.shutdown(), true);
  const stats = collector.stats();
  assert.ok(stats.exported >= 8, JSON.stringify(stats));
  assert.equal(stats.refusedValues + stats.ignoredCalls, 0, JSON.stringify(stats));
});

test('hooks, sampling and instrumentation options refuse hostile input without throwing into the application', async () => {
  const endpoint = `${receiver.url}/v1/traces`;
  for (const ratio of [NaN, -0.1, 1.5, Infinity, '0.5', {}, true]) {
    assert.throws(() => new Collector({ endpoint, sampleRatio: ratio }), /option sampleRatio must be a number from 0 to 1/);
  }
  const errors = [];
  const collector = new Collector({ endpoint, onError: (error) => errors.push(error) });
  for (const value of hostile) {
    assert.doesNotThrow(() => collector.onSpanStart(value)());
    assert.doesNotThrow(() => collector.sampleIf(value)());
  }
  const functions = hostile.filter((value) => typeof value === 'function').length;
  assert.equal(collector.stats().refusedValues, 2 * (hostile.length - functions), 'each non-function refused and counted');
  // Callbacks that throw: the span still starts, sampled, and the throw is reported.
  const stopHook = collector.onSpanStart(() => { throw new Error('hook broke'); });
  const stopCondition = collector.sampleIf(() => { throw new Error('condition broke'); });
  const span = collector.startSpan('despite-callbacks');
  assert.equal(span.isRecording(), true);
  span.end();
  stopHook();
  stopCondition();
  assert.ok(errors.some((error) => error.kind === 'internal' && /hook broke|condition broke/.test(error.message)));

  const project = await installPackage();
  const load = (name) => import(path.join(project, `node_modules/otlp-collector/instrumentation/${name}.js`));
  const { instrumentFetch } = await load('fetch');
  const { trackSession } = await load('session');
  // Options of the wrong shapes, and a redactUrl that throws: requests answer as before.
  const target = `${receiver.url}/received`;
  const stop = instrumentFetch(collector, {
    propagateTo: 'everything', ignoreUrls: 5, redactUrl: () => { throw new Error('redact broke'); },
    // Rules of every wrong kind: none matches, none throws.
    propagateExcept: [null, 42, 'http://[not a url', {}, Symbol('s'), () => true, /unused/],
    // Query keys of every wrong kind: only strings count, none throws.
    redactQueryParameters: [null, Symbol('s'), {}, 7, 'token'],
  });
  try {
    assert.equal((await fetch(target)).status, 200);
    assert.equal(await fetch('http://127.0.0.1:9/').then(() => 'answered', (error) => error.name), 'TypeError');
  } finally {
    stop();
  }
  // Storage holding garbage and refusing writes, and odd session options: spans still get a
  // session of the page's own.
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'sessionStorage');
  Object.defineProperty(globalThis, 'sessionStorage', {
    configurable: true,
    value: { getItem: () => '{not json', setItem: () => { throw new Error('quota exceeded'); } },
  });
  try {
    const inSession = new Collector({ endpoint });
    assert.doesNotThrow(() => trackSession(inSession, { storage: {}, inactivityMs: -5, maxDurationMs: 'long', sampleRate: 7 }));
    const first = inSession.startSpan('a');
    const second = inSession.startSpan('b');
    assert.equal(first.isRecording() && second.isRecording(), true, 'an out-of-range sampleRate samples everything');
    first.end();
    second.end();
    assert.equal(await inSession.shutdown(), true);
  } finally {
    if (saved) Object.defineProperty(globalThis, 'sessionStorage', saved);
    else delete globalThis.sessionStorage;
  }
  assert.equal(await collector.shutdown(), true);
});

// A span-name prefix unique to this run: the receiver outlives a single test.
const unique = (name) => `${name}-${Date.now()}-${Math.random().toString(16).slice(2)}`;

test('bad options throw errors naming the option; no options take every default', () => {
  const endpoint = `${receiver.url}/v1/traces`;
  const cases = [
    ['not an object', 'options must be an object'],
    [{ protocol: 'grpc/xml' }, 'protocol'],
    // The main entry leaves the JSON and gzip encoders out (its module says so: speaks).
    [{ protocol: 'http/json' }, "'otlp-collector/json'"],
    [{ compression: 'gzip' }, "'otlp-collector/gzip'"],
    [{ compression: 'brotli' }, 'compression'],
    [{ batchSize: -1 }, 'batchSize'],
    [{ batchTimeoutMs: 1.5 }, 'batchTimeoutMs'],
    [{ maxQueueSize: 'big' }, 'maxQueueSize'],
    [{ endpoint: 'not a url' }, 'endpoint'],
    [{ headers: 'x=1' }, 'headers'],
    [{ endpoint, batchSize: 5000 }, 'batchSize (5000) must not exceed maxQueueSize'],
    [{ onError: 'log' }, 'onError'],
  ];
  for (const [options, expected] of cases) {
    assert.throws(() => new Collector(options), (error) => error instanceof Error && error.message.includes(expected),
      `${JSON.stringify(options)} should be refused naming ${expected}`);
  }
  const collector = new Collector();
  assert.equal(collector.stats().collected, 0);
  collector.free();
});

test('the JavaScript API records and exports spans: kinds, parents, attributes, events, status', async () => {
  const collector = new JsonCollector({
    endpoint: `${receiver.url}/v1/traces`, serviceName: 'js-api', protocol: 'http/json',
  });
  const prefix = unique('js-api');
  const parent = collector.startSpan(`${prefix}-parent`, { kind: 'server', attributes: { 'cart.items': 3 } });
  const traceparent = parent.traceparent();
  const child = collector.startSpan(`${prefix}-child`, { parent: traceparent });
  child.setAttribute('payment.method', 'card');
  child.setAttributes({ a: 1, b: true });
  child.addEvent('clicked', { button: 'pay' });
  child.setStatus('error', 'card declined');
  // Refused and ignored, never thrown: counted, and the span still leaves.
  child.setAttribute('bad', {});
  child.setStatus('maybe');
  child.end();
  child.end();
  parent.end();
  assert.equal(await collector.flush(), true);

  const stats = collector.stats();
  assert.equal(stats.exported, 2);
  assert.equal(stats.droppedBufferFull, 0);
  assert.equal(stats.refusedValues, 2);
  assert.equal(stats.ignoredCalls, 1, 'the second end()');
  const spans = await receivedSpans(prefix);
  assert.equal(spans.length, 2);
  const received = spans.find((span) => span.name.endsWith('-child'));
  assert.equal(received.parentSpanId, traceparent.split('-')[2]);
  assert.equal(received.attributes.length, 3);
  assert.equal(received.droppedAttributesCount, 1);
  assert.equal(received.status.message, 'card declined');
  assert.equal(received.events[0].name, 'clicked');
  await collector.shutdown();

  // Compressed: the receiver inflates with flate2, which checks our CRC-32 and length.
  const gzipped = new GzipCollector({ endpoint: `${receiver.url}/v1/traces`, compression: 'gzip' });
  const gzipPrefix = unique('js-gzip');
  gzipped.startSpan(gzipPrefix).end();
  assert.equal(await gzipped.shutdown(), true);
  const { requests, contentEncodings } = await (await fetch(`${receiver.url}/received`)).json();
  const encodings = requests.flatMap((request, i) => (request.resourceSpans.some((resource) =>
    resource.scopeSpans.some((scope) => scope.spans.some((span) => span.name === gzipPrefix))) ? [contentEncodings[i]] : []));
  assert.deepEqual(encodings, ['gzip']);
});

test('spans are counted as they end, and a full buffer drops without throwing', async () => {
  const collector = new Collector({ endpoint: `${receiver.url}/v1/traces`, maxQueueSize: 4, batchSize: 4 });
  const prefix = unique('js-full');
  const parent = collector.startSpan(`${prefix}-parent`);
  const parentContext = parent.traceparent().split('-');
  const dropped = [];
  for (let i = 0; i < 5; i++) {
    const child = collector.startSpan(`${prefix}-child`, { parent });
    assert.equal(child.traceparent().split('-')[1], parentContext[1], 'a child of a span is in its trace');
    child.end();
    dropped.push(collector.stats().droppedBufferFull);
  }
  assert.deepEqual(dropped, [0, 0, 0, 0, 1], 'the fifth span does not fit a queue of four');
  parent.end();

  // Counted as they ended, before any export or microtask ran.
  const stats = collector.stats();
  assert.equal(stats.collected, 6);
  assert.equal(stats.buffered, 4);
  assert.equal(stats.droppedBufferFull, 2);

  await collector.flush();
  const spans = await receivedSpans(prefix);
  assert.equal(spans.length, 4);
  for (const span of spans) assert.equal(span.parentSpanId, parentContext[2]);
  assert.equal(collector.stats().exported, 4);
  await collector.shutdown();
});

test('names and keys arrive intact whether interned or not', async () => {
  const collector = new Collector({ endpoint: `${receiver.url}/v1/traces` });
  const prefix = unique('js-symbols');
  // 1,200 distinct keys: more than the symbol table holds (1,024), so the later ones travel
  // as text; a 64-unit key of two-byte characters is the longest interned, one more unit
  // is not.
  const internedAtMost = 'é'.repeat(64);
  const tooLong = 'é'.repeat(65);
  const longName = `${prefix}-${'n'.repeat(100)}`;
  for (let i = 0; i < 12; i++) {
    const span = collector.startSpan(i === 0 ? longName : `${prefix}-${i}`);
    for (let j = 0; j < 100; j++) span.setAttribute(`k${i}-${j}`, j);
    span.setAttribute(internedAtMost, 'a');
    span.setAttribute(tooLong, 'b');
    span.addEvent(`event-${i}`);
    span.end();
  }
  await collector.flush();

  const spans = await receivedSpans(prefix);
  assert.equal(spans.length, 12);
  for (const span of spans) {
    const i = span.name === longName ? 0 : Number(span.name.split('-').pop());
    const expected = [...Array.from({ length: 100 }, (_, j) => `k${i}-${j}`), internedAtMost, tooLong];
    assert.deepEqual(span.attributes.map((attribute) => attribute.key), expected, `span ${span.name}`);
    assert.equal(span.events[0].name, `event-${i}`);
  }
  await collector.shutdown();
});

test('odd input is handled without a trap: lone surrogates, NaN, infinities, nested arrays', async () => {
  const collector = new Collector({ endpoint: `${receiver.url}/v1/traces`, serviceName: 'js-odd-input', onError: () => {} });
  const prefix = unique('js-odd');
  // A lone surrogate cannot be UTF-8: it arrives as U+FFFD, the span is not lost.
  const span = collector.startSpan(`${prefix}-\uD800`);
  span.setAttribute('nan', NaN);
  span.setAttribute('infinity', Infinity);
  span.setAttribute('big', 1e300);
  span.setAttribute('lone', '\uD800');
  for (const bad of [undefined, null, {}]) span.setAttribute('bad', bad);
  span.setAttribute('nested', [[]]);
  span.end();
  assert.equal(collector.stats().refusedValues, 4);
  await collector.flush();

  const spans = await receivedSpans(prefix);
  assert.equal(spans.length, 1);
  assert.ok(spans[0].name.endsWith('\uFFFD'), spans[0].name);
  // NaN, ±Infinity and lone surrogates travel (protobuf keeps the doubles exactly).
  assert.equal(spans[0].attributes.length, 4);
  assert.equal(spans[0].droppedAttributesCount, 4);
  await collector.shutdown();
});
