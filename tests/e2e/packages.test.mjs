// The npm package imports the three ways users load it: `--target nodejs` with require in
// Node, `--target bundler` through webpack in Chromium, and `--target web` by ES-module
// import in a page (the www/ demo, tested in demo.test.mjs). tests/run_all.sh builds the
// nodejs and bundler packages into OTLP_PKG_DIR first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
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
