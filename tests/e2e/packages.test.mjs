// The one npm package, installed from its tarball (`npm install ./otlp-collector-X.tgz` into
// a fresh project) and used the ways web teams load it, with no configuration for
// WebAssembly: a Vite app and a webpack app built by those bundlers, and a plain
// `<script type="module">` page, each run in headless Chromium on its own origin and
// exporting to the loopback receiver; Node by `import` and by `require`, each exiting
// promptly after `shutdown()`; and the TypeScript declarations checked with `tsc`.
// tests/run_all.sh builds the tarball (npm/build.sh) and passes it in OTLP_PKG_TARBALL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundle, installPackage, launchChromium, serveStatic, startReceiver } from './harness.mjs';

let receiver;
let project;

before(async () => {
  receiver = await startReceiver();
  project = await installPackage();
});

after(() => receiver?.stop());

async function receivedNames() {
  const received = await (await fetch(`${receiver.url}/received`)).json();
  return received.requests.flatMap((request) => request.resourceSpans.flatMap((resource) =>
    resource.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name))));
}

// What every app does: one span to the receiver, then the stats on `window.appResult`.
const appCode = (receiverUrl, name) => `
import { Collector } from 'otlp-collector';
const collector = new Collector({ endpoint: ${JSON.stringify(`${receiverUrl}/v1/traces`)}, serviceName: ${JSON.stringify(name)} });
collector.startSpan(${JSON.stringify(`${name}-span`)}, { attributes: { app: ${JSON.stringify(name)} } }).end();
const delivered = await collector.flush();
window.appResult = { delivered, stats: collector.stats() };
`;

// Loads `url` in Chromium and waits for the app's result; the page's errors fail the test.
async function runInChromium(url) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    const result = await page.waitForFunction(() => window.appResult, null, { timeout: 20_000 })
      .catch((error) => { throw new Error(`${error.message}; page errors: ${errors.join('; ')}`); });
    return await result.jsonValue();
  } finally {
    await browser.close();
  }
}

// Serves `root`, loads it in Chromium, and checks the app's span was delivered.
async function assertServedAppExports(root, name, routes = {}) {
  const server = await serveStatic(root, routes);
  try {
    const { delivered, stats } = await runInChromium(`${server.url}/`);
    assert.equal(delivered, true);
    assert.equal(stats.exported, 1);
    assert.ok((await receivedNames()).includes(`${name}-span`));
  } finally {
    server.stop();
  }
}

test('the package has one entry per platform, types, a README for JavaScript and a LICENSE', async () => {
  const installed = path.join(project, 'node_modules', 'otlp-collector');
  const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'otlp-collector');
  assert.deepEqual(Object.keys(manifest.exports['.']), ['types', 'node', 'default']);
  // Only the entries run code on import (they instantiate the module); bundlers may drop
  // the rest when unused.
  assert.deepEqual(Object.keys(manifest.exports['./gzip']), ['types', 'node', 'default']);
  assert.deepEqual(Object.keys(manifest.exports['./json']), ['types', 'node', 'default']);
  assert.deepEqual(Object.keys(manifest.exports['./rules']), ['types', 'node', 'default']);
  assert.deepEqual(Object.keys(manifest.exports['./opamp']), ['types', 'node', 'default']);
  assert.deepEqual(Object.keys(manifest.exports['./managed']), ['types', 'node', 'default']);
  assert.deepEqual(manifest.sideEffects, [
    './web/index.js', './node/index.js', './gzip/index.js', './node/gzip.js',
    './json/index.js', './node/json.js',
    './rules/index.js', './node/rules.js',
    './opamp/index.js', './node/opamp.js', './managed/index.js', './node/managed.js',
  ]);
  assert.match(await readFile(path.join(installed, 'LICENSE'), 'utf8'), /Apache License/);
  const readme = await readFile(path.join(installed, 'README.md'), 'utf8');
  assert.match(readme, /npm install otlp-collector/);
  assert.match(readme, /wasm-unsafe-eval/);
  assert.doesNotMatch(readme, /cargo|Cargo\.toml/, 'the README is written for JavaScript users');
});

