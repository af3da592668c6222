// Prints a demo access token for a user: `node token.mjs alice` (valid 1 hour).
import { createHmac } from 'node:crypto';
import { AUDIENCE, DEMO_SECRET, ISSUER } from './demo-secret.mjs';

const user = process.argv[2] ?? 'alice';
const now = Math.floor(Date.now() / 1000);
const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const input = `${part({ alg: 'HS256', typ: 'JWT', kid: 'demo' })}.${part({ sub: user, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 3600 })}`;
console.log(`${input}.${createHmac('sha256', DEMO_SECRET).update(input).digest('base64url')}`);
