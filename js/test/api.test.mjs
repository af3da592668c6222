// The package's API beyond the vectors: loading, hot swap and its refusals, errors,
// decision events, the snapshot poller against a local HTTP server, and middleware.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { Authorizer, SnapshotPoller, TesseraError, guard, loadPublicKeyAlgorithms, requirePermission, sanitize } from 'tessera-authz';
import { NOW, fixtures, snapshot, snapshotKeys, token, tokenOptions } from './helpers.mjs';

const load = (name = 'revision1', options = {}) => Authorizer.load(snapshot(name), { snapshotKeys, ...options });

function throwsCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof TesseraError, `expected a TesseraError, got ${e}`);
    assert.equal(e.code, code);
    return true;
  });
}

describe('Authorizer.load', () => {
  test('verifies a snapshot signed by the CLI and answers from it', () => {
    const authz = load();
    assert.equal(authz.tenant, fixtures.api.tenant);
    assert.equal(authz.revision, 1);
    assert.equal(authz.info.users, 3);
    assert.equal(authz.can('alice', 'posts:edit'), true);
    assert.equal(authz.can('alice', 'posts:delete'), false);
    assert.deepEqual(authz.check('alice', 'posts:delete'), { allowed: false, reason: 'denied', role: 'editor', pattern: 'posts:delete' });
    assert.deepEqual(authz.check('root', 'anything'), { allowed: true, reason: 'granted', role: 'admin', pattern: '*' });
    assert.deepEqual(authz.check('nobody', 'posts:read'), { allowed: false, reason: 'unknown_user' });
    assert.deepEqual(authz.check('bob', 'posts:edit'), { allowed: false, reason: 'no_matching_grant' });
    assert.deepEqual(authz.checkMany('alice', ['posts:read', 'posts:delete', 'x']), [true, false, false]);
    assert.deepEqual(authz.checkMany('alice', []), []);
    // Long and empty items keep their place in the framed list.
    const long = `posts:${'x'.repeat(100)}`;
    assert.deepEqual(authz.checkMany('alice', [long, 'posts:read', long, 'posts:delete']), [true, true, true, false]);
    assert.deepEqual(authz.checkMany('root', Array.from({ length: 5000 }, (_, i) => `svc${i}:read`)).length, 5000);
  });

  test('queries, with empty lists for unknown users and roles', () => {
    const authz = load();
    assert.equal(authz.hasRole('alice', 'viewer'), true);
    assert.equal(authz.hasRole('bob', 'editor'), false);
    assert.deepEqual(authz.userRoles('alice'), ['editor']);
    assert.deepEqual(authz.userPermissions('alice'), ['posts:*', 'posts:read']);
    assert.deepEqual(authz.rolePermissions('viewer'), ['posts:read']);
    assert.deepEqual(authz.roleMembers('viewer'), ['bob']);
    assert.deepEqual(authz.whichRolesCan('posts:read'), ['admin', 'editor', 'viewer']);
    assert.deepEqual(authz.whichUsersCan('posts:edit'), ['alice', 'root']);
    assert.deepEqual(authz.roles(), ['admin', 'editor', 'viewer']);
    assert.deepEqual(authz.userRoles('nobody'), []);
    assert.deepEqual(authz.roleMembers('ghost'), []);
    assert.deepEqual(authz.rolePermissions('ghost'), []);
  });

  test('refuses a snapshot from an untrusted key, with no key, or damaged', () => {
    throwsCode(() => load('untrusted'), 'ERR_SNAPSHOT_UNKNOWN_KEY_ID');
    throwsCode(() => Authorizer.load(snapshot('revision1')), 'ERR_SNAPSHOT_UNKNOWN_KEY_ID');
    const damaged = Buffer.from(snapshot('revision1'));
    damaged[damaged.length - 5] ^= 1;
    assert.throws(() => Authorizer.load(damaged, { snapshotKeys }), (e) => e instanceof TesseraError && e.code.startsWith('ERR_SNAPSHOT_'));
    throwsCode(() => Authorizer.load(new Uint8Array([1, 2, 3]), { snapshotKeys }), 'ERR_SNAPSHOT_MALFORMED');
    throwsCode(() => Authorizer.load(snapshot('revision1'), { snapshotKeys, maxSnapshotBytes: 10 }), 'ERR_SNAPSHOT_OVERSIZED');
  });

  test('decrypts an encrypted snapshot with decryptionKey, and refuses it without', () => {
    const authz = load('encrypted', { decryptionKey: fixtures.api.dataKey });
    assert.equal(authz.revision, 4);
    assert.match(authz.info.encrypted_with, /^aes-/);
    assert.equal(authz.can('carol', 'posts:read'), true);
    assert.throws(() => load('encrypted'), (e) => e instanceof TesseraError && e.code.startsWith('ERR_SNAPSHOT_'));
  });

  test('refuses bad options and arguments with a clear code', () => {
    throwsCode(() => load('revision1', { snapshotKey: snapshotKeys[0] }), 'ERR_INVALID_ARGUMENT');
    throwsCode(() => load('revision1', { leewaySeconds: 'soon' }), 'ERR_OPTIONS');
    throwsCode(() => load('revision1', { tokenKeys: { keys: [{ kty: 'oct' }] } }), 'ERR_KEY_INVALID_JWK');
    throwsCode(() => Authorizer.load('not bytes', { snapshotKeys }), 'ERR_INVALID_ARGUMENT');
    const authz = load();
    throwsCode(() => authz.can(undefined, 'posts:read'), 'ERR_INVALID_ARGUMENT');
    throwsCode(() => authz.checkMany('alice', 'posts:read'), 'ERR_INVALID_ARGUMENT');
    throwsCode(() => authz.can('al ice', 'posts:read'), 'ERR_INVALID_IDENTIFIER');
    throwsCode(() => authz.checkMany('alice', ['posts:read', 'a\nb']), 'ERR_INVALID_IDENTIFIER');
    throwsCode(() => authz.checkMany('alice', ['posts:read', 'pöst:read']), 'ERR_INVALID_IDENTIFIER');
    throwsCode(() => authz.checkMany('alice', ['posts:read', '']), 'ERR_INVALID_IDENTIFIER');
    throwsCode(() => authz.check('alice', `posts:${'ü'.repeat(70)}`), 'ERR_INVALID_IDENTIFIER');
    // After refusals the scratch buffer still serves.
    assert.equal(authz.can('alice', 'posts:edit'), true);
    throwsCode(() => authz.verify('x.y.z', { now: Number.NaN }), 'ERR_INVALID_ARGUMENT');
    assert.throws(() => new Authorizer(), TesseraError);
  });
});

