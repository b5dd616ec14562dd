// The npm package imports the three ways users load it: `--target nodejs` with require in
// Node, `--target bundler` through webpack in Chromium, and `--target web` by ES-module
// import in a page (the www/ demo, tested in demo.test.mjs). tests/run_all.sh builds the
// nodejs and bundler packages into OTLP_PKG_DIR first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { bundle, repoRoot, startReceiver, launchChromium } from './harness.mjs';

const packages = process.env.OTLP_PKG_DIR;
let receiver;

before(async () => {
  assert.ok(packages, 'OTLP_PKG_DIR is not set: run through tests/run_all.sh');
  receiver = await startReceiver();
});

after(() => receiver?.stop());

async function receivedNames() {
  const received = await (await fetch(`${receiver.url}/received`)).json();
  return received.requests.flatMap((request) => request.resourceSpans.flatMap((resource) =>
    resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name))));
}

test('the nodejs package loads with require and exports from Node', async () => {
  const require = createRequire(import.meta.url);
  const { Collector } = require(path.join(packages, 'nodejs', 'otlp_collector.js'));
  const collector = new Collector({ endpoint: `${receiver.url}/v1/traces`, serviceName: 'node-app' });
  const span = collector.startSpan('node-span', { attributes: { runtime: 'node' } });
  span.end();
  await collector.flush();
  assert.equal(collector.stats().exported, 1);
  assert.ok((await receivedNames()).includes('node-span'));
  assert.throws(() => new Collector({ protocol: 'grpc' }), /protocol/);
  await collector.shutdown();
});

test('a Node process exits promptly after shutdown(): no timer is left armed', async () => {
  // Before, the flush, shutdown and request timeouts (10-30 s) and the batch timer stayed
  // armed after the work they bounded had finished, keeping Node alive.
  const script = `
    const { Collector } = require(${JSON.stringify(path.join(packages, 'nodejs', 'otlp_collector.js'))});
    (async () => {
      const collector = new Collector({ endpoint: ${JSON.stringify(`${receiver.url}/v1/traces`)},
        serviceName: 'node-exit', batchTimeoutMs: 20000 });
      collector.startSpan('flushed').end();
      await collector.flush();
      collector.startSpan('left-for-shutdown').end();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await collector.shutdown();
      console.log('SHUT DOWN ' + JSON.stringify(collector.stats()));
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let shutDownAt = 0;
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    if (!shutDownAt && output.includes('SHUT DOWN')) shutDownAt = Date.now();
  });
  const exited = await new Promise((resolve) => {
    const killer = setTimeout(() => child.kill(), 40_000);
    child.on('exit', (code) => { clearTimeout(killer); resolve({ code, at: Date.now() }); });
  });
  assert.equal(exited.code, 0, output);
  assert.ok(shutDownAt > 0, output);
  const lingered = exited.at - shutDownAt;
  assert.ok(lingered < 2000, `Node stayed alive ${lingered} ms after shutdown()`);
  const stats = JSON.parse(output.slice(output.indexOf('{')));
  assert.equal(stats.exported, 2, output);
});

/** A hostile server on loopback: answers every POST with `status` and a body that never
 * ends (64 KiB chunks, capped at 1 GiB), counting what it managed to write. */
async function startEndlessBodyServer(status) {
  const { createServer } = await import('node:http');
  const server = { written: 0 };
  server.http = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/x-protobuf' });
      const chunk = Buffer.alloc(65536);
      const pump = () => {
        while (server.written < 2 ** 30) {
          server.written += chunk.length;
          if (!response.write(chunk)) return response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
    });
  });
  await new Promise((resolve) => server.http.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${server.http.address().port}/v1/traces`;
  server.stop = () => { server.http.closeAllConnections(); server.http.close(); };
  return server;
}

test('an endless response body is not read whole: the export settles and the download stops', async () => {
  const require = createRequire(import.meta.url);
  const { Collector } = require(path.join(packages, 'nodejs', 'otlp_collector.js'));
  for (const status of [200, 400]) {
    const server = await startEndlessBodyServer(status);
    try {
      const collector = new Collector({ endpoint: server.url, serviceName: 'endless', flushTimeoutMs: 10000 });
      collector.startSpan('endless').end();
      const started = Date.now();
      await collector.flush().catch(() => {});
      const took = Date.now() - started;
      const stats = collector.stats();
      const settled = status === 200 ? stats.exported : stats.droppedRejected;
      assert.equal(settled, 1, `HTTP ${status}: ${JSON.stringify(stats)} after ${took} ms`);
      assert.equal(stats.buffered, 0, JSON.stringify(stats));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(server.written < 64 * 2 ** 20, `the server wrote ${server.written} bytes`);
      await collector.shutdown().catch(() => {});
    } finally {
      server.stop();
    }
  }
});

test('the bundler package builds with webpack and runs in Chromium', async () => {
  const output = path.join(repoRoot, 'www', 'bundle');
  await rm(output, { recursive: true, force: true });
  await bundle({
    entry: path.join(import.meta.dirname, 'bundler', 'entry.js'),
    outputDir: output,
    publicPath: '/bundle/',
    filename: 'app.js',
    packagesDir: packages,
  });
  await mkdir(output, { recursive: true });
  await writeFile(path.join(output, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script src="/bundle/app.js"></script>');

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${receiver.url}/bundle/index.html`);
    const result = await page.waitForFunction(() => window.bundleResult, null, { timeout: 20_000 });
    assert.equal((await result.jsonValue()).exported, 1);
    assert.ok((await receivedNames()).includes('bundled-span'));
  } finally {
    await browser.close();
  }
});
