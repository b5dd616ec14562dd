// OTTL rules in the package (`otlp-collector/rules`): the same statements and drop
// conditions run by the package's WebAssembly core (its own linear-time pattern engine,
// JavaScript's number text and letter case) and by the OpenTelemetry Collector's
// `transform` and `filter` processors must give the same spans; a bad rule throws at
// construction naming it, a rule failing on a span is counted and reported, and the main
// entry (no engine) says where the engine is.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { installPackage, repoRoot, spansOfService, startReceiver } from './harness.mjs';
import { startOtelcol } from './otelcol.mjs';

let receiver;
let Collector;
let RulesCollector;

before(async () => {
  receiver = await startReceiver();
  const project = await installPackage();
  const require = createRequire(path.join(project, 'package.json'));
  ({ Collector } = require('otlp-collector'));
  ({ Collector: RulesCollector } = require('otlp-collector/rules'));
});

after(() => receiver?.stop());

// Written from the OTTL documentation's examples: redaction, renaming, patterns (classes,
// groups, `$` expansions, case folding beyond ASCII, globs), hashing, numbers as text.
const TRANSFORM = [
  'delete_key(attributes, "user.email")',
  'replace_pattern(attributes["url.full"], "([?&])(token|sig|X-Goog-Signature)=[^&#]*", "$1$2=REDACTED")',
  'replace_all_patterns(attributes, "value", "\\\\b\\\\d{4}(?:[ -]?\\\\d{4}){3}\\\\b", "****")',
  'replace_all_patterns(attributes, "key", "^legacy\\\\.(.*)$", "app.$1")',
  'set(attributes["http.route"], attributes["route"]) where attributes["route"] != nil',
  'delete_key(attributes, "route")',
  'set(name, Concat(["GET", attributes["http.route"]], " ")) where IsMatch(name, "(?i)^get\\\\b")',
  'replace_match(attributes["peer"], "*.internal", "internal")',
  'set(attributes["user.hash"], SHA256(attributes["user.id"])) where attributes["user.id"] != nil',
  'delete_key(attributes, "user.id")',
  'replace_pattern(attributes["greeting"], "(?i)ÉTÉ", "summer")',
  'set(attributes["place.upper"], ToUpperCase(attributes["place"])) where attributes["place"] != nil',
  'set(attributes["ratio.text"], String(attributes["ratio"])) where attributes["ratio"] != nil',
  'set(attributes["threshold"], 2.5e-3) where attributes["ratio"] != nil',
  'replace_pattern(attributes["log"], "(a|ab)(c|bcd)(d*)", "<$1|$2|$3>")',
  'replace_pattern(attributes["log"], "x*", "-")',
];
const DROP = [
  'attributes["url.path"] == "/health"',
  'IsMatch(name, "^ping-\\\\d+$")',
];

// What each span starts with: [name, attributes].
const SPANS = [
  // Numbers as the Collector writes them as text, on both sides of its cut-offs.
  ...[1e20, 123456789.125, 1e-6, 9.99e-7, 5e-324, -2.5].map((ratio, i) => [`number-${i}`, { case: 100 + i, ratio }]),
  ['GET /users/{id}', {
    case: 1, 'user.email': 'a@b.c', 'url.full': 'https://x.test/p?token=abc&a=1&sig=zz#f', route: '/users/{id}',
    'user.id': 'u-42', card: 'paid with 4111 1111 1111 1111 today',
  }],
  ['get items', { case: 2, 'legacy.region': 'eu', 'legacy.zone': 'b', peer: 'db.internal', route: '/items' }],
  ['health', { case: 3, 'url.path': '/health' }],
  ['ping-17', { case: 4 }],
  ['ping-x', { case: 5, greeting: 'Bel Été, été!', place: 'café', ratio: 1.5e-7 }],
  ['log', { case: 6, log: 'abcd', ratio: 1e21, 'url.full': 'https://x.test/?X-Goog-Signature=1' }],
];

function emit(collector) {
  for (const [name, attributes] of SPANS) collector.startSpan(name, { attributes }).end();
}

