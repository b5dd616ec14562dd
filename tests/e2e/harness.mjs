// What the JavaScript tests share: the project's loopback receiver serving www/, Debian's
// Chromium, the npm package installed from its tarball into a fresh project, a static file
// server, and webpack bundles.
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import webpack from 'webpack';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Starts `otlp-test-receiver --port 0 --static www`; resolves to { url, stop }. */
export function startReceiver() {
  const binary = process.env.OTLP_RECEIVER_BIN ?? path.join(repoRoot, 'target/debug/otlp-test-receiver');
  const child = spawn(binary, ['--port', '0', '--static', path.join(repoRoot, 'www')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`receiver did not start: ${output}`)), 10_000);
    child.on('error', reject);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/demo page at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], stop: () => child.kill() });
      }
    });
  });
}

/** Launches Debian's Chromium headless (no browser download). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

let installed = null;

/** On a fresh page of `browser`, runs `prepare(page)`, then `run(page)` under Chromium's
 * sampling profiler (every `samplingMicros`, or its default); resolves to
 * { busyMicros, result }: microseconds the page's thread was not idle during `run`, and
 * what `run` resolved to. */
export async function profileBusy(browser, { prepare = async () => {}, run, samplingMicros }) {
  const page = await browser.newPage();
  await prepare(page);
  const profiler = await page.context().newCDPSession(page);
  await profiler.send('Profiler.enable');
  if (samplingMicros) await profiler.send('Profiler.setSamplingInterval', { interval: samplingMicros });
  await profiler.send('Profiler.start');
  const result = await run(page);
  const { profile } = await profiler.send('Profiler.stop');
  await page.close();
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  let busyMicros = 0;
  profile.samples.forEach((node, index) => {
    if (!idle.has(node)) busyMicros += profile.timeDeltas[index];
  });
  return { busyMicros, result };
}

/** Installs the package tarball (OTLP_PKG_TARBALL, the last line `bash npm/build.sh`
 * prints) into a fresh project, as `npm install ./otlp-collector-X.tgz` would; resolves to
 * the project's folder. Once per process. */
export function installPackage() {
  installed ??= (async () => {
    const tarball = process.env.OTLP_PKG_TARBALL;
    if (!tarball) throw new Error('OTLP_PKG_TARBALL is not set: run through tests/run_all.sh');
    const project = await mkdtemp(path.join(tmpdir(), 'otlp-app-'));
    await writeFile(path.join(project, 'package.json'), '{ "name": "app", "private": true }\n');
    await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project });
    return project;
  })();
  return installed;
}

const CONTENT_TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.css': 'text/css',
};

/** Serves the files under `root` on a free loopback port, and `routes[pathname](request,
 * response)` before them; resolves to { url, seen, stop }, `seen` listing each request's
 * method, path and `traceparent` and `tracestate` headers. */
export async function serveStatic(root, routes = {}) {
  const seen = [];
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://x');
    seen.push({
      method: request.method, path: pathname, traceparent: request.headers.traceparent, tracestate: request.headers.tracestate,
    });
    if (routes[pathname]) return routes[pathname](request, response);
    const file = path.join(root, decodeURIComponent(pathname));
    if (!file.startsWith(root)) return response.writeHead(403).end();
    try {
      const body = await readFile(file.endsWith('/') ? path.join(file, 'index.html') : file);
      const type = CONTENT_TYPES[path.extname(file) || '.html'] ?? 'application/octet-stream';
      response.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    stop: () => { server.closeAllConnections(); server.close(); },
  };
}

/** Bundles `entry` with webpack, as configured by default (production mode, nothing for
 * WebAssembly or top-level await), into `outputDir` served at `publicPath`; `otlp-collector`
 * and its subpaths resolve to the installed package. Throws on build errors. */
export async function bundle({ entry, outputDir, publicPath, filename }) {
  const project = await installPackage();
  const stats = await new Promise((resolve, reject) => {
    webpack({
      mode: 'production',
      entry,
      output: { path: outputDir, filename, publicPath },
      // The installed package first, with its exports map (subpaths included); the test
      // project's own dependencies after.
      resolve: { modules: [path.join(project, 'node_modules'), 'node_modules'] },
      performance: { hints: false },
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  if (stats.hasErrors()) throw new Error(stats.toString('errors-only'));
}

/** The value of a decoded span's attribute, whatever its type (undefined when absent). */
export function attribute(span, key) {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  if (value === undefined) return undefined;
  if ('intValue' in value) return Number(value.intValue);
  return value.stringValue ?? value.boolValue ?? value.doubleValue;
}

/** The spans `receiver` decoded whose resource has the service name `service` (fetched with
 * `fetchWith`, so a test that instruments `fetch` can go around it). */
export async function spansOfService(receiver, service, fetchWith = fetch) {
  const received = await (await fetchWith(`${receiver.url}/received`)).json();
  if (received.decodeErrors.length > 0) throw new Error(`decode errors: ${received.decodeErrors.join('; ')}`);
  return received.requests.flatMap((request) => request.resourceSpans
    .filter((resource) => resource.resource.attributes.some((entry) => entry.value.stringValue === service))
    .flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
}

/** A page folder `name` in `project` with the installed package beside it, for an import
 * map to point at. */
export async function pageRoot(project, name) {
  const root = path.join(project, name);
  await mkdir(root, { recursive: true });
  await cp(path.join(project, 'node_modules'), path.join(root, 'node_modules'), { recursive: true });
  return root;
}

/** A page importing the installed package (and the instrumentations `modules`) through an
 * import map: `markup`, then `script` as a module that has `Collector` imported. */
export function importMapPage({ modules = [], markup = '', script }) {
  const imports = { 'otlp-collector': '/node_modules/otlp-collector/web/index.js' };
  for (const name of modules) imports[`otlp-collector/${name}`] = `/node_modules/otlp-collector/instrumentation/${name}.js`;
  return `<!doctype html><meta charset="utf-8">
${markup}
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
import { Collector } from 'otlp-collector';
${script}</script>`;
}
