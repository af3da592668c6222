// AuthZEN 1.0 certification (tests/authzen/certify.mjs: every level of the
// scenario) against `tessera serve` with the scenario's fixture imported
// (examples/authzen-certification/policy.yaml, strict users off), reached as behind a TLS-terminating
// proxy: the proxy's `X-Forwarded-Proto: https` makes the discovery document name
// https endpoints.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { certify } from '../../tests/authzen/certify.mjs';

const js = fileURLToPath(new URL('..', import.meta.url));
const repo = resolve(js, '..');
const bin = resolve(js, process.env.TESSERA_BIN ?? resolve(repo, process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'tessera'));
const fixture = join(repo, 'examples', 'authzen-certification', 'policy.yaml');
const tenant = /^tenant: (\S+)$/m.exec(readFileSync(fixture, 'utf8'))[1];
const dir = mkdtempSync(join(tmpdir(), 'tessera-authzen-'));
const env = { ...process.env, AUTH_DATA_DIR: dir, AUTH_DATABASE_URL: '', AUTH_RATE_LIMIT_ENABLED: 'false' };
let server;
let url;

before(async () => {
  execFileSync(bin, ['import', fixture], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  // The scenario's subjects hold no Tessera API key: strict users (Auth 3.x's
  // default for a new tenant) would deny them all.
  execFileSync(bin, ['settings', '--tenant', tenant, '--strict-users', 'false'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  server = spawn(bin, ['serve', '--bind', '127.0.0.1:0', '--log-format', 'text'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  url = await new Promise((ok, fail) => {
    let seen = '';
    server.stderr.on('data', (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+)\n/.exec(seen);
      if (match) ok(match[1]);
    });
    server.on('exit', (code) => fail(new Error(`tessera serve exited ${code}: ${seen}`)));
  });
});

after(() => {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('tessera serve passes every level of the AuthZEN 1.0 certification scenario', async () => {
  const results = await certify({
    url,
    identifier: url.replace(/^http:/, 'https:'),
    headers: { authorization: `Bearer ${tenant}`, 'x-forwarded-proto': 'https' },
  });
  assert.deepEqual(Object.keys(results), ['Basic Core', 'Basic Properties', 'Batch Core', 'Batch Properties', 'Search Core', 'Search Properties', 'Discovery']);
  for (const [level, failures] of Object.entries(results)) assert.deepEqual(failures, [], level);
});