describe('replace', () => {
  test('swaps a newer revision in atomically', () => {
    const authz = load();
    assert.equal(authz.can('bob', 'posts:edit'), false);
    const info = authz.replace(snapshot('revision2'));
    assert.equal(info.revision, 2);
    assert.equal(authz.revision, 2);
    assert.equal(authz.can('bob', 'posts:edit'), true);
    assert.equal(authz.can('carol', 'posts:read'), true);
    assert.equal(authz.replace(snapshot('revision2')).revision, 2, 'the same revision again is harmless');
  });

  test('a rollback, another tenant, an untrusted signer or garbage is refused and the old snapshot stays', () => {
    const authz = load('revision2');
    throwsCode(() => authz.replace(snapshot('revision1')), 'ERR_SNAPSHOT_ROLLBACK');
    throwsCode(() => authz.replace(snapshot('otherTenant')), 'ERR_SNAPSHOT_TENANT_MISMATCH');
    throwsCode(() => authz.replace(snapshot('untrusted')), 'ERR_SNAPSHOT_UNKNOWN_KEY_ID');
    throwsCode(() => authz.replace(new Uint8Array(0)), 'ERR_SNAPSHOT_TRUNCATED');
    assert.equal(authz.revision, 2);
    assert.equal(authz.can('bob', 'posts:edit'), true);
    assert.equal(authz.tenant, fixtures.api.tenant);
  });
});

