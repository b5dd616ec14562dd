// The OpenTelemetry Collector as a peer for the JavaScript tests: the distribution
// tests/install_toolchain.sh builds (OTLP_OTELCOL_BIN), started with a configuration from
// tests/collector/ or deploy/ on free loopback ports, as tests/support/src/otelcol.rs
// does for the Rust tests. Configurations read their ports and targets from environment
// variables: OTELCOL_GRPC_ENDPOINT and OTELCOL_HTTP_ENDPOINT here, the rest from `env`.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { repoRoot } from './harness.mjs';

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

/** Starts the Collector with `config` (relative to the repository root); resolves to
 * { httpUrl, grpcPort, log(), stop() } once both receivers accept connections. */
export async function startOtelcol(config, env = {}) {
  const binary = process.env.OTLP_OTELCOL_BIN;
  if (!binary) throw new Error('OTLP_OTELCOL_BIN is not set: run through tests/run_all.sh');
  const http = await freePort();
  const grpc = await freePort();
  let log = '';
  const child = spawn(binary, ['--config', path.join(repoRoot, config)], {
    env: { ...process.env, ...env, OTELCOL_HTTP_ENDPOINT: `127.0.0.1:${http}`, OTELCOL_GRPC_ENDPOINT: `127.0.0.1:${grpc}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => { log += chunk; });
  child.stderr.on('data', (chunk) => { log += chunk; });
  const started = Date.now();
  while (!(await listening(http)) || !(await listening(grpc))) {
    if (child.exitCode !== null || Date.now() - started > 30_000) {
      child.kill();
      throw new Error(`the Collector did not listen:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    httpUrl: `http://127.0.0.1:${http}/v1/traces`,
    grpcPort: grpc,
    log: () => log,
    stop: () => child.kill('SIGKILL'),
  };
}
