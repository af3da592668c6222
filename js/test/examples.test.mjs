// Each example under examples/ run as its README says, and exercised: the Node
// service over HTTP, the browser page in Chromium, the worker under workerd.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withPage } from './chromium.mjs';
import { freePort, start, startAnswering } from './processes.mjs';
import { serveStatic } from './static-server.mjs';
import { startServe } from './tessera-serve.mjs';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const repo = fileURLToPath(new URL('../../', import.meta.url));

const install = (dir) => execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', '--prefer-offline'], { cwd: `${examples}${dir}` });
const tokenFor = (user) => execFileSync(process.execPath, [`${examples}demo-snapshot/token.mjs`, user], { encoding: 'utf8' }).trim();
const bearer = (user) => ({ authorization: `Bearer ${tokenFor(user)}` });

describe('examples/node-service', () => {
  test('guards its routes: 200, 401, 403 as the README shows', async () => {
    install('node-service');
    const [, url] = await start(process.execPath, ['server.mjs'], `${examples}node-service`, /listening on (http:\/\/\S+)\n/, { PORT: '0' });
    const posts = await fetch(`${url}/posts`, { headers: bearer('bob') });
    assert.equal(posts.status, 200);
    assert.equal((await posts.json())[0].title, 'Hello');
    const edit = (user) => fetch(`${url}/posts/1`, { method: 'PUT', headers: bearer(user) });
    assert.equal((await edit('bob')).status, 403);
    assert.deepEqual(await (await edit('alice')).json(), { id: '1', edited_by: 'alice' });
    const del = await fetch(`${url}/posts/1`, { method: 'DELETE', headers: bearer('alice') });
    assert.deepEqual([del.status, (await del.json()).reason], [403, 'denied']);
    const anonymous = await fetch(`${url}/posts`);
    assert.deepEqual([anonymous.status, (await anonymous.json()).error], [401, 'ERR_TOKEN_MISSING']);
  });
});

