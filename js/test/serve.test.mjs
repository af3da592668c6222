// One engine, one decision: a running `tessera serve` (the CLI the test command
// built) is the source of truth; the package loads its snapshots with the keys it
// publishes, follows its writes through a SnapshotPoller, and validates its tokens
// with its JWKS. Every question gets the server's answer.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SnapshotPoller } from 'tessera-authz';
import { startServe } from './tessera-serve.mjs';

const key = randomUUID();
let server;
let url;

before(async () => {
  server = await startServe();
  url = server.url;
});

after(() => server?.stop());

async function call(method, path, body) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    assert.fail(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  }
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const users = ['alice', 'bob', 'carol', 'nobody'];
const permissions = ['posts:read', 'posts:edit', 'posts:delete', 'comments:write', 'admin:panel'];

/** Asks the server and the package every question; they must agree. */
async function agree(authz) {
  for (const user of users) {
    for (const permission of permissions) {
      const server = (await call('GET', `/api/has_permission/${user}/${permission}`)).data.has_permission;
      assert.equal(authz.can(user, permission), server, `${user} ${permission}`);
    }
  }
}

test('the package decides exactly as the server that signed its snapshot, and follows its writes', async () => {
  await call('POST', '/api/role/viewer');
  await call('POST', '/api/role/editor', { parents: ['viewer'], description: 'Edits' });
  await call('POST', '/api/permission/viewer/posts:read');
  await call('POST', '/api/permission/editor/posts:*');
  await call('POST', '/api/deny/editor/posts:delete');
  // A new tenant is strict (Auth 3.x): users need an API key before a role, and the
  // snapshot carries who holds one ('nobody' does not).
  await call('POST', '/api/apikeys/user/alice');
  await call('POST', '/api/apikeys/user/bob');
  await call('POST', '/api/membership/alice/editor');
  await call('POST', '/api/membership/bob/viewer');

  const snapshotKeys = (await (await fetch(`${url}/.well-known/tessera-snapshot-keys.json`)).json()).keys;
  const tokenKeys = await (await fetch(`${url}/.well-known/jwks.json`)).json();
  const updates = [];
  const poller = new SnapshotPoller(`${url}/api/snapshot`, {
    snapshotKeys,
    tokenKeys,
    audience: `urn:tessera:tenant:${createHash('sha256').update(key).digest('hex')}`,
    headers: { authorization: `Bearer ${key}` },
    intervalMs: 0,
    onUpdate: (info) => updates.push(info.revision),
  });
  try {
    const authz = await poller.ready;
    assert.equal(authz.tenant, key);
    await agree(authz);
    assert.deepEqual(authz.check('alice', 'posts:delete'), { allowed: false, reason: 'denied', role: 'editor', pattern: 'posts:delete' });
    assert.deepEqual(authz.check('nobody', 'posts:read'), { allowed: false, reason: 'user_not_key_backed' });

    // A write on the server; the next poll brings it, and the answers still agree.
    await call('POST', '/api/apikeys/user/carol');
    await call('POST', '/api/membership/carol/editor');
    await call('DELETE', '/api/membership/bob/viewer');
    assert.equal(await poller.refresh(), true);
    assert.equal(await poller.refresh(), false, 'unchanged: a 304');
    assert.equal(authz.can('carol', 'posts:edit'), true);
    await agree(authz);
    assert.equal(updates.length, 2);
    assert.ok(updates[1] > updates[0]);

    // A token the server issues is validated by the package (EdDSA, the server's key),
    // on the wasm path and through WebCrypto, with the server's own answer.
    await call('PUT', '/api/users/alice/password', { password: 'Correct1horse' });
    const { access_token: token } = await call('POST', '/api/token', { grant_type: 'password', username: 'alice', password: 'Correct1horse' });
    const served = await call('POST', '/api/authorize', { token, permission: 'posts:edit' });
    const local = authz.authorize(token, 'posts:edit');
    assert.deepEqual([local.allowed, local.subject], [true, 'alice']);
    assert.deepEqual([served.allowed, served.subject], [local.allowed, local.subject]);
    assert.deepEqual(await authz.authorizeAsync(token, 'posts:edit'), local);
    assert.equal(authz.authorize(token, 'posts:delete').reason, 'denied');
  } finally {
    poller.stop();
  }
});

test("a signed-in user's subject snapshot answers for that user only, through the poller with the user's token", async () => {
  await call('POST', '/api/role/writer');
  await call('POST', '/api/permission/writer/posts:edit');
  await call('POST', '/api/apikeys/user/dana');
  await call('POST', '/api/membership/dana/writer');
  await call('PUT', '/api/users/dana/password', { password: 'Correct1horse' });
  let session = await call('POST', '/api/token', { grant_type: 'password', username: 'dana', password: 'Correct1horse' });
  const snapshotKeys = (await (await fetch(`${url}/.well-known/tessera-snapshot-keys.json`)).json()).keys;
  let asked = 0;
  const poller = new SnapshotPoller(`${url}/api/snapshot/subject`, {
    snapshotKeys,
    // Asked before each download: a page swaps in a refreshed access token here.
    headers: async () => {
      asked += 1;
      return { authorization: `Bearer ${session.access_token}` };
    },
    intervalMs: 0,
  });
  try {
    const authz = await poller.ready;
    assert.equal(authz.info.subject, 'dana');
    assert.notEqual(authz.tenant, key, 'the page never learns the client key');
    assert.ok(authz.info.expires_at > Date.now() / 1000);
    assert.deepEqual(authz.check('dana', 'posts:edit'), { allowed: true, reason: 'granted', role: 'writer', pattern: 'posts:edit' });
    for (const question of [() => authz.check('alice', 'posts:edit'), () => authz.whichUsersCan('posts:edit'), () => authz.roleMembers('writer'), () => authz.roles()]) {
      assert.throws(question, (e) => e.code === 'ERR_SNAPSHOT_SUBJECT');
    }
    // The next download goes with the refreshed token.
    session = await call('POST', '/api/token/refresh', { refresh_token: session.refresh_token });
    await poller.refresh();
    assert.equal(asked, 2);
    assert.equal(poller.authorizer.info.subject, 'dana');
  } finally {
    poller.stop();
  }
});