// What a page downloads from the package, gzip -9 each file: the .wasm, the module (the
// generated glue bundled with src/wasm/js/exporter.js and src/js_api/api.js) and the
// entry. The budget is a few hundred bytes above what the package weighs now, so it cannot
// creep back up unnoticed; raise it only for a feature worth its bytes, and say so in the
// commit.
// Raised from 42,600 to 42,850 for the hooks that let `otlp-collector/rules` and `/opamp`
// plug their engines in (the main entry checks that no rule and no `opamp` option was
// given, and calls the agent at shutdown and free: 289 bytes of JavaScript) and the core's
// export switch and health flag that OpAMP sets and reads (about 50 bytes): 42,515 → 42,793.
// Lowered to 39,600 when the package build began rebuilding the standard library for size
// (npm/build.sh: panics abort without formatting, no source locations) — the .wasm 30.6 →
// 27.1 KB — with the `keepalive: false` option (+80 bytes): 42,793 → 39,320.
// Lowered to 36,200 when the main entry left the OTLP/JSON encoder to `otlp-collector/json`
// (the .wasm 27.1 → 23.7 KB): 39,320 → 35,898; to 35,500 when openCollector took its
// settings as arguments (no getter imports) and esbuild began shortening the API's private
// property names: 35,282; to 35,150 when our size-class allocator replaced talc: 34,917.
// Lowered to 33,900 when the main module began encoding JavaScript's span records straight
// into OTLP/protobuf (no span model, reader or span encoder in it): 33,681; to 31,300 when
// it encoded its resource the same way (no value encoder): 30,973; to 30,200 when every
// call into WebAssembly passed numbers only, texts and lists through the core's exchange
// buffer (less glue, no externref shims): 29,898; to 29,400 when the main module began
// loading with our own loader instead of wasm-bindgen's glue (npm/src/loader.js): 29,088;
// to 28,600 when the gzip encoder left it for `otlp-collector/gzip` (the browser SDKs'
// default is uncompressed too): 28,317; to 28,500 when retry delays stopped using 128-bit
// arithmetic (`scaled` in src/export/retry.rs): 28,212; to 27,400 when the core and the
// intake became handles whose methods are plain exports of numbers (src/wasm/handle.rs: no
// wasm-bindgen class wrappers) and the module lost its target-features section: 27,268
// (27,321 with every export a keepalive request within the budget); to 27,200 when the
// core's problem list stopped bringing a second VecDeque type and a second copy of its
// keeper: 27,111; to 26,700 when the core filed one export per request for batches as for
// keepalive sends (one path, `start_exports` in src/wasm/core.rs) and wasm-opt ran twice, the
// second time knowing the lowest kilobyte of memory unused: 26,649; to 26,500 when the
// exporter's and the record writer's private members took the leading underscore the npm
// build shortens (npm/build.sh): 26,461.
const SIZE_BUDGET_GZIP = 26_500;
const INSTRUMENTATION_BUDGET_GZIP = 2_048;
// `otlp-collector/gzip`: the main module compressing bodies when asked (the main entry
// leaves the gzip encoder out): 29,223 when it was split off; 28,180 with the handles; 28,016;
// 27,533; 27,345.
const GZIP_SIZE_BUDGET_GZIP = 27_400;
// `otlp-collector/json`: the main module writing OTLP/JSON as well (the main entry leaves
// the JSON encoder out): 38,767; 38,180 with the numbers-only crossings; 36,909 with the
// handles; 36,751; 36,189; 36,006.
const JSON_SIZE_BUDGET_GZIP = 36_050;
// `otlp-collector/rules`: the same module with the OTTL rules engine, which a page that
// imports it downloads instead. The issue's target is the main entry's + 5 KB; today it is
// + 45.0 KB (84,327: the interpreter's code, not its patterns: see tests/wasm_sizes.py and
// the README), so this budget only keeps it from growing.
const RULES_SIZE_BUDGET_GZIP = 81_050;
// `otlp-collector/opamp` (the OpAMP agent) and `/managed` (rules and agent). The issue's
// target for the agent is the main entry's + 3 KB; today it is + 15.8 KB (55,145), so these
// budgets only keep them from growing. (They carry the span model for their JSON and
// rules, and since the browser core queues encoded spans, its per-span encoding as well:
// /managed rose 96,052 → 96,730 with it, and came back to 96,556 with the numbers-only
// crossings; /opamp is 54,283.)
const OPAMP_SIZE_BUDGET_GZIP = 52_800;
const MANAGED_SIZE_BUDGET_GZIP = 94_000;