describe('snapshot expiry', () => {
  // The fixtures expire a day after they were built (now, by the system clock):
  // the authorizer's clock starts there and moves as the test says.
  const expiring = (name, clock) => Authorizer.load(snapshot(name), { snapshotKeys, ...tokenOptions, clock });

  // Every call that decides or reads the policy, each giving what it answered.
  const decisions = (authz, valid) => [
    () => authz.can('alice', 'posts:edit'),
    () => authz.check('alice', 'posts:edit').allowed,
    () => authz.checkMany('alice', ['posts:edit', 'posts:delete']),
    () => authz.check('alice', 'edit', 'posts:1').allowed,
    () => authz.check('alice', 'edit', 'posts:1', { urgent: true }).allowed,
    () => authz.actions('alice', 'posts:1').items,
    () => authz.hasRole('alice', 'viewer'),
    () => authz.userRoles('alice'),
    () => authz.whichUsersCan('posts:read'),
    () => authz.roles(),
    () => authz.authorize(valid, 'posts:edit').allowed,
  ];

  test('past expires_at every decision is refused until a fresh snapshot replaces it', async () => {
    let now = Date.now() / 1000;
    const authz = expiring('expiring', () => now);
    const expiresAt = authz.info.expires_at;
    assert.ok(Number.isInteger(expiresAt) && expiresAt > now, 'the fixture expires, later');
    const valid = token('alice', { iat: expiresAt - 100, exp: expiresAt + 600 });
    now = expiresAt - 1;
    const answers = decisions(authz, valid).map((decide) => decide());
    assert.deepEqual(answers.slice(0, 4), [true, true, [true, false], true]);
    assert.equal(answers[10], true);
    now = expiresAt;
    for (const decide of decisions(authz, valid)) throwsCode(decide, 'ERR_SNAPSHOT_EXPIRED');
    assert.equal(authz.revision, 6, 'what is loaded can still be told');
    // A time the caller gives judges the token, never the snapshot: it stays expired.
    throwsCode(() => authz.authorize(valid, 'posts:edit', { now: expiresAt - 1 }), 'ERR_SNAPSHOT_EXPIRED');
    await assert.rejects(authz.authorizeAsync(valid, 'posts:edit'), (e) => e.code === 'ERR_SNAPSHOT_EXPIRED');
    throwsCode(() => authz.replace(snapshot('expiring')), 'ERR_SNAPSHOT_EXPIRED');
    authz.replace(snapshot('expiringLater'));
    assert.equal(authz.revision, 7);
    for (const decide of decisions(authz, valid)) decide();
    assert.equal(authz.can('carol', 'posts:read'), true);
  });

  test('a clock that gives no number fails closed; a snapshot that never expires never reads it', () => {
    let reading = Date.now() / 1000;
    const authz = expiring('expiring', () => (typeof reading === 'function' ? reading() : reading));
    for (const broken of [Number.NaN, undefined, Infinity, '1900000000', () => { throw Object.create(null); }]) {
      reading = broken;
      throwsCode(() => authz.can('alice', 'posts:edit'), 'ERR_OPTIONS');
      throwsCode(() => authz.check('alice', 'edit', 'posts:1'), 'ERR_OPTIONS');
    }
    const lasting = load('revision1', { now: NOW, clock: () => { throw new Error('the clock was read'); } });
    assert.equal(lasting.can('alice', 'posts:edit'), true);
    assert.equal(lasting.check('alice', 'edit', 'posts:1').allowed, true);
    throwsCode(() => load('revision1', { clock: 5 }), 'ERR_INVALID_ARGUMENT');
  });
});

describe('tokens', () => {
  test('verify returns the claims; authorize decides for the subject', () => {
    const authz = load('revision1', tokenOptions);
    assert.equal(authz.verify(token('alice'), { now: NOW }).sub, 'alice');
    assert.deepEqual(authz.authorize(token('alice'), 'posts:edit', { now: NOW }), {
      allowed: true, reason: 'granted', subject: 'alice', role: 'editor', pattern: 'posts:*',
    });
    assert.deepEqual(authz.authorize(token('bob'), 'posts:edit', { now: NOW }), { allowed: false, reason: 'no_matching_grant', subject: 'bob' });
    assert.deepEqual(authz.authorize(token('alice', { scope: 'posts:read' }), 'posts:edit', { now: NOW }), {
      allowed: false, reason: 'outside_token_scope', subject: 'alice',
    });
  });

  test('refused tokens: expired, wrong audience, bad signature, too long', () => {
    const authz = load('revision1', { ...tokenOptions, maxTokenLength: 2048 });
    throwsCode(() => authz.verify(token('alice'), { now: NOW + 3600 }), 'ERR_TOKEN_EXPIRED');
    throwsCode(() => authz.verify(token('alice', { aud: 'other' }), { now: NOW }), 'ERR_TOKEN_WRONG_AUDIENCE');
    const forged = `${token('alice').slice(0, -3)}AAA`;
    throwsCode(() => authz.verify(forged, { now: NOW }), 'ERR_TOKEN_BAD_SIGNATURE');
    throwsCode(() => authz.verify(token('alice', { pad: 'x'.repeat(3000) }), { now: NOW }), 'ERR_TOKEN_TOO_LARGE');
    assert.deepEqual(authz.authorize(forged, 'posts:read', { now: NOW }), { allowed: false, reason: 'ERR_TOKEN_BAD_SIGNATURE' });
  });

  test('now defaults to the clock', () => {
    const authz = load('revision1', tokenOptions);
    const fresh = token('alice', { iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 });
    assert.equal(authz.authorize(fresh, 'posts:read').allowed, true);
    assert.equal(authz.authorize(token('alice'), 'posts:read').reason, 'ERR_TOKEN_ISSUED_IN_FUTURE');
  });
});

