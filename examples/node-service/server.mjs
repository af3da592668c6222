// A plain `node:http` service whose routes are guarded by tessera-authz middleware.
// Decisions come from a signed snapshot: the demo file, or a live `tessera serve`
// (TESSERA_SNAPSHOT_URL + TESSERA_CLIENT_KEY), kept current by a SnapshotPoller.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Authorizer, SnapshotPoller, requirePermission } from 'tessera-authz';
import { AUDIENCE, DEMO_SECRET, ISSUER } from '../demo-snapshot/demo-secret.mjs';

const demo = new URL('../demo-snapshot/', import.meta.url);
const live = process.env.TESSERA_SNAPSHOT_URL;
// The keys snapshots must be signed with: the demo's, or those the server publishes,
// fetched once at start (pin them in a file for production: TESSERA_SNAPSHOT_KEY).
const snapshotKeys = process.env.TESSERA_SNAPSHOT_KEY
  ? [JSON.parse(readFileSync(process.env.TESSERA_SNAPSHOT_KEY, 'utf8'))]
  : live
    ? (await (await fetch(new URL('/.well-known/tessera-snapshot-keys.json', live))).json()).keys
    : [JSON.parse(readFileSync(new URL('demo-key.pub.json', demo), 'utf8'))];
const options = {
  snapshotKeys,
  tokenKeys: { keys: [{ kty: 'oct', kid: 'demo', alg: 'HS256', k: Buffer.from(DEMO_SECRET).toString('base64url') }] },
  issuer: ISSUER,
  audience: AUDIENCE,
  // Ship decision logs wherever you like; here, denied ones go to stderr.
  onDecision: (d) => d.allowed || console.error(`denied ${d.user ?? '-'} ${d.permission}: ${d.reason}`),
};

const source = live
  ? new SnapshotPoller(live, {
      ...options,
      intervalMs: 5_000,
      headers: { authorization: `Bearer ${process.env.TESSERA_CLIENT_KEY}` },
      onUpdate: (info) => console.log(`snapshot revision ${info.revision} in force`),
      onError: (e) => console.error(`snapshot refresh failed (the last good one stays): ${e.message}`),
    })
  : Authorizer.load(readFileSync(new URL('demo.snapshot', demo)), options);

const posts = new Map([['1', { id: '1', title: 'Hello' }]]);
const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

// One guard per permission, built once.
const guards = {
  read: requirePermission(source, 'posts:read'),
  edit: requirePermission(source, 'posts:edit'),
  delete: requirePermission(source, 'posts:delete'),
};

const server = createServer((req, res) => {
  const id = /^\/posts\/([^/]+)$/.exec(req.url)?.[1];
  if (req.url === '/posts' && req.method === 'GET') return guards.read(req, res, () => json(res, 200, [...posts.values()]));
  if (id && req.method === 'PUT') {
    return guards.edit(req, res, () => json(res, 200, { id, edited_by: req.tessera.subject }));
  }
  if (id && req.method === 'DELETE') {
    return guards.delete(req, res, () => json(res, 200, { deleted: posts.delete(id), by: req.tessera.subject }));
  }
  json(res, 404, { error: 'not_found' });
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
