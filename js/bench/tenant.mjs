// The benchmarks' tenant, signed by the `tessera` CLI (TESSERA_BIN; default
// ../target/release/tessera, else debug): 100 roles of 10 grants, the HTTP
// benchmark's shape, with users spread over them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const js = fileURLToPath(new URL('..', import.meta.url));
const target = join(js, '..', process.env.CARGO_TARGET_DIR ?? 'target');
const bin = process.env.TESSERA_BIN ?? [join(target, 'release', 'tessera'), join(target, 'debug', 'tessera')].find(existsSync);

/** The policy document of a tenant with `users` users. */
export function policy(users) {
  const roles = {};
  for (let r = 0; r < 100; r++) {
    roles[`role${r}`] = { grants: Array.from({ length: 10 }, (_, g) => `svc${r}:action${g}`), parents: r > 0 && r % 10 ? [`role${r - 1}`] : [] };
  }
  const members = {};
  for (let u = 0; u < users; u++) members[`user${u}`] = [...new Set([`role${u % 100}`, `role${(u * 7 + 3) % 100}`])];
  return { tenant: '6f1d3a2e-4b5c-4d7e-8f90-a1b2c3d4e5f6', roles, members };
}

/**
 * Each policy document in `documents` (JSON text) signed by the CLI with one new key:
 * `{ snapshotKeys, snapshots }`, `snapshots[i]` the bytes for `documents[i]`.
 */
export function sign(documents) {
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  try {
    const env = { ...process.env, AUTH_DATA_DIR: join(work, 'data') };
    const cli = (...args) => execFileSync(bin, args, { env, encoding: 'utf8' });
    cli('keys', 'generate', '--kind', 'snapshot', '--out', join(work, 'key.jwk'));
    const snapshotKeys = [JSON.parse(cli('keys', 'public', join(work, 'key.jwk')))];
    const snapshots = documents.map((text, i) => {
      writeFileSync(join(work, `p${i}.json`), text);
      cli('snapshot', 'build', join(work, `p${i}.json`), '--key', join(work, 'key.jwk'), '--out', join(work, `s${i}.bin`), '--revision', '1');
      return readFileSync(join(work, `s${i}.bin`));
    });
    return { snapshotKeys, snapshots };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Signed snapshots of the tenant at each size in `sizes`: `{ snapshotKeys, snapshots }`,
 * `snapshots[i]` the bytes for `sizes[i]` users.
 */
export const signedSnapshots = (sizes) => sign(sizes.map((users) => JSON.stringify(policy(users))));

/** Median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** ns per call of a synchronous `fn(i)`, median of 7 rounds of `n` calls after one warm-up round. */
export function perCall(fn, n) {
  for (let i = 0; i < n; i++) fn(i);
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    rounds.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(rounds);
}