describe('onDecision', () => {
  test('receives every decision of can, check, checkMany and authorize', () => {
    const events = [];
    const authz = load('revision1', { ...tokenOptions, onDecision: (e) => events.push(e) });
    authz.can('alice', 'posts:read');
    authz.check('alice', 'posts:delete');
    authz.checkMany('bob', ['posts:read', 'posts:edit']);
    authz.authorize(token('alice'), 'posts:edit', { now: NOW });
    assert.deepEqual(events.map(({ user, permission, allowed, reason, role, revision }) => ({ user, permission, allowed, reason, role, revision })), [
      { user: 'alice', permission: 'posts:read', allowed: true, reason: 'granted', role: 'viewer', revision: 1 },
      { user: 'alice', permission: 'posts:delete', allowed: false, reason: 'denied', role: 'editor', revision: 1 },
      { user: 'bob', permission: 'posts:read', allowed: true, reason: 'granted', role: 'viewer', revision: 1 },
      { user: 'bob', permission: 'posts:edit', allowed: false, reason: 'no_matching_grant', role: undefined, revision: 1 },
      { user: 'alice', permission: 'posts:edit', allowed: true, reason: 'granted', role: 'editor', revision: 1 },
    ]);
    assert.ok(events.every((e) => typeof e.time === 'number' && Math.abs(e.time - Date.now()) < 60_000));
  });

  test('a callback that throws fails the call: no decision without its record', () => {
    const authz = load('revision1', { onDecision: () => { throw new Error('log sink down'); } });
    assert.throws(() => authz.can('alice', 'posts:read'), /log sink down/);
  });
});

describe('sanitize', () => {
  test('identifier, escape, strip, inspect', () => {
    sanitize.identifier('user', 'auth0|5f7c8ec7c33c6c004bbafe82');
    assert.throws(() => sanitize.identifier('role', 'team leads'), (e) => e.code === 'ERR_INVALID_IDENTIFIER' && e.violation === 'forbidden_char');
    throwsCode(() => sanitize.identifier('colour', 'x'), 'ERR_INVALID_ARGUMENT');
    assert.equal(sanitize.escape('<b>"hi"</b>'), '&lt;b&gt;&quot;hi&quot;&lt;/b&gt;');
    assert.equal(sanitize.strip('<b>bold</b> text'), 'bold text');
    assert.equal(sanitize.escape('ééé', { maxLength: 3 }), 'é');
    assert.deepEqual(sanitize.inspect('<script>alert(1)</script>'), [{ kind: 'dangerous_tag', offset: 0 }, { kind: 'dangerous_tag', offset: 16 }]);
    assert.deepEqual(sanitize.inspect('plain words'), []);
  });
});

