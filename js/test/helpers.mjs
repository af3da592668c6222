// Shared by the Node suites: fixtures, and tokens signed with node:crypto (an
// implementation independent of the core).
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const fixtures = JSON.parse(readFileSync(new URL('../build/fixtures/fixtures.json', import.meta.url), 'utf8'));
export const snapshot = (name) => Buffer.from(fixtures.api[name], 'base64');
export const snapshotKeys = [fixtures.snapshotKey];

const secret = Buffer.from('a test secret of thirty-two bytes!');
export const tokenKeys = { keys: [{ kty: 'oct', kid: 'hs', alg: 'HS256', k: secret.toString('base64url') }] };
export const NOW = 1_900_000_000;

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 token for `sub` (claims merged over iss/aud/exp defaults). */
export function token(sub, claims = {}) {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'hs' })}.${b64({ sub, iss: 'https://issuer.test', aud: 'api', iat: NOW - 10, exp: NOW + 600, ...claims })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export const tokenOptions = { tokenKeys, issuer: 'https://issuer.test', audience: 'api' };
