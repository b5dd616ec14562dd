// The package steered by a real OpAMP server (tests/opamp_server/, opamp-go's server
// package, built by tests/install_toolchain.sh into OTLP_OPAMP_SERVER_BIN): the
// `otlp-collector/opamp` and `/managed` entries in Node, polling the server with the
// exporter's fetch. Each test reads what the server was told through its control API,
// pushes a remote configuration, and watches what the collector does with the next spans.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { installPackage, launchChromium, pageRoot, serveStatic, spansOfService, startReceiver } from './harness.mjs';
import { freePort } from './otelcol.mjs';

const WAIT_MS = 20_000;
const POLL_MS = 100;

let receiver;
let server;
let OpampCollector;
let ManagedCollector;
let Collector;
let project;

async function startOpampServer() {
  const binary = process.env.OTLP_OPAMP_SERVER_BIN;
  if (!binary) return null;
  const [opamp, control] = [await freePort(), await freePort()];
  const child = spawn(binary, ['-opamp', `127.0.0.1:${opamp}`, '-control', `127.0.0.1:${control}`], { stdio: 'ignore' });
  const controlUrl = `http://127.0.0.1:${control}`;
  const started = Date.now();
  for (;;) {
    try {
      await fetch(`${controlUrl}/agents`);
      break;
    } catch {
      if (Date.now() - started > WAIT_MS) throw new Error('the OpAMP server did not listen');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    endpoint: `http://127.0.0.1:${opamp}/v1/opamp`,
    agents: async () => (await fetch(`${controlUrl}/agents`)).json(),
    setConfig: async (body) => (await (await fetch(`${controlUrl}/config`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body,
    })).text()).trim(),
    askFullState: () => fetch(`${controlUrl}/report-full-state`, { method: 'POST' }),
    stop: () => child.kill(),
  };
}

before(async () => {
  receiver = await startReceiver();
  server = await startOpampServer();
  project = await installPackage();
  const require = createRequire(path.join(project, 'package.json'));
  ({ Collector } = require('otlp-collector'));
  ({ Collector: OpampCollector } = require('otlp-collector/opamp'));
  ({ Collector: ManagedCollector } = require('otlp-collector/managed'));
});

after(() => {
  receiver?.stop();
  server?.stop();
});

