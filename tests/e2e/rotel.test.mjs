// The npm package (in Node) against a real OpenTelemetry collector written by others:
// rotel (PyPI, pinned in tests/install_toolchain.sh, which exports OTLP_ROTEL_BIN). The
// package sends OTLP/HTTP protobuf, JSON and gzip to rotel; rotel forwards to the loopback
// receiver (official opentelemetry-proto decoding). Every span arrives exactly once, with
// its resource. rotel runs with --disable-batching (its batcher drops the resource of the
// part of a request it splits; see ../shared/TOOLCHAIN.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { installPackage, startReceiver } from './harness.mjs';

let receiver;
let rotel;
let rotelUrl;
let Collector;

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listening(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

before(async () => {
  assert.ok(process.env.OTLP_ROTEL_BIN, 'OTLP_ROTEL_BIN is not set: run through tests/run_all.sh');
  receiver = await startReceiver();
  const project = await installPackage();
  const require = createRequire(path.join(project, 'package.json'));
  // The JSON cases use `otlp-collector/json`: the main entry writes OTLP/protobuf only.
  ({ Collector } = require('otlp-collector/json'));
  const http = await freePort();
  const grpc = await freePort();
  rotel = spawn(process.env.OTLP_ROTEL_BIN, [
    'start', '--disable-batching', '--exporter', 'otlp', '--otlp-exporter-protocol', 'http',
    '--otlp-http-endpoint', `127.0.0.1:${http}`, '--otlp-grpc-endpoint', `127.0.0.1:${grpc}`,
    '--otlp-exporter-endpoint', receiver.url,
  ], { stdio: 'ignore' });
  const started = Date.now();
  while (!(await listening(http))) {
    assert.ok(Date.now() - started < 15_000, 'rotel did not listen');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  rotelUrl = `http://127.0.0.1:${http}/v1/traces`;
});

after(() => {
  rotel?.kill();
  receiver?.stop();
});

// Spans named `prefix-<n>` at the receiver: how often each arrived, and its service.name.
async function arrivedSpans(prefix) {
  const received = await (await fetch(`${receiver.url}/received`)).json();
  assert.deepEqual(received.decodeErrors, []);
  const arrived = new Map();
  for (const request of received.requests) {
    for (const resourceSpans of request.resourceSpans) {
      const service = resourceSpans.resource?.attributes
        ?.find((attribute) => attribute.key === 'service.name')?.value.stringValue;
      for (const scope of resourceSpans.scopeSpans) {
        for (const span of scope.spans) {
          if (!new RegExp(`^${prefix}-\\d+$`).test(span.name)) continue;
          const seen = arrived.get(span.name) ?? { count: 0, service };
          seen.count++;
          arrived.set(span.name, seen);
        }
      }
    }
  }
  return arrived;
}

for (const [name, protocol, compression] of [
  ['node-protobuf', 'http/protobuf', 'none'],
  ['node-json', 'http/json', 'none'],
  ['node-protobuf-gzip', 'http/protobuf', 'gzip'],
  ['node-json-gzip', 'http/json', 'gzip'],
]) {
  test(`the package's ${protocol} (${compression}) crosses rotel: every span once, with its resource`, async () => {
    const spans = 1000;
    const service = `interop-${name}`;
    const collector = new Collector({ endpoint: rotelUrl, serviceName: service, protocol, compression, batchSize: 250 });
    for (let i = 0; i < spans; i++) collector.startSpan(`${name}-${i}`, { attributes: { i, ratio: 0.5 } }).end();
    assert.equal(await collector.shutdown(), true);
    assert.equal(collector.stats().exported, spans);
    let arrived = new Map();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      arrived = await arrivedSpans(name);
      if (arrived.size >= spans) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(arrived.size, spans, `${arrived.size} of ${spans} arrived`);
    for (const [span, { count, service: seen }] of arrived) {
      assert.equal(count, 1, `${span} arrived ${count} times`);
      assert.equal(seen, service, `${span}'s resource`);
    }
  });
}
