// Benchmarks of tessera-authz in Node, with the fastest JS libraries beside it.
//
//   node bench/bench.mjs            (TESSERA_BIN: the CLI that signs the snapshots;
//                                    default ../target/release/tessera, else debug)
//
// Per-call figures are the median of 7 timed rounds after a warm-up; asymmetric JS
// baselines keep 16 verifications in flight, as servers do. Cold start runs in fresh
// processes: import + instantiate + load a 10,000-user snapshot.
import { execFileSync } from 'node:child_process';
import { createHmac, createSecretKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { Authorizer } from 'tessera-authz';
import { median, perCall, signedSnapshots } from './tenant.mjs';

const js = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const { snapshotKeys, snapshots: [small, large] } = signedSnapshots([1000, 10_000]);

// Tokens: HS256, ES256, EdDSA, signed with node:crypto.
const now = Math.floor(Date.now() / 1000);
const claims = { sub: 'user19', iss: 'https://issuer.bench', aud: 'api', iat: now, exp: now + 3600 };
const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
const secret = Buffer.from('benchmark secret of thirty-two b');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
function jwt(alg, kid, signer) {
  const input = `${part({ alg, typ: 'JWT', kid })}.${part(claims)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}
const tokens = {
  HS256: jwt('HS256', 'hs', (m) => createHmac('sha256', secret).update(m).digest()),
  ES256: jwt('ES256', 'es', (m) => sign('sha256', m, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })),
  EdDSA: jwt('EdDSA', 'ed', (m) => sign(null, m, ed.privateKey)),
};
const tokenKeys = {
  keys: [
    { kty: 'oct', kid: 'hs', alg: 'HS256', k: secret.toString('base64url') },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'es', alg: 'ES256' },
    { ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed', alg: 'EdDSA' },
  ],
};
const authz = Authorizer.load(small, { snapshotKeys, tokenKeys, issuer: 'https://issuer.bench', audience: 'api' });
for (const [alg, token] of Object.entries(tokens)) {
  const answer = authz.authorize(token, 'svc19:action3');
  const viaWebCrypto = await authz.authorizeAsync(token, 'svc19:action3');
  if (JSON.stringify(viaWebCrypto) !== JSON.stringify(answer)) throw new Error(`bench setup: ${alg} paths disagree`);
  if (!answer.allowed) throw new Error(`bench setup: ${alg} token refused: ${answer.reason}`);
}

/** ns per call of an async `fn` with `inFlight` calls outstanding. */
async function perCallAsync(fn, n, inFlight = 16) {
  const round = async () => {
    let next = 0;
    const worker = async () => { while (next < n) { next++; await fn(); } };
    const t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: inFlight }, worker));
    return Number(process.hrtime.bigint() - t) / n;
  };
  await round();
  const rounds = [];
  for (let r = 0; r < 7; r++) rounds.push(await round());
  return median(rounds);
}

const users = Array.from({ length: 1024 }, (_, i) => `user${i}`);
const perms = Array.from({ length: 1024 }, (_, i) => `svc${i % 100}:action${i % 10}`);
const hundred = Array.from({ length: 100 }, (_, i) => `svc${i}:action${i % 10}`);
let sink = 0;
const rows = [];
const row = (what, ns, target) => rows.push({ what, ns, target });

row('can(user, permission), allowed/denied mix', perCall((i) => { sink += authz.can(users[i & 1023], perms[(i * 7) & 1023]); }, 2_000_000), 500);
row('check(user, permission) with reason', perCall((i) => { sink += authz.check(users[i & 1023], perms[(i * 7) & 1023]).allowed; }, 1_000_000));
row('checkMany(user, 100 permissions)', perCall((i) => { sink += authz.checkMany(users[i & 1023], hundred).length; }, 50_000));
const targets = { HS256: 5_000, ES256: 60_000, EdDSA: 70_000 };
for (const [alg, token] of Object.entries(tokens)) {
  row(`authorize(token, permission) ${alg}`, perCall(() => { sink += authz.authorize(token, 'svc19:action3').allowed; }, alg === 'HS256' ? 200_000 : 300), targets[alg]);
}
for (const alg of ['ES256', 'EdDSA']) {
  row(`authorizeAsync(token, permission) ${alg} (WebCrypto), 16 in flight`, await perCallAsync(async () => { sink += (await authz.authorizeAsync(tokens[alg], 'svc19:action3')).allowed; }, 4_000), targets[alg]);
}

// The fastest JS peers on the same tokens.
const hsKey = createSecretKey(secret);
row('  jsonwebtoken.verify HS256 (KeyObject)', perCall(() => { sink += jsonwebtoken.verify(tokens.HS256, hsKey, { algorithms: ['HS256'], audience: 'api', issuer: 'https://issuer.bench' }).exp; }, 100_000));
row('  jsonwebtoken.verify ES256 (KeyObject)', perCall(() => { sink += jsonwebtoken.verify(tokens.ES256, ec.publicKey, { algorithms: ['ES256'], audience: 'api' }).exp; }, 2_000));
const joseKeys = { HS256: hsKey, ES256: ec.publicKey, EdDSA: ed.publicKey };
for (const alg of ['HS256', 'ES256', 'EdDSA']) {
  row(`  jose.jwtVerify ${alg}, 16 in flight`, await perCallAsync(async () => { sink += (await jose.jwtVerify(tokens[alg], joseKeys[alg], { audience: 'api' })).payload.exp; }, alg === 'HS256' ? 50_000 : 4_000));
}

// Cold start, in fresh processes.
writeFileSync(join(work, 'large.bin'), large);
writeFileSync(join(work, 'key.json'), JSON.stringify(snapshotKeys[0]));
const probe = `
const t0 = performance.now();
const { Authorizer } = await import('tessera-authz');
const t1 = performance.now();
const { readFileSync } = await import('node:fs');
const bytes = readFileSync(${JSON.stringify(join(work, 'large.bin'))});
const key = JSON.parse(readFileSync(${JSON.stringify(join(work, 'key.json'))}, 'utf8'));
const t2 = performance.now();
const authz = Authorizer.load(bytes, { snapshotKeys: [key] });
const t3 = performance.now();
if (authz.info.users !== 10000) throw new Error('wrong snapshot');
console.log(JSON.stringify({ importMs: t1 - t0, loadMs: t3 - t2, totalMs: t1 - t0 + t3 - t2 }));`;
const starts = Array.from({ length: 9 }, () => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: js, encoding: 'utf8' })));
const cold = { importMs: median(starts.map((s) => s.importMs)), loadMs: median(starts.map((s) => s.loadMs)), totalMs: median(starts.map((s) => s.totalMs)) };
rmSync(work, { recursive: true, force: true });

const fmt = (ns) => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
console.log(`Node ${process.version}, snapshot 1,000 users / 100 roles x 10 grants (${small.length} bytes); 10,000-user snapshot ${large.length} bytes\n`);
console.log('| call | per call | target |\n|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${fmt(r.ns)} | ${r.target ? `≤ ${fmt(r.target)}${r.ns <= r.target ? ' ✓' : ' ✗'}` : ''} |`);
console.log(`| cold start: import + instantiate | ${cold.importMs.toFixed(2)} ms | |`);
console.log(`| cold start: load 10,000-user snapshot | ${cold.loadMs.toFixed(2)} ms | |`);
console.log(`| cold start: total | ${cold.totalMs.toFixed(2)} ms | ≤ 10 ms${cold.totalMs <= 10 ? ' ✓' : ' ✗'} |`);
if (sink === 0.5) console.log('');