describe('examples/shared-drive', () => {
  test('answers through the npm package as through the CLI', () => {
    install('shared-drive');
    const bin = process.env.TESSERA_BIN ?? `${repo}${process.env.CARGO_TARGET_DIR ?? 'target'}/debug/tessera`;
    const work = mkdtempSync(join(tmpdir(), 'tessera-drive-'));
    try {
      const tessera = (...args) => execFileSync(bin, args, { encoding: 'utf8' });
      tessera('keys', 'generate', '--out', join(work, 'signing.jwk'));
      writeFileSync(join(work, 'public.jwk'), tessera('keys', 'public', join(work, 'signing.jwk')));
      tessera('snapshot', 'build', `${examples}shared-drive/policy.yaml`, '--key', join(work, 'signing.jwk'), '--out', join(work, 'drive.snapshot'));
      const out = execFileSync(process.execPath, ['node.mjs', join(work, 'drive.snapshot'), join(work, 'public.jwk')], {
        cwd: `${examples}shared-drive`,
        encoding: 'utf8',
      });
      assert.match(out, /alice edit document:roadmap: allowed \(granted: editor document:edit on folder:engineering\)/);
      assert.match(out, /shared drive complete/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('examples/browser-page', () => {
  test('answers as you type, with the reason', async () => {
    const server = await serveStatic(repo);
    try {
      await withPage(async (page, errors) => {
        await page.goto(`${server.url}/examples/browser-page/`);
        await page.waitForFunction(() => document.getElementById('loaded').textContent.includes('revision 1'));
        const answerFor = async (user, permission) => {
          await page.fill('#user', user);
          await page.fill('#permission', permission);
          return page.textContent('#answer');
        };
        assert.equal(await answerFor('alice', 'posts:edit'), 'allowed: role author grants posts:*');
        assert.equal(await answerFor('alice', 'posts:delete'), 'denied: role author denies posts:delete');
        assert.equal(await answerFor('bob', 'posts:edit'), 'denied: no role of theirs grants it');
        assert.equal(await answerFor('zed', 'posts:read'), 'denied: no such user');
        assert.match(await answerFor('al ice', 'posts:read'), /^ERR_INVALID_IDENTIFIER/);
        assert.deepEqual(errors, []);
      });
    } finally {
      server.close();
    }
  });
});

describe('examples/browser-sign-in', () => {
  test('each user sees their own actions, nothing of the other, and the page fails closed on expiry', async () => {
    // Names found nowhere else, so a scan of what the page receives cannot hit by chance.
    const [ada, ben] = ['ada-9f2q', 'ben-4c7x'];
    const appPort = await freePort();
    const origin = `http://127.0.0.1:${appPort}`;
    // Six-second snapshots: refreshed every few seconds, expired soon after tessera goes.
    const tessera = await startServe({ AUTH_SUBJECT_SNAPSHOT_TTL: '6', AUTH_ALLOW_CORS: 'true', AUTH_CORS_ORIGINS: origin });
    try {
      const key = randomUUID();
      const api = async (method, path, body) => {
        const response = await fetch(`${tessera.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: body && JSON.stringify(body),
        });
        assert.equal(response.status, 200, `${method} ${path}: ${await response.text()}`);
      };
      // Users sign in with passwords here, not API keys: not a strict-users tenant.
      await api('PUT', '/api/settings', { strict_users: false });
      await api('POST', '/api/role/viewer');
      await api('POST', '/api/permission/viewer/posts:read');
      await api('POST', '/api/role/editor', { parents: ['viewer'] });
      await api('POST', '/api/permission/editor/posts:*');
      await api('POST', '/api/deny/editor/posts:delete');
      await api('POST', `/api/membership/${ada}/editor`);
      await api('POST', `/api/membership/${ben}/viewer`);
      for (const user of [ada, ben]) await api('PUT', `/api/users/${user}/password`, { password: 'Correct1horse' });

      const dir = `${examples}browser-sign-in`;
      await start(process.execPath, ['server.mjs'], dir, /listening on (http:\/\/\S+)\n/, {
        TESSERA_URL: tessera.url, TESSERA_CLIENT_KEY: key, PORT: String(appPort),
      });
      await withPage(async (page, errors) => {
        // What the page received, by whose session its request was sent in (a poll in
        // flight at sign-out belongs to the session that sent it).
        let received = [];
        const sentIn = new WeakMap();
        page.on('request', (request) => sentIn.set(request, received));
        page.on('response', async (response) => {
          const body = await response.body().catch(() => Buffer.alloc(0));
          sentIn.get(response.request())?.push(`${response.url()}\n${body.toString('latin1')}`);
        });
        const shown = () => page.$$eval('#actions button', (all) => all.filter((b) => !b.hidden).map((b) => b.dataset.permission));
        const signIn = async (user) => {
          received = [];
          await page.fill('#username', user);
          await page.fill('#password', 'Correct1horse');
          await page.click('#go');
          await page.waitForFunction((u) => document.getElementById('who').textContent === u, user);
        };
        const signOut = async () => {
          await page.click('#signout');
          await page.waitForFunction(() => !document.getElementById('signin').hidden);
        };

        await page.goto(`${origin}/`);
        await signIn(ada);
        assert.deepEqual(await shown(), ['posts:read', 'posts:edit']);
        // Refreshed before it expires: the validity moves on while the page stays open.
        const until = await page.textContent('#until');
        await page.waitForFunction((before) => document.getElementById('until').textContent !== before, until, { timeout: 15_000 });
        assert.deepEqual(await shown(), ['posts:read', 'posts:edit']);
        assert.ok(received.some((r) => r.includes('/api/snapshot/subject')), 'the snapshot came from tessera');
        assert.ok(!received.some((r) => r.includes(ben)), `${ada}'s page received ${ben}'s name`);
        await signOut();
        assert.deepEqual(await shown(), []);

        await signIn(ben);
        assert.deepEqual(await shown(), ['posts:read']);
        assert.ok(!received.some((r) => r.includes(ada)), `${ben}'s page received ${ada}'s name`);

        // tessera goes away: no fresh snapshot comes, the one in force expires, and the
        // page shows no action at all.
        tessera.stop();
        await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Permissions expired'), null, { timeout: 20_000 });
        assert.deepEqual(await shown(), []);
        assert.deepEqual(errors, []);
      });
    } finally {
      tessera.stop();
    }
  });
});

describe('examples/cloudflare-worker', () => {
  test('runs under workerd and guards at the edge', async () => {
    const dir = `${examples}cloudflare-worker`;
    install('cloudflare-worker');
    execFileSync(process.execPath, ['build.mjs'], { cwd: dir });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    await startAnswering(`${dir}/node_modules/.bin/workerd`, ['serve', 'workerd.capnp', '--socket-addr', `http=127.0.0.1:${port}`], dir, url);
    const posts = await fetch(`${url}/posts`, { headers: bearer('bob') });
    assert.equal(posts.status, 200);
    assert.equal(posts.headers.get('x-tessera-revision'), '1');
    const del = (user) => fetch(`${url}/posts/1`, { method: 'DELETE', headers: bearer(user) });
    const refused = await del('bob');
    assert.deepEqual([refused.status, (await refused.json()).error], [403, 'ERR_PERMISSION_DENIED']);
    assert.equal((await del('carol')).status, 200);
    assert.equal((await fetch(`${url}/posts`)).status, 401);
  });
});
