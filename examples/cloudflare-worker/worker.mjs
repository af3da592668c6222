// A Cloudflare worker that decides at the edge: the signed demo snapshot is bundled
// as a data module, verified once per isolate, and every request is guarded.
import { Authorizer, guard } from 'tessera-authz';
import snapshot from './demo.snapshot';
import key from '../demo-snapshot/demo-key.pub.json';
import { AUDIENCE, ISSUER } from '../demo-snapshot/demo-secret.mjs';

let guards;

/** Built on the first request: the token secret is an environment binding. */
function guardsFor(env) {
  if (guards) return guards;
  const authz = Authorizer.load(snapshot, {
    snapshotKeys: [key],
    tokenKeys: { keys: [{ kty: 'oct', kid: 'demo', alg: 'HS256', k: btoa(env.DEMO_JWT_SECRET).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '') }] },
    issuer: ISSUER,
    audience: AUDIENCE,
  });
  guards = { read: guard(authz, 'posts:read'), delete: guard(authz, 'posts:delete'), revision: authz.revision };
  return guards;
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    const g = guardsFor(env);
    if (pathname === '/posts' && request.method === 'GET') {
      return g.read(request) ?? Response.json([{ id: '1', title: 'Hello from the edge' }], { headers: { 'x-tessera-revision': String(g.revision) } });
    }
    const id = /^\/posts\/([^/]+)$/.exec(pathname)?.[1];
    if (id && request.method === 'DELETE') return g.delete(request) ?? Response.json({ deleted: id });
    return Response.json({ error: 'not_found' }, { status: 404 });
  },
};