// The agent whose service.name is `service`, once `check` holds for it.
async function agentWhen(service, what, check) {
  const deadline = Date.now() + WAIT_MS;
  let agents = {};
  while (Date.now() < deadline) {
    agents = await server.agents();
    const agent = Object.values(agents).find((candidate) => candidate.identifying?.['service.name']?.string === service);
    if (agent && check(agent)) return agent;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${service}: ${what} within ${WAIT_MS} ms; the server has ${JSON.stringify(agents, null, 2)}`);
}

// Pushes `body` and waits until the agent reports it `status` (APPLIED or FAILED).
async function push(service, body, status) {
  const hash = await server.setConfig(body);
  return agentWhen(service, `${status} for ${body}`, (agent) => agent.remoteHash === hash
    && agent.remoteStatus === `RemoteConfigStatuses_${status}`);
}

const effective = (agent) => JSON.parse(agent.effectiveConfig?.[''] ?? '{}');

function options(service, extra = {}) {
  return {
    endpoint: `${receiver.url}/v1/traces`, serviceName: service, batchTimeoutMs: 50,
    resourceAttributes: { 'service.namespace': 'shop' },
    opamp: { endpoint: server.endpoint, pollIntervalMs: POLL_MS, headers: { authorization: 'Bearer opamp-secret' } },
    ...extra,
  };
}

test('the server sees the page\'s agent with its description, capabilities, health and configuration, and its goodbye', async (t) => {
  if (!server) return t.skip('OTLP_OPAMP_SERVER_BIN is not set: run through tests/run_all.sh');
  const collector = new OpampCollector(options('js-opamp-described', { opamp: {
    endpoint: server.endpoint, pollIntervalMs: POLL_MS, instanceUid: '0190f5e3-7a6b-7c00-8000-00000000abcd',
  } }));
  const agent = await agentWhen('js-opamp-described', 'healthy', (candidate) => candidate.healthy === true);
  assert.equal(agent.identifying['service.namespace'].string, 'shop');
  assert.equal(agent.nonIdentifying['telemetry.sdk.language'].string, 'webjs');
  assert.equal(agent.capabilities, 0x1 | 0x2 | 0x4 | 0x800 | 0x1000 | 0x2000);
  assert.equal(effective(agent).endpoint, `${receiver.url}/v1/traces`);
  const agents = await server.agents();
  assert.ok(agents['0190f5e37a6b7c00800000000000abcd'], 'the instance uid given');
  assert.equal(await collector.shutdown(), true);
  await agentWhen('js-opamp-described', 'a goodbye', (candidate) => candidate.disconnected === true);
});

test('a remote sampling ratio, the export switch and batch settings take effect in the page', async (t) => {
  if (!server) return t.skip('OTLP_OPAMP_SERVER_BIN is not set: run through tests/run_all.sh');
  const service = 'js-opamp-sampled';
  const collector = new OpampCollector(options(service));
  const agent = await push(service, '{"sampler": {"ratio": 0.25}, "batch": {"size": 10, "timeoutMs": 40}}', 'APPLIED');
  assert.deepEqual(effective(agent).sampler, { type: 'parentbased_traceidratio', ratio: 0.25 });
  // The sampler is read when a span starts: the next poll has set it.
  await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
  const traces = 4000;
  for (let i = 0; i < traces; i++) collector.startSpan('sampled').end();
  assert.equal(await collector.flush(), true);
  const kept = (await spansOfService(receiver, service)).filter((span) => span.name === 'sampled').length;
  const sigma = Math.sqrt(traces * 0.25 * 0.75);
  assert.ok(Math.abs(kept - traces * 0.25) < 5 * sigma, `${kept} of ${traces} kept at ratio 0.25`);
  await push(service, '{"export": false}', 'APPLIED');
  await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
  for (let i = 0; i < 50; i++) collector.startSpan('while-off').end();
  assert.equal(await collector.flush(), true);
  const stats = collector.stats();
  assert.equal(stats.filteredOut, 50, 'export off: taken and counted, not sent');
  assert.equal((await spansOfService(receiver, service)).filter((span) => span.name === 'while-off').length, 0);
  assert.equal(await collector.shutdown(), true);
});

test('rules pushed to the managed entry redact the next spans; a bad configuration is FAILED and changes nothing; the opamp entry has no rules engine', async (t) => {
  if (!server) return t.skip('OTLP_OPAMP_SERVER_BIN is not set: run through tests/run_all.sh');
  const service = 'js-opamp-managed';
  const collector = new ManagedCollector(options(service));
  await push(service, '{"transform": ["delete_key(attributes, \\"user.email\\")"]}', 'APPLIED');
  collector.startSpan('checkout', { attributes: { 'user.email': 'a@b.c', kept: 1 } }).end();
  assert.equal(await collector.flush(), true);
  const [span] = (await spansOfService(receiver, service)).filter((candidate) => candidate.name === 'checkout');
  assert.deepEqual(span.attributes.map((attribute) => attribute.key), ['kept']);
  const failed = await push(service, '{"transform": ["delete_key(attributes"]}', 'FAILED');
  assert.match(failed.remoteError, /rule `delete_key\(attributes` is invalid at column/);
  assert.deepEqual(effective(failed).transform, ['delete_key(attributes, "user.email")']);
  await collector.shutdown();

  const plain = new OpampCollector(options('js-opamp-no-rules'));
  const refused = await push('js-opamp-no-rules', '{"transform": ["delete_key(attributes, \\"a\\")"]}', 'FAILED');
  assert.match(refused.remoteError, /the `transform` cargo feature/);
  await plain.shutdown();
});

test('the main entry has no agent and says where it is; a bad opamp option throws naming it', () => {
  assert.throws(() => new Collector({ opamp: { endpoint: 'http://127.0.0.1:1/v1/opamp' } }), /opamp needs 'otlp-collector\/opamp'/);
  for (const [opamp, message] of [
    ['http://x', /option opamp must be an object/],
    [{ endpoint: 'ftp://x' }, /option opamp.endpoint 'ftp:\/\/x' is not a usable URL/],
    [{ endpoint: 'http://x', pollIntervalMs: 0 }, /option opamp.pollIntervalMs must be a positive whole number/],
    [{ endpoint: 'http://x', instanceUid: 'xyz' }, /option opamp.instanceUid must be 32 hexadecimal digits/],
    [{ endpoint: 'http://x', headers: { cookie: 'a' } }, /option opamp.headers: header 'cookie' is invalid/],
  ]) {
    assert.throws(() => new OpampCollector({ opamp }), message);
  }
});

// A page on an origin of its own (cross-origin to the OpAMP server) whose module makes
// `window.collector`, an `otlp-collector/opamp` collector of `service` polling the server,
// with `batchTimeoutMs`, then runs `script`; opened in Chromium once it sets `window.ready`.
// Resolves to { page, close }.
async function opampPage(service, batchTimeoutMs, script) {
  const root = await pageRoot(project, service);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'index.html'), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "otlp-collector/opamp": "/node_modules/otlp-collector/opamp/index.js" } }</script>
<script type="module">
  import { Collector } from 'otlp-collector/opamp';
  const collector = new Collector({
    endpoint: ${JSON.stringify(`${receiver.url}/v1/traces`)}, serviceName: '${service}', batchTimeoutMs: ${batchTimeoutMs},
    opamp: { endpoint: ${JSON.stringify(server.endpoint)}, pollIntervalMs: ${POLL_MS} },
  });
  window.collector = collector;
  ${script}
  window.ready = true;
</script>`);
  const pageServer = await serveStatic(root);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${pageServer.url}/index.html`);
    await page.waitForFunction(() => window.ready, null, { timeout: 30_000 });
    return { page, origin: pageServer.url, close: async () => { await browser.close(); pageServer.stop(); } };
  } catch (error) {
    await browser.close();
    pageServer.stop();
    throw error;
  }
}

test('Chromium, a page on another origin: the agent polls through CORS, keeps its instance uid across a reload, and takes a remote ratio', async (t) => {
  if (!server) return t.skip('OTLP_OPAMP_SERVER_BIN is not set: run through tests/run_all.sh');
  const { page, origin, close } = await opampPage('js-opamp-page', 50, `window.emit = async (count) => {
    for (let i = 0; i < count; i++) collector.startSpan('page-sampled').end();
    return collector.flush();
  };`);
  try {
    const first = await agentWhen('js-opamp-page', 'the page appears', (agent) => agent.healthy === true);
    const uids = () => server.agents().then((agents) => Object.keys(agents).filter((uid) => agents[uid].identifying?.['service.name']?.string === 'js-opamp-page'));
    assert.equal((await uids()).length, 1);
    assert.equal(first.nonIdentifying['telemetry.sdk.language'].string, 'webjs');
    await page.reload();
    await page.waitForFunction(() => window.ready, null, { timeout: 30_000 });
    await agentWhen('js-opamp-page', 'polls after the reload', (agent) => agent.messages > first.messages + 2);
    assert.equal((await uids()).length, 1, 'the same agent after a reload (localStorage)');
    await push('js-opamp-page', '{"sampler": {"ratio": 0}}', 'APPLIED');
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    assert.equal(await page.evaluate(() => window.emit(200)), true);
    const stats = await page.evaluate(() => window.collector.stats());
    assert.equal(stats.sampledOut, 200, JSON.stringify(stats));
    assert.notEqual(new URL(origin).port, new URL(server.endpoint).port, 'the page is cross-origin to the server');
  } finally {
    await close();
  }
});

test('Chromium: with export switched off by the server, what a closing page buffered is counted filtered out, not sent with keepalive', async (t) => {
  if (!server) return t.skip('OTLP_OPAMP_SERVER_BIN is not set: run through tests/run_all.sh');
  const service = 'js-opamp-page-off';
  // A batch timeout longer than the test: only the page-hide path may send.
  const { page, close } = await opampPage(service, 60000, `window.leave = async (count) => {
    for (let i = 0; i < count; i++) collector.startSpan('buffered-while-off').end();
    await Promise.resolve();
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    return collector.stats();
  };`);
  try {
    await agentWhen(service, 'the page appears', (agent) => agent.healthy === true);
    await push(service, '{"export": false}', 'APPLIED');
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    const stats = await page.evaluate(() => window.leave(30));
    assert.equal(stats.filteredOut, 30, JSON.stringify(stats));
    assert.equal(stats.exported + stats.droppedPageUnload + stats.buffered, 0, JSON.stringify(stats));
    assert.equal((await spansOfService(receiver, service)).length, 0, 'nothing reached the backend');
  } finally {
    await close();
    await server.setConfig('{}');
  }
});

test('the page reports unhealthy while exports fail, naming the error, and healthy again after a success; ReportFullState brings the description again', async (t) => {
  if (!server) return t.skip('OTLP_OPAMP_SERVER_BIN is not set: run through tests/run_all.sh');
  const { createServer } = await import('node:http');
  // An OTLP backend that refuses the first request (400) and accepts the rest.
  let requests = 0;
  const backend = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests += 1;
      response.writeHead(requests === 1 ? 400 : 200, { 'content-type': 'application/x-protobuf' });
      response.end(requests === 1 ? 'refused for the test' : '');
    });
  });
  await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const service = 'js-opamp-health';
  const collector = new OpampCollector(options(service, { endpoint: `http://127.0.0.1:${backend.address().port}/v1/traces` }));
  try {
    const first = await agentWhen(service, 'healthy at first', (agent) => agent.healthy === true);
    // The server's configuration is every agent's: back to the page's own settings (the
    // tests before pushed a ratio of 0).
    await push(service, '{}', 'APPLIED');
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    collector.startSpan('refused').end();
    await collector.flush();
    const unhealthy = await agentWhen(service, 'unhealthy', (agent) => agent.healthy === false);
    assert.match(unhealthy.lastError, /400/);
    collector.startSpan('accepted').end();
    assert.equal(await collector.flush(), true);
    await agentWhen(service, 'healthy again', (agent) => agent.healthy === true);
    assert.equal(first.fullStates, 1);
    await server.askFullState();
    await agentWhen(service, 'a second full state', (agent) => agent.fullStates >= 2);
  } finally {
    await collector.shutdown();
    backend.close();
  }
});