/** A snapshot server whose answers the test scripts, counting requests. */
async function snapshotServer() {
  const state = { body: snapshot('revision1'), etag: '"r1"', status: 200, requests: [] };
  const server = createServer((req, res) => {
    state.requests.push({ ifNoneMatch: req.headers['if-none-match'], authorization: req.headers.authorization });
    if (state.status !== 200) return res.writeHead(state.status).end('failure');
    if (req.headers['if-none-match'] === state.etag) return res.writeHead(304, { etag: state.etag }).end();
    res.writeHead(200, { etag: state.etag, 'content-type': 'application/octet-stream' }).end(state.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { state, url: `http://127.0.0.1:${server.address().port}/api/snapshot`, close: () => server.close() };
}

describe('SnapshotPoller', () => {
  test('loads, revalidates with If-None-Match, swaps on change, keeps the last good snapshot', async () => {
    const server = await snapshotServer();
    const updates = [];
    const errors = [];
    const poller = new SnapshotPoller(server.url, {
      snapshotKeys, intervalMs: 0, headers: { authorization: 'Bearer key' },
      onUpdate: (info) => updates.push(info.revision), onError: (e) => errors.push(e.code),
    });
    try {
      const authz = await poller.ready;
      assert.equal(authz.revision, 1);
      assert.equal(server.state.requests[0].authorization, 'Bearer key');
      assert.equal(await poller.refresh(), false);
      assert.equal(server.state.requests[1].ifNoneMatch, '"r1"', 'revalidates with the ETag');

      Object.assign(server.state, { body: snapshot('revision2'), etag: '"r2"' });
      assert.equal(await poller.refresh(), true);
      assert.equal(poller.authorizer, authz, 'one Authorizer, swapped in place');
      assert.equal(authz.can('bob', 'posts:edit'), true);

      server.state.status = 500;
      assert.equal(await poller.refresh(), false);
      Object.assign(server.state, { status: 200, body: snapshot('revision1'), etag: '"r1"' });
      assert.equal(await poller.refresh(), false);
      Object.assign(server.state, { body: Buffer.from('garbage'), etag: '"g"' });
      assert.equal(await poller.refresh(), false);
      assert.equal(authz.revision, 2, 'the last good snapshot stays in force');
      assert.deepEqual(updates, [1, 2]);
      assert.deepEqual(errors, ['ERR_FETCH', 'ERR_SNAPSHOT_ROLLBACK', 'ERR_SNAPSHOT_MALFORMED']);
    } finally {
      poller.stop();
      server.close();
    }
  });

  test('polls on its own every intervalMs', async () => {
    const server = await snapshotServer();
    const poller = new SnapshotPoller(server.url, { snapshotKeys, intervalMs: 20 });
    try {
      await poller.ready;
      Object.assign(server.state, { body: snapshot('revision2'), etag: '"r2"' });
      for (let i = 0; i < 100 && poller.authorizer.revision !== 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(poller.authorizer.revision, 2);
    } finally {
      poller.stop();
      server.close();
    }
  });

  test('refreshes ahead of expiry, and keeps the last good snapshot until it expires', async () => {
    const server = await snapshotServer();
    Object.assign(server.state, { body: snapshot('expiring'), etag: '"e6"' });
    const expiresAt = Authorizer.load(snapshot('expiring'), { snapshotKeys }).info.expires_at;
    // Two seconds before it expires, with the poller's interval an hour away: the
    // refresh comes in one to one and a half seconds.
    let now = expiresAt - 2;
    const errors = [];
    const poller = new SnapshotPoller(server.url, {
      snapshotKeys, intervalMs: 3_600_000, clock: () => now, onError: (e) => errors.push(e.code),
    });
    const wait = async (done) => {
      for (let i = 0; i < 60 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(done(), 'in time');
    };
    try {
      const authz = await poller.ready;
      assert.equal(authz.revision, 6);
      // A refresh that fails is reported, and the snapshot in force stays.
      server.state.status = 500;
      await wait(() => server.state.requests.length >= 2);
      await wait(() => errors.length >= 1);
      assert.deepEqual(errors, ['ERR_FETCH']);
      assert.equal(authz.can('alice', 'posts:edit'), true);
      now = expiresAt;
      throwsCode(() => authz.can('alice', 'posts:edit'), 'ERR_SNAPSHOT_EXPIRED');
      // Expired, it keeps trying (a second apart), and the next good snapshot serves again.
      Object.assign(server.state, { status: 200, body: snapshot('expiringLater'), etag: '"e7"' });
      await wait(() => authz.revision === 7);
      assert.equal(authz.can('carol', 'posts:read'), true);
      // A clock that breaks is reported, and refresh() still never rejects.
      now = Number.NaN;
      errors.length = 0;
      Object.assign(server.state, { body: snapshot('expiring'), etag: '"again"' });
      assert.equal(await poller.refresh(), false);
      assert.deepEqual(errors, ['ERR_OPTIONS']);
    } finally {
      poller.stop();
      server.close();
    }
  });

  test('ready rejects when no first snapshot can be had; a fetch error is reported', async () => {
    const errors = [];
    const poller = new SnapshotPoller('http://127.0.0.1:9/none', {
      snapshotKeys, intervalMs: 0, fetch: async () => { throw new Error('offline'); }, onError: (e) => errors.push(e.message),
    });
    await assert.rejects(poller.ready, (e) => e.code === 'ERR_FETCH');
    assert.match(errors[0], /offline/);
  });

  test('an unknown option is refused at once, before any download', () => {
    let fetched = 0;
    const fetch = async () => { fetched++; throw new Error('unreachable'); };
    throwsCode(() => new SnapshotPoller('http://127.0.0.1:9/', { snapshotKey: snapshotKeys[0], fetch }), 'ERR_INVALID_ARGUMENT');
    assert.equal(fetched, 0);
  });
});

/** Runs one request through a Node middleware and reports what it answered. */
function throughMiddleware(middleware, authorization) {
  return new Promise((resolve) => {
    const req = { headers: authorization === undefined ? {} : { authorization } };
    const res = {
      writeHead(status, headers) { this.status = status; this.headers = headers; },
      end(body) { resolve({ status: this.status, headers: this.headers, body: JSON.parse(body) }); },
    };
    middleware(req, res, () => resolve({ status: 'next', tessera: req.tessera }));
  });
}

describe('middleware', () => {
  const authz = load('revision1', tokenOptions);
  const clock = { now: NOW };

  test('Node (req, res, next): next for allowed, 401 for a bad or missing token, 403 for a denied permission', async () => {
    const edit = requirePermission(authz, 'posts:edit', clock);
    assert.deepEqual(await throughMiddleware(edit, `Bearer ${token('alice')}`), {
      status: 'next', tessera: { subject: 'alice', permission: 'posts:edit', reason: 'granted', role: 'editor' },
    });
    const missing = await throughMiddleware(edit, undefined);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error, 'ERR_TOKEN_MISSING');
    assert.match(missing.headers['www-authenticate'], /^Bearer/);
    const bad = await throughMiddleware(edit, `Bearer ${token('alice', { exp: NOW - 3600 })}`);
    assert.deepEqual([bad.status, bad.body.error], [401, 'ERR_TOKEN_EXPIRED']);
    const denied = await throughMiddleware(edit, `Bearer ${token('bob')}`);
    assert.deepEqual([denied.status, denied.body.error, denied.body.reason], [403, 'ERR_PERMISSION_DENIED', 'no_matching_grant']);
    const byRequest = requirePermission(() => authz, (req) => (req.headers.authorization ? 'posts:read' : 'x'), clock);
    assert.equal((await throughMiddleware(byRequest, `Bearer ${token('bob')}`)).status, 'next');
  });

  test('works as real http middleware', async () => {
    const edit = requirePermission(authz, 'posts:edit', clock);
    const server = createServer((req, res) => edit(req, res, () => res.end(`hello ${req.tessera.subject}`)));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/`;
    try {
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token('alice')}` } });
      assert.equal(await ok.text(), 'hello alice');
      const no = await fetch(url, { headers: { authorization: `Bearer ${token('bob')}` } });
      assert.equal(no.status, 403);
      assert.equal((await no.json()).error, 'ERR_PERMISSION_DENIED');
    } finally {
      server.close();
    }
  });

  test('fetch-style guard: undefined to go on, a Response to refuse', async () => {
    const check = guard(authz, 'posts:edit', clock);
    const request = (auth) => new Request('https://app.test/posts/1', { method: 'PUT', headers: auth ? { authorization: auth } : {} });
    assert.equal(check(request(`Bearer ${token('alice')}`)), undefined);
    const unauthenticated = check(request());
    assert.equal(unauthenticated.status, 401);
    assert.equal((await unauthenticated.json()).error, 'ERR_TOKEN_MISSING');
    const forbidden = check(request(`Bearer ${token('bob')}`));
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.headers.get('content-type'), 'application/json');
    const noSnapshot = guard(new SnapshotPoller('http://127.0.0.1:9/', { intervalMs: 0, fetch: async () => { throw new Error('x'); } }), 'posts:edit');
    assert.equal(noSnapshot(request(`Bearer ${token('alice')}`)).status, 503);
  });
});

