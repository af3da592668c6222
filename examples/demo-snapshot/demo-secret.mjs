// The HS256 secret this demo's tokens are signed with. A real service gets its
// token keys from its issuer, e.g. `tessera serve`'s /.well-known/jwks.json.
export const DEMO_SECRET = globalThis.process?.env?.DEMO_JWT_SECRET ?? 'tessera demo secret, not for production use';
export const ISSUER = 'https://issuer.demo';
export const AUDIENCE = 'posts-api';
