// `tessera serve` for the suites that talk to it: the CLI the test command built
// (TESSERA_BIN, else the workspace's debug build), on a free port, over a data
// directory of its own that goes away with it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const js = fileURLToPath(new URL('..', import.meta.url));
export const repo = resolve(js, '..');
export const bin = resolve(js, process.env.TESSERA_BIN ?? resolve(repo, process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'tessera'));

/**
 * Starts a server with `settings` (AUTH_* variables) over a fresh data directory,
 * after `prepare(env)` (which may run CLI commands on the same store). Resolves to
 * `{ url, stop }` once it listens.
 */
export async function startServe(settings = {}, prepare = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
  const env = { ...process.env, AUTH_DATA_DIR: dir, AUTH_DATABASE_URL: '', AUTH_RATE_LIMIT_ENABLED: 'false', ...settings };
  prepare(env);
  const server = spawn(bin, ['serve', '--bind', '127.0.0.1:0', '--log-format', 'text'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = () => {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const url = await new Promise((ok, fail) => {
    let seen = '';
    server.stderr.on('data', (chunk) => {
      seen += chunk;
      // A whole line: stderr arrives in chunks, and a URL cut short is another port.
      const match = /listening on (http:\/\/\S+)\n/.exec(seen);
      if (match) ok(match[1]);
    });
    server.on('exit', (code) => fail(new Error(`tessera serve exited ${code}: ${seen}`)));
  }).catch((error) => {
    stop();
    throw error;
  });
  return { url, stop };
}