describe('the WebCrypto path (verifyAsync, authorizeAsync)', () => {
  const jwt = fixtures.jwt;
  const camel = { issuers: 'issuer', audiences: 'audience', leeway_seconds: 'leewaySeconds', max_age_seconds: 'maxAgeSeconds', required_claims: 'requiredClaims', require_subject: 'requireSubject', expected_type: 'expectedType', max_token_length: 'maxTokenLength' };
  const optionsOf = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel[k], v]));
  const outcome = async (fn) => {
    try {
      return { ok: await fn() };
    } catch (e) {
      assert.ok(e instanceof TesseraError, String(e));
      return { code: e.code };
    }
  };

  test('gives verify\'s answer for every JWT vector, and checks public-key signatures in WebCrypto', async () => {
    const subtle = globalThis.crypto.subtle;
    const original = subtle.verify;
    let calls = 0;
    subtle.verify = function (...args) {
      calls++;
      return original.apply(this, args);
    };
    try {
      const bytes = Buffer.from(jwt.snapshot, 'base64');
      for (const c of jwt.cases) {
        const authz = Authorizer.load(bytes, { snapshotKeys, tokenKeys: jwt.jwks, ...optionsOf({ ...jwt.options, ...c.options }) });
        const now = { now: c.now ?? jwt.now };
        assert.deepEqual(await outcome(() => authz.verifyAsync(c.token, now)), await outcome(() => authz.verify(c.token, now)), c.name);
      }
      const authz = Authorizer.load(bytes, { snapshotKeys, tokenKeys: jwt.jwks, ...optionsOf(jwt.options) });
      for (const c of jwt.authorize) {
        const now = { now: jwt.now };
        assert.deepEqual(await authz.authorizeAsync(c.token, c.permission, now), authz.authorize(c.token, c.permission, now), c.name);
      }
    } finally {
      subtle.verify = original;
    }
    assert.ok(calls >= 10, `WebCrypto verified only ${calls} signatures`);
  });

  test('HMAC tokens take the wasm path and give the same answer', async () => {
    const authz = load('revision1', tokenOptions);
    assert.deepEqual(await authz.authorizeAsync(token('alice'), 'posts:edit', { now: NOW }), authz.authorize(token('alice'), 'posts:edit', { now: NOW }));
    await assert.rejects(authz.verifyAsync(token('alice'), { now: NOW + 3600 }), (e) => e.code === 'ERR_TOKEN_EXPIRED');
  });

  // authorizeAsync decides before WebCrypto answers and keeps the bytes it hands
  // WebCrypto out of the shared scratch buffer: many calls in flight must not mix.
  const ed = generateKeyPairSync('ed25519');
  const edKeys = { keys: [{ ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed', alg: 'EdDSA' }] };
  const edToken = (sub, claims = {}) => {
    const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${part({ alg: 'EdDSA', kid: 'ed' })}.${part({ sub, iss: 'https://issuer.test', aud: 'api', exp: NOW + 600, ...claims })}`;
    return `${input}.${sign(null, Buffer.from(input), ed.privateKey).toString('base64url')}`;
  };
  // One character inside the signature changed: still valid base64url (a middle
  // character carries six whole bits), so the refusal is the signature's.
  const forged = (t) => {
    const at = t.lastIndexOf('.') + 10;
    return `${t.slice(0, at)}${t[at] === 'A' ? 'B' : 'A'}${t.slice(at + 1)}`;
  };

  test('answers many EdDSA calls in flight each with its own token\'s answer', async () => {
    const authz = load('revision1', { ...tokenOptions, tokenKeys: edKeys });
    const calls = [];
    for (let i = 0; i < 60; i++) {
      const sub = ['alice', 'bob', 'mallory'][i % 3];
      const permission = ['posts:read', 'posts:edit', 'posts:delete', 'x:y'][i % 4];
      const t = i % 5 === 4 ? forged(edToken(sub)) : edToken(sub, { jti: `t${i}` });
      calls.push({ t, permission, pending: authz.authorizeAsync(t, permission, { now: NOW }) });
    }
    for (const c of calls) assert.deepEqual(await c.pending, authz.authorize(c.t, c.permission, { now: NOW }));
  });

  test('a forged signature is ERR_TOKEN_BAD_SIGNATURE before any claim rule, as on the sync path', async () => {
    const authz = load('revision1', { ...tokenOptions, tokenKeys: edKeys });
    const expiredAndForged = forged(edToken('alice', { exp: NOW - 3600 }));
    const answer = await authz.authorizeAsync(expiredAndForged, 'posts:read', { now: NOW });
    assert.deepEqual(answer, { allowed: false, reason: 'ERR_TOKEN_BAD_SIGNATURE' });
    assert.deepEqual(answer, authz.authorize(expiredAndForged, 'posts:read', { now: NOW }));
    const allowed = await authz.authorizeAsync(edToken('alice'), 'posts:read', { now: NOW });
    assert.equal(allowed.allowed, true);
    assert.equal(allowed.subject, 'alice');
  });
});

// ES256, RS256 and PS256 run in the public-key module (dist/tessera-public-keys.wasm),
// which Node loads on first use: keys are checked there when the authorizer is built,
// and the synchronous calls verify through it.
describe('the public-key module', () => {
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = (sub) => ({ sub, iss: 'https://issuer.test', aud: 'api', exp: NOW + 600 });
  const signed = (alg, kid, key, options, sub = 'alice') => {
    const input = `${part({ alg, kid })}.${part(claims(sub))}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, ...options }).toString('base64url')}`;
  };
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaJwk = rsa.publicKey.export({ format: 'jwk' });
  const keys = {
    keys: [
      { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec', alg: 'ES256' },
      { ...rsaJwk, kid: 'rs', alg: 'RS256' },
      { ...rsaJwk, kid: 'ps', alg: 'PS256' },
    ],
  };
  const tokens = {
    ES256: signed('ES256', 'ec', ec.privateKey, { dsaEncoding: 'ieee-p1363' }),
    RS256: signed('RS256', 'rs', rsa.privateKey, {}),
    PS256: signed('PS256', 'ps', rsa.privateKey, { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  };

  test('verifies ES256, RS256 and PS256 synchronously, as WebCrypto does', async () => {
    const authz = load('revision1', { ...tokenOptions, tokenKeys: keys });
    for (const [alg, t] of Object.entries(tokens)) {
      assert.equal(authz.verify(t, { now: NOW }).sub, 'alice', alg);
      const answer = authz.authorize(t, 'posts:edit', { now: NOW });
      assert.deepEqual(answer, { allowed: true, reason: 'granted', subject: 'alice', role: 'editor', pattern: 'posts:*' }, alg);
      assert.deepEqual(await authz.authorizeAsync(t, 'posts:edit', { now: NOW }), answer, alg);
      // A character inside the signature changed (six whole bits: still base64url).
      const at = t.lastIndexOf('.') + 10;
      const bad = authz.authorize(`${t.slice(0, at)}${t[at] === 'A' ? 'B' : 'A'}${t.slice(at + 1)}`, 'posts:edit', { now: NOW });
      assert.deepEqual(bad, { allowed: false, reason: 'ERR_TOKEN_BAD_SIGNATURE' }, alg);
    }
  });

  test('refuses unusable keys when the authorizer is built, naming why', () => {
    const jwk = keys.keys[0];
    const offCurve = { ...jwk, y: Buffer.alloc(32, 7).toString('base64url') };
    assert.throws(() => load('revision1', { tokenKeys: { keys: [offCurve] } }), (e) => e.code === 'ERR_KEY_INVALID_JWK' && /not a point on P-256/.test(e.message));
    const exponentOne = { ...rsaJwk, kid: 'rs', alg: 'RS256', e: Buffer.from([1]).toString('base64url') };
    assert.throws(() => load('revision1', { tokenKeys: { keys: [exponentOne] } }), (e) => e.code === 'ERR_KEY_INVALID_JWK' && /not a usable RSA public key/.test(e.message));
  });

  test('loadPublicKeyAlgorithms resolves where the module loads on first use', async () => {
    await loadPublicKeyAlgorithms();
  });

  test('without the module file, such keys are refused by name and other keys still load', () => {
    const dist = mkdtempSync(join(tmpdir(), 'tessera-dist-'));
    try {
      cpSync(new URL('../dist', import.meta.url), dist, { recursive: true });
      rmSync(join(dist, 'tessera-public-keys.wasm'));
      const script = join(dist, 'probe.mjs');
      writeFileSync(script, `
        import { Authorizer, loadPublicKeyAlgorithms } from './node.mjs';
        const options = ${JSON.stringify({ snapshotKeys })};
        const bytes = Buffer.from(${JSON.stringify(Buffer.from(snapshot('revision1')).toString('base64'))}, 'base64');
        const codes = [];
        for (const tokenKeys of [${JSON.stringify(keys)}, ${JSON.stringify(tokenOptions.tokenKeys)}]) {
          try { Authorizer.load(bytes, { ...options, tokenKeys }); codes.push('loaded'); } catch (e) { codes.push(e.code); }
        }
        await loadPublicKeyAlgorithms().then(() => codes.push('loaded'), (e) => codes.push(e.code));
        console.log(JSON.stringify(codes));
      `);
      const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), ['ERR_KEY_ALGORITHM_UNAVAILABLE', 'loaded', 'ERR_KEY_ALGORITHM_UNAVAILABLE']);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