test('the package a page downloads stays within its size budget, and its README says what it weighs', async () => {
  const totals = {};
  for (const [directory, budget] of [
    ['web', SIZE_BUDGET_GZIP], ['gzip', GZIP_SIZE_BUDGET_GZIP], ['json', JSON_SIZE_BUDGET_GZIP],
    ['rules', RULES_SIZE_BUDGET_GZIP],
    ['opamp', OPAMP_SIZE_BUDGET_GZIP], ['managed', MANAGED_SIZE_BUDGET_GZIP],
  ]) {
    const web = path.join(project, 'node_modules', 'otlp-collector', directory);
    const parts = {};
    for (const file of await readdir(web, { recursive: true })) {
      if (!file.endsWith('.js') && !file.endsWith('.wasm')) continue;
      parts[file] = gzipSync(await readFile(path.join(web, file)), { level: 9 }).length;
    }
    const total = Object.values(parts).reduce((sum, bytes) => sum + bytes, 0);
    assert.deepEqual(Object.keys(parts).sort(), ['index.js', 'otlp_collector.js', 'otlp_collector_bg.wasm']);
    assert.ok(total <= budget, `${directory}/: ${total} bytes gzip (${JSON.stringify(parts)}) exceed the budget of ${budget}`);
    totals[directory] = total;
  }
  // Each automatic instrumentation is a module of its own, downloaded only when imported.
  const instrumentation = path.join(project, 'node_modules', 'otlp-collector', 'instrumentation');
  for (const file of (await readdir(instrumentation)).filter((name) => name.endsWith('.js'))) {
    const bytes = gzipSync(await readFile(path.join(instrumentation, file)), { level: 9 }).length;
    assert.ok(bytes <= INSTRUMENTATION_BUDGET_GZIP, `instrumentation/${file}: ${bytes} bytes gzip`);
    totals[file.replace(/\.js$/, '')] = bytes;
  }
  // The size table npm/size-table.mjs wrote into the published README: the same figures, in
  // its order (entries, then each instrumentation), and everything added up.
  const readme = await readFile(path.join(project, 'node_modules', 'otlp-collector', 'README.md'), 'utf8');
  const table = readme.split('<!-- sizes -->')[1].split('<!-- /sizes -->')[0];
  const figures = [...table.matchAll(/\| \*{0,2}([\d,]+)\*{0,2} \|$/gm)].map((match) => Number(match[1].replaceAll(',', '')));
  const instrumentations = ['fetch', 'xhr', 'http', 'errors', 'document-load', 'web-vitals', 'interactions', 'session'];
  const everything = instrumentations.reduce((sum, name) => sum + totals[name], totals.web);
  assert.deepEqual(figures, [
    totals.web, ...instrumentations.map((name) => totals[name]), everything,
    totals.gzip, totals.json, totals.rules, totals.opamp, totals.managed,
  ], table);
});

test('a Vite app builds with the package and exports from Chromium', async () => {
  const { build } = await import('vite');
  const root = path.join(project, 'vite-app');
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>vite app</title><script type="module" src="./main.js"></script>');
  await writeFile(path.join(root, 'main.js'), appCode(receiver.url, 'vite-app'));
  await build({ root, logLevel: 'warn', build: { outDir: path.join(root, 'dist') } });
  await assertServedAppExports(path.join(root, 'dist'), 'vite-app');
});

test('a webpack app builds with the package, unconfigured, and exports from Chromium', async () => {
  const root = path.join(project, 'webpack-app');
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'entry.js'), appCode(receiver.url, 'webpack-app'));
  await bundle({ entry: path.join(root, 'entry.js'), outputDir: path.join(root, 'dist'), publicPath: '/', filename: 'app.js' });
  await writeFile(path.join(root, 'dist', 'index.html'),
    '<!doctype html><meta charset="utf-8"><script src="/app.js"></script>');
  await assertServedAppExports(path.join(root, 'dist'), 'webpack-app');
});

