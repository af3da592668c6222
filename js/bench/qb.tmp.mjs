import { execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Authorizer } from 'tessera-authz';
const bin = '/work/main/target/debug/tessera', w = '/tmp/qb';
const env = { ...process.env, AUTH_DATA_DIR: w + '/data' };
const cli = (...a) => execFileSync(bin, a, { env, encoding: 'utf8' });
if (!existsSync(w + '/key.jwk')) {
  cli('keys', 'generate', '--kind', 'snapshot', '--out', w + '/key.jwk');
  for (const n of [1000, 10000]) {
    const roles = {}; for (let r = 0; r < 100; r++) roles[`role${r}`] = { grants: Array.from({ length: 10 }, (_, g) => `svc${r}:action${g}`), parents: r > 0 && r % 10 ? [`role${r - 1}`] : [] };
    const members = {}; for (let u = 0; u < n; u++) members[`user${u}`] = [...new Set([`role${u % 100}`, `role${(u * 7 + 3) % 100}`])];
    writeFileSync(`${w}/p${n}.json`, JSON.stringify({ tenant: '6f1d3a2e-4b5c-4d7e-8f90-a1b2c3d4e5f6', roles, members }));
    cli('snapshot', 'build', `${w}/p${n}.json`, '--key', w + '/key.jwk', '--out', `${w}/s${n}.bin`, '--revision', '1');
  }
  writeFileSync(w + '/pub.json', cli('keys', 'public', w + '/key.jwk'));
}
const snapshotKeys = [JSON.parse(readFileSync(w + '/pub.json', 'utf8'))];
const now = Math.floor(Date.now() / 1000);
const claims = { sub: 'user19', iss: 'i', aud: 'api', iat: now, exp: now + 3600 };
const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
const secret = Buffer.from('benchmark secret of thirty-two b');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }); const ed = generateKeyPairSync('ed25519');
const jwt = (alg, kid, s) => { const i = `${part({ alg, kid })}.${part(claims)}`; return `${i}.${s(Buffer.from(i)).toString('base64url')}`; };
const tokens = { HS256: jwt('HS256', 'hs', (m) => createHmac('sha256', secret).update(m).digest()), ES256: jwt('ES256', 'es', (m) => sign('sha256', m, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })), EdDSA: jwt('EdDSA', 'ed', (m) => sign(null, m, ed.privateKey)) };
const tokenKeys = { keys: [{ kty: 'oct', kid: 'hs', alg: 'HS256', k: secret.toString('base64url') }, { ...ec.publicKey.export({ format: 'jwk' }), kid: 'es', alg: 'ES256' }, { ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed', alg: 'EdDSA' }] };
const t0 = performance.now();
const big = Authorizer.load(readFileSync(`${w}/s10000.bin`), { snapshotKeys });
const loadMs = performance.now() - t0;
const a = Authorizer.load(readFileSync(`${w}/s1000.bin`), { snapshotKeys, tokenKeys, issuer: 'i', audience: 'api' });
const time = (fn, n) => { for (let i = 0; i < n; i++) fn(i); const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(i); return Number(process.hrtime.bigint() - t) / n; };
const users = Array.from({ length: 1024 }, (_, i) => `user${i}`), perms = Array.from({ length: 1024 }, (_, i) => `svc${i % 100}:action${i % 10}`);
let s = 0;
const out = { can: time((i) => { s += a.can(users[i & 1023], perms[(i * 7) & 1023]); }, 500000) };
for (const [k, t] of Object.entries(tokens)) { if (!a.authorize(t, 'svc19:action3').allowed) throw new Error(k); out[k] = time(() => { s += a.authorize(t, 'svc19:action3').allowed; }, k === 'HS256' ? 50000 : 300); }
out.load10k_ms = loadMs;
console.log(JSON.stringify(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, +v.toFixed(k.endsWith('ms') ? 2 : 0)]))));
