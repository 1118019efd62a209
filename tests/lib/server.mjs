// Starts the real `kefu` binary for black-box tests and stops it again.
// KEFU_BIN names the binary (ctest sets it); the default is the dev build.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const kefuBin = process.env.KEFU_BIN || path.join(repoRoot, 'build', 'dev', 'kefu');

/** Resolves to a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `kefu serve` on a free port with its own data directory.
 * options.env: extra KEFU_* variables; options.args: extra command-line arguments;
 * options.dataDir: reuse a data directory (to restart over the same database).
 * Returns {baseUrl, wsUrl, port, dataDir, proc, logs(), stop(signal), waitExit()}.
 */
export async function startServer(options = {}) {
  const port = options.port || (await freePort());
  const dataDir = options.dataDir || mkdtempSync(path.join(os.tmpdir(), 'kefu-test-'));
  const env = {
    ...process.env,
    KEFU_SERVER_HOST: '127.0.0.1',
    KEFU_SERVER_PORT: String(port),
    KEFU_STORAGE_PATH: path.join(dataDir, 'kefu.db'),
    KEFU_LOG_LEVEL: process.env.KEFU_TEST_LOG_LEVEL || 'warn',
    // Trained intent models are cached by the hash of their data: share the cache across test servers.
    KEFU_BOT_MODEL_DIR: path.join(os.tmpdir(), 'kefu-test-models'),
    ...(options.env || {}),
  };
  const proc = spawn(kefuBin, ['serve', ...(options.args || [])], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs || 30000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`kefu exited during start-up (${proc.exitCode ?? proc.signalCode}):\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`kefu did not become ready within the deadline:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // A crash (a sanitizer report, an abort, a segfault) must be visible in the test log, not only as the
  // connection errors that follow it.
  proc.on('exit', (code, signal) => {
    if (signal === 'SIGABRT' || signal === 'SIGSEGV' || /Sanitizer|runtime error:|terminate called/.test(output)) {
      process.stderr.write(`\nkefu (port ${port}) exited abnormally (code ${code}, signal ${signal}); its last output:\n` +
        `${output.slice(-6000)}\n`);
    }
  });
  return {
    port, dataDir, proc, baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/ws`,
    logs: () => output,
    waitExit: () => exited,
    /** Sends the signal and resolves with {code, signal} once the process has exited. */
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    /** Removes the data directory (call after stop, unless the test restarts over it). */
    cleanup() { rmSync(dataDir, { recursive: true, force: true }); },
  };
}