// A plain page in `project/<name>` importing the installed package with an import map;
// resolves to its folder.
async function plainPage(name) {
  const root = path.join(project, name);
  await mkdir(root, { recursive: true });
  await cp(path.join(project, 'node_modules'), path.join(root, 'node_modules'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "otlp-collector": "/node_modules/otlp-collector/web/index.js" } }</script>
<script type="module">${appCode(receiver.url, name)}</script>`);
  return root;
}

test('a plain page imports the package with an import map and exports from Chromium', async () => {
  await assertServedAppExports(await plainPage('plain-page'), 'plain-page');
});

test('the main module loads from a server that sends it without the WebAssembly MIME type', async () => {
  // Our loader (npm/src/loader.js) compiles such a module from its bytes, as the glue did.
  const root = await plainPage('octet-stream-page');
  const wasmPath = '/node_modules/otlp-collector/web/otlp_collector_bg.wasm';
  const wasm = await readFile(path.join(root, wasmPath));
  let served = 0;
  await assertServedAppExports(root, 'octet-stream-page', {
    [wasmPath]: (request, response) => {
      served++;
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(wasm);
    },
  });
  assert.equal(served, 1, 'the module was fetched once');
});

test('the main module\'s loader refuses a module importing what it does not provide, naming it', async () => {
  // A module with one import, `./otlp_collector_bg.js` `__wbg_fetch_0123456789abcdef`: what
  // a new import in the Rust code would look like before the loader learned it.
  const name = '__wbg_fetch_0123456789abcdef';
  const from = './otlp_collector_bg.js';
  const text = (value) => [value.length, ...Buffer.from(value)];
  const importSection = [1, ...text(from), ...text(name), 0, 0];
  const typeSection = [1, 0x60, 0, 0];
  const bytes = Buffer.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, typeSection.length, ...typeSection,
    2, importSection.length, ...importSection,
  ]);
  const loader = path.join(project, 'node_modules', 'otlp-collector', 'web', 'otlp_collector.js');
  const { initSync } = await import(loader);
  assert.throws(() => initSync({ module: bytes }),
    (error) => error.message.startsWith('otlp-collector: ') && error.message.includes(name) && error.message.includes(from));
});

// Runs `code` in a Node process in the project (a file named `file`), and resolves to its
// output and how long the process lived after printing SHUT DOWN.
async function runNode(file, code) {
  await writeFile(path.join(project, file), code);
  const child = spawn(process.execPath, [file], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
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
  return { output, lingered: exited.at - shutDownAt };
}

const nodeApp = (name) => `
  const collector = new Collector({ endpoint: ${JSON.stringify(`${receiver.url}/v1/traces`)},
    serviceName: ${JSON.stringify(name)}, batchTimeoutMs: 20000 });
  collector.startSpan(${JSON.stringify(`${name}-flushed`)}).end();
  await collector.flush();
  collector.startSpan(${JSON.stringify(`${name}-at-shutdown`)}).end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await collector.shutdown();
  console.log('SHUT DOWN ' + JSON.stringify(collector.stats()));`;

for (const [flavour, file, header, wrap] of [
  ['ESM import', 'esm-app.mjs', "import { Collector } from 'otlp-collector';", (body) => body],
  ['CommonJS require', 'cjs-app.cjs', "const { Collector } = require('otlp-collector');", (body) => `(async () => {${body}\n})();`],
]) {
  test(`Node (${flavour}) exports and exits promptly after shutdown(): no timer is left armed`, async () => {
    const name = `node-${file.split('-')[0]}`;
    const { output, lingered } = await runNode(file, `${header}\n${wrap(nodeApp(name))}\n`);
    assert.ok(lingered < 2000, `Node stayed alive ${lingered} ms after shutdown()`);
    const stats = JSON.parse(output.slice(output.indexOf('{')));
    assert.equal(stats.exported, 2, output);
    const names = await receivedNames();
    assert.ok(names.includes(`${name}-flushed`) && names.includes(`${name}-at-shutdown`));
  });
}

test('the TypeScript declarations check against a usage of every option and method', async () => {
  const usage = `
import { Collector, type CollectorError, type CollectorStats, type SpanContext } from 'otlp-collector';
import { instrumentFetch } from 'otlp-collector/fetch';
import { instrumentXhr } from 'otlp-collector/xhr';
import { instrumentErrors } from 'otlp-collector/errors';
import { instrumentDocumentLoad } from 'otlp-collector/document-load';
import { trackSession } from 'otlp-collector/session';
import { instrumentWebVitals } from 'otlp-collector/web-vitals';
import { instrumentInteractions } from 'otlp-collector/interactions';
const collector = new Collector({
  endpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'ts', protocol: 'http/json', compression: 'gzip',
  batchSize: 10, batchTimeoutMs: 100, maxQueueSize: 100, exportTimeoutMs: 1000,
  headers: { 'x-api-key': 'k' }, resourceAttributes: { env: 'test', ids: [1, 2] }, sampleRatio: 0.5,
  onError: (error: CollectorError) => console.log(error.kind, error.count, error.message),
});
const parent = collector.startSpan('parent', { kind: 'server', attributes: { a: 1, b: 'x', c: true, d: ['x'] } });
const child = collector.startSpan('child', {
  kind: 2, parent, startTime: performance.now(),
  links: [{ context: parent.spanContext(), attributes: { why: 'because' } }],
});
collector.startSpan('remote', { parent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
collector.startSpan('remote', { parent: { traceparent: child.traceparent(), tracestate: child.tracestate() } });
child.setAttribute('k', 1).setAttributes({ l: [true] }).addEvent('e').addEvent('e', { x: 1 }, Date.now())
  .addEvent('e', new Date()).addLink({ context: parent.spanContext() }).addLinks([])
  .setStatus('error', 'm').setStatus({ code: 2, message: 'm' }).updateName('renamed');
child.recordException(new Error('x'), [1, 2]);
const recording: boolean = child.isRecording();
const context: SpanContext = child.spanContext();
const header: string = child.traceparent() + child.tracestate() + context.traceId + String(recording);
child.end(Date.now());
parent.end();
const stats: CollectorStats = collector.stats();
const done: Promise<boolean> = collector.flush();
void done.then(() => collector.shutdown()).then((ok: boolean) => console.log(ok, stats.refusedValues, header));
const stopFetch: () => void = instrumentFetch(collector, {
  propagateTo: ['https://api.example.com/', /example[.]org/], redactUrl: (url: string) => url.split('?')[0],
  ignoreUrls: ['https://api.example.com/health', /metrics$/],
});
const stopErrors: () => void = instrumentErrors(collector);
const stopXhr: () => void = instrumentXhr(collector, { propagateTo: ['https://api.example.com/'] });
stopXhr();
instrumentDocumentLoad(collector, { redactUrl: (url: string) => url });
instrumentWebVitals(collector);
const stopInteractions: () => void = instrumentInteractions(collector, { events: ['click'] });
stopInteractions();
const stopSession: () => void = trackSession(collector, { storage: 'local', inactivityMs: 60_000, maxDurationMs: 3_600_000, sampleRate: 0.1 });
const stopCondition: () => void = collector.sampleIf(() => true);
stopCondition();
const stopHook: () => void = collector.onSpanStart((span) => { span.setAttribute('tenant', 'a'); });
stopFetch();
stopErrors();
stopSession();
stopHook();
collector.free();
`;
  await writeFile(path.join(project, 'usage.ts'), usage);
  await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
      lib: ['es2022', 'dom'], types: [],
    },
    files: ['usage.ts'],
  }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const checked = await promisify(execFile)(process.execPath, [tsc, '-p', project], { cwd: project })
    .catch((error) => error);
  assert.equal(checked.code ?? 0, 0, `${checked.stdout}${checked.stderr}`);
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
  const { Collector } = createRequire(path.join(project, 'package.json'))('otlp-collector');
  for (const status of [200, 400]) {
    const server = await startEndlessBodyServer(status);
    try {
      const collector = new Collector({ endpoint: server.url, serviceName: 'endless', onError: () => {} });
      collector.startSpan('endless').end();
      const started = Date.now();
      await collector.flush();
      const took = Date.now() - started;
      const stats = collector.stats();
      const settled = status === 200 ? stats.exported : stats.droppedRejected;
      assert.equal(settled, 1, `HTTP ${status}: ${JSON.stringify(stats)} after ${took} ms`);
      assert.equal(stats.buffered, 0, JSON.stringify(stats));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(server.written < 64 * 2 ** 20, `the server wrote ${server.written} bytes`);
      await collector.shutdown();
    } finally {
      server.stop();
    }
  }
});
