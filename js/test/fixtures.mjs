// Writes build/fixtures/fixtures.json: every conformance vector (tests/vectors) with
// each policy compiled into a snapshot signed by the `tessera` CLI, plus the API
// suite's snapshots (revisions, another tenant, an untrusted signer, encryption).
// The host signs, the package verifies: the same bytes cross faces as in production.
//
//   TESSERA_BIN=../target/debug/tessera node test/fixtures.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const js = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vectors = resolve(js, '..', 'tests', 'vectors');
const bin = resolve(js, process.env.TESSERA_BIN ?? resolve(js, '..', process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'tessera'));
const work = mkdtempSync(join(tmpdir(), 'tessera-fixtures-'));
const env = { ...process.env, AUTH_DATA_DIR: join(work, 'data'), AUTH_DATABASE_URL: '' };
const tessera = (...args) => execFileSync(bin, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));

function key(name) {
  const file = join(work, `${name}.jwk`);
  tessera('keys', 'generate', '--kind', 'snapshot', '--out', file);
  return { file, public: JSON.parse(tessera('keys', 'public', file)) };
}

let built = 0;
function snapshot(policy, signer, { revision = 1, encryptWith, ttl } = {}) {
  const file = join(work, `policy-${built}.json`);
  const out = join(work, `snapshot-${built++}.bin`);
  writeFileSync(file, typeof policy === 'string' ? policy : JSON.stringify(policy));
  const args = ['snapshot', 'build', file, '--key', signer.file, '--out', out, '--revision', String(revision)];
  if (encryptWith !== undefined) args.push('--encrypt');
  if (ttl !== undefined) args.push('--ttl', ttl);
  execFileSync(bin, args, { env: { ...env, AUTH_ENCRYPTION_KEY: encryptWith ?? '' }, stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(out).toString('base64');
}

const trusted = key('trusted');
const stranger = key('stranger');

const policies = readdirSync(join(vectors, 'policy')).sort().map((name) => {
  const file = read(join(vectors, 'policy', name));
  return { name: file.name, cases: file.cases, snapshot: snapshot(file.policy, trusted) };
});
const jwt = read(join(vectors, 'jwt', 'tokens.json'));
jwt.snapshot = snapshot(jwt.policy, trusted);

const tenant = '6f1d3a2e-4b5c-4d7e-8f90-a1b2c3d4e5f6';
const other = '0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b';
const base = {
  tenant,
  roles: {
    viewer: { grants: ['posts:read'] },
    editor: { parents: ['viewer'], grants: ['posts:*'], denies: ['posts:delete'] },
    admin: { parents: ['editor'], grants: ['*'] },
  },
  members: { alice: ['editor'], bob: ['viewer'], root: ['admin'] },
};
const grown = structuredClone(base);
grown.members.carol = ['viewer'];
grown.members.bob = ['editor'];
const dataKey = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff)).toString('base64');
const api = {
  tenant,
  revision1: snapshot(base, trusted, { revision: 1 }),
  revision2: snapshot(grown, trusted, { revision: 2 }),
  otherTenant: snapshot({ ...base, tenant: other }, trusted, { revision: 3 }),
  untrusted: snapshot(grown, stranger, { revision: 5 }),
  encrypted: snapshot(grown, trusted, { revision: 4, encryptWith: dataKey }),
  // Expiring a day, then two days, after they were built.
  expiring: snapshot(base, trusted, { revision: 6, ttl: '24h' }),
  expiringLater: snapshot(grown, trusted, { revision: 7, ttl: '48h' }),
  dataKey,
};

const fixtures = {
  snapshotKey: trusted.public,
  policies,
  identifiers: read(join(vectors, 'identifiers.json')),
  jwt,
  sanitizer: read(join(vectors, 'sanitizer', 'cases.json')),
  api,
};
const dir = join(js, 'build', 'fixtures');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'fixtures.json'), JSON.stringify(fixtures));
// workerd imports JSON only as a module it is told about; the same data as ESM.
writeFileSync(join(dir, 'fixtures.mjs'), `export default ${JSON.stringify(fixtures)};\n`);
rmSync(work, { recursive: true, force: true });
console.log(`fixtures: ${policies.length} policy files and the API snapshots in ${dir}`);
