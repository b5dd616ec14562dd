// What the JavaScript tests share: the project's loopback receiver serving www/, Debian's
// Chromium, and webpack bundles of the bundler package.
import { spawn } from 'node:child_process';
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

/** Bundles `entry` with webpack into `outputDir` (served at `publicPath`), resolving
 * `otlp-collector` to the bundler package in `packagesDir`. Throws on build errors. */
export async function bundle({ entry, outputDir, publicPath, filename, packagesDir }) {
  const stats = await new Promise((resolve, reject) => {
    webpack({
      mode: 'production',
      entry,
      output: { path: outputDir, filename, publicPath },
      resolve: { alias: { 'otlp-collector': path.join(packagesDir, 'bundler') } },
      experiments: { asyncWebAssembly: true, topLevelAwait: true },
      performance: { hints: false },
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  if (stats.hasErrors()) throw new Error(stats.toString('errors-only'));
}