// Each span received for `service`, order-free: its name and attributes, keyed by `case`.
async function shaped(service, count) {
  const deadline = Date.now() + 20_000;
  let spans = [];
  while (Date.now() < deadline) {
    spans = await spansOfService(receiver, service);
    if (spans.length >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return new Map(spans.map((span) => {
    const attributes = Object.fromEntries(span.attributes.map(({ key, value }) => [key, value])
      .sort(([a], [b]) => (a < b ? -1 : 1)));
    return [Number(attributes.case.intValue), { name: span.name, attributes }];
  }));
}

function yamlList(indent, items) {
  // JSON strings are YAML double-quoted scalars.
  return items.map((item) => `${indent}- ${JSON.stringify(item)}`).join('\n');
}

test('the package runs OTTL rules as the Collector\'s transform and filter processors do', async (t) => {
  if (!process.env.OTLP_OTELCOL_BIN) {
    t.skip('OTLP_OTELCOL_BIN is not set: run through tests/run_all.sh');
    return;
  }
  const config = path.join(os.tmpdir(), `otelcol-rules-js-${process.pid}.yaml`);
  writeFileSync(config, `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: \${env:OTELCOL_GRPC_ENDPOINT}
      http:
        endpoint: \${env:OTELCOL_HTTP_ENDPOINT}
processors:
  transform:
    error_mode: ignore
    trace_statements:
      - context: span
        statements:
${yamlList('          ', TRANSFORM)}
  filter:
    error_mode: ignore
    traces:
      span:
${yamlList('        ', DROP)}
exporters:
  otlp_http:
    traces_endpoint: ${receiver.url}/v1/traces
    compression: none
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [transform, filter]
      exporters: [otlp_http]
`);
  const otelcol = await startOtelcol(path.relative(repoRoot, config));
  try {
    const theirs = new Collector({ endpoint: otelcol.httpUrl, serviceName: 'rules-theirs' });
    const errors = [];
    const ours = new RulesCollector({
      endpoint: `${receiver.url}/v1/traces`, serviceName: 'rules-ours', transform: TRANSFORM, dropSpans: DROP,
      onError: (error) => errors.push(error),
    });
    emit(theirs);
    emit(ours);
    assert.equal(await theirs.shutdown(), true);
    assert.equal(await ours.shutdown(), true);
    const kept = SPANS.length - 2;
    const expected = await shaped('rules-theirs', kept);
    const got = await shaped('rules-ours', kept);
    // The Collector's spans carry their own service name; everything else must agree.
    assert.deepEqual([...got.keys()].filter((key) => key < 100).sort(), [1, 2, 5, 6], 'the health check and ping-17 are dropped, ping-x is not');
    for (const [key, reference] of expected) assert.deepEqual(got.get(key), reference, `span ${key}`);
    assert.equal(expected.size, got.size);
    // The comparison covers what it claims: the rules did change the spans.
    assert.equal(got.get(1).name, 'GET /users/{id}');
    assert.equal(got.get(1).attributes['url.full'].stringValue, 'https://x.test/p?token=REDACTED&a=1&sig=REDACTED#f');
    assert.equal(got.get(1).attributes.card.stringValue, 'paid with **** today');
    assert.equal(got.get(2).attributes['app.region'].stringValue, 'eu');
    assert.equal(got.get(6).attributes['ratio.text'].stringValue, '1e+21');
    const stats = ours.stats();
    assert.equal(stats.filteredOut, 2);
    assert.equal(stats.collected, stats.exported + stats.dropped + stats.buffered + stats.filteredOut);
    assert.deepEqual(errors, []);
  } finally {
    otelcol.stop();
    rmSync(config, { force: true });
  }
});

test('the same rules reach a span the same way with the package\'s numbers and cases', async () => {
  // Without the Collector: what the case above relies on, checked on its own.
  const ours = new RulesCollector({
    endpoint: `${receiver.url}/v1/traces`, serviceName: 'rules-alone',
    transform: TRANSFORM, dropSpans: DROP,
  });
  emit(ours);
  assert.equal(await ours.shutdown(), true);
  const got = await shaped('rules-alone', SPANS.length - 2);
  assert.deepEqual([...got.keys()].filter((key) => key < 100).sort(), [1, 2, 5, 6]);
  assert.equal(got.get(5).attributes.greeting.stringValue, 'Bel summer, summer!');
  assert.equal(got.get(5).attributes['place.upper'].stringValue, 'CAFÉ');
  assert.equal(got.get(5).attributes['ratio.text'].stringValue, '1.5e-07');
  assert.equal(got.get(1).attributes['user.email'], undefined);
  assert.equal(got.get(1).attributes['user.hash'].stringValue.length, 64);
  assert.equal(got.get(2).attributes.peer.stringValue, 'internal');
  assert.equal(got.get(2).name, 'GET /items');
  assert.equal(got.get(6).attributes.log.stringValue, '-<-a-|-b-c-d-|->-', 'an empty match between every character, as Go replaces');
  assert.equal(got.get(6).attributes.threshold.doubleValue, 0.0025);
});

test('a rule that does not compile throws at construction, naming it and the column', () => {
  assert.throws(
    () => new RulesCollector({ transform: ['set(attributes["a"], 1)', 'delete_key(attributes, "x"'] }),
    /rule `delete_key\(attributes, "x"` is invalid at column \d+/,
  );
  assert.throws(
    () => new RulesCollector({ dropSpans: ['IsMatch(name, "(unclosed")'] }),
    /invalid regular expression "\(unclosed": missing closing \)/,
  );
  assert.throws(() => new RulesCollector({ transform: 'delete_key(attributes, "x")' }), /option transform must be an array of OTTL strings/);
  assert.throws(() => new RulesCollector({ dropSpans: [1] }), /option dropSpans must be an array of OTTL strings/);
  assert.throws(() => new RulesCollector({ transform: ['set(name, "a")\0'] }), /option transform must be an array of OTTL strings/);
});

test('the main entry has no rules engine and says where it is', () => {
  assert.throws(
    () => new Collector({ transform: ['delete_key(attributes, "x")'] }),
    /transform and dropSpans need 'otlp-collector\/rules'/,
  );
  // No rules: nothing to say.
  new Collector({ transform: [], dropSpans: null }).free();
});

test('a rule failing on a span is counted and reported, and the span is still delivered', async () => {
  const errors = [];
  const collector = new RulesCollector({
    endpoint: `${receiver.url}/v1/traces`, serviceName: 'rules-failing',
    transform: ['set(attributes["n"], Int(attributes["text"]))', 'set(attributes["after"], true)'],
    onError: (error) => errors.push(error),
  });
  collector.startSpan('fails', { attributes: { case: 1, text: 'abc' } }).end();
  assert.equal(await collector.flush(), true);
  const stats = collector.stats();
  assert.equal(stats.ruleErrors, 1);
  assert.equal(stats.exported, 1);
  const failed = errors.filter((error) => error.kind === 'rule-failed');
  assert.equal(failed.length, 1, errors.map(String).join('\n'));
  assert.match(failed[0].message, /set\(attributes\["n"\], Int\(attributes\["text"\]\)\)/);
  const [span] = (await shaped('rules-failing', 1)).values();
  assert.equal(span.attributes.after.boolValue, true, 'error_mode ignore: the next statement ran');
  assert.equal(span.attributes.n, undefined);
  await collector.shutdown();
});
