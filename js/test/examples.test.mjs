// Each example under examples/ run as its README says, and exercised: the Node
// service over HTTP, the browser page in Chromium, the worker under workerd.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withPage } from './chromium.mjs';
import { freePort, start, startAnswering } from './processes.mjs';
import { serveStatic } from './static-server.mjs';

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
