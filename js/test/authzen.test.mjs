// AuthZEN 1.0 against both PDPs: `tessera serve`, and the npm package's edge
// handler (`tessera-authz/authzen`) in Node, Deno and workerd. Each runs the
// certification scenario's every level (tests/authzen/certify.mjs) on its fixture
// (examples/authzen-certification/), and replays the Todo interop scenario's
// decisions (tests/authzen/todo.mjs) on the Todo policy (examples/authzen-todo/).
//
// The scenarios' subjects hold no Tessera API key, so the server's strict users are
// off (AUTH_STRICT_USERS_DEFAULT=false, as the README starts it); it is reached as
// behind a TLS-terminating proxy, whose `X-Forwarded-Proto: https` makes the
// discovery document name https endpoints. The edge handlers load the policies as
// snapshots the CLI signs, and name https://pdp.example as their base URL.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Authorizer, SnapshotPoller } from 'tessera-authz';
import { authzenHandler } from 'tessera-authz/authzen';
import { certify } from '../../tests/authzen/certify.mjs';
import { replay } from '../../tests/authzen/todo.mjs';
import { freePort, start, startAnswering } from './processes.mjs';
import { bin, repo, startServe } from './tessera-serve.mjs';

const policy = (example) => join(repo, 'examples', example, 'policy.yaml');
const tenantOf = (file) => /^tenant: (\S+)$/m.exec(readFileSync(file, 'utf8'))[1];
let server;
let url;

before(async () => {
  server = await startServe({ AUTH_STRICT_USERS_DEFAULT: 'false' }, (env) => {
    for (const example of ['authzen-certification', 'authzen-todo']) {
      execFileSync(bin, ['import', policy(example)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    }
  });
  url = server.url;
});

after(() => server?.stop());

test('tessera serve passes every level of the AuthZEN 1.0 certification scenario', async () => {
  const results = await certify({
    url,
    identifier: url.replace(/^http:/, 'https:'),
    headers: { authorization: `Bearer ${tenantOf(policy('authzen-certification'))}`, 'x-forwarded-proto': 'https' },
  });
  assert.deepEqual(Object.keys(results), ['Basic Core', 'Basic Properties', 'Batch Core', 'Batch Properties', 'Search Core', 'Search Properties', 'Discovery']);
  for (const [level, failures] of Object.entries(results)) assert.deepEqual(failures, [], level);
  // The harness can fail: the Todo tenant holds no fixture, and every decision level says so.
  const elsewhere = await certify({ url, headers: { authorization: `Bearer ${tenantOf(policy('authzen-todo'))}` } });
  for (const level of ['Basic Core', 'Basic Properties', 'Batch Core', 'Search Core', 'Search Properties']) {
    assert.ok(elsewhere[level].length > 0, `${level} passed without the fixture`);
  }
});

test('tessera serve gives the Todo interop scenario\'s 43 decisions', async () => {
  const todo = await replay({ url, headers: { authorization: `Bearer ${tenantOf(policy('authzen-todo'))}` } });
  assert.equal(todo.total, 43);
  assert.deepEqual(todo.failures, []);
  // The replay can fail: the same requests to the certification tenant mostly do.
  const elsewhere = await replay({ url, headers: { authorization: `Bearer ${tenantOf(policy('authzen-certification'))}` } });
  assert.ok(elsewhere.failures.length > 10, `${elsewhere.failures.length} failures`);
});

// The edge handler: both scenarios from signed snapshots, in every runtime.
const js = fileURLToPath(new URL('..', import.meta.url));
const tool = (name) => join(js, 'node_modules', '.bin', name);
const BASE = 'https://pdp.example';
let work;
const snapshots = {};
let snapshotKey;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'tessera-authzen-'));
  const env = { ...process.env, AUTH_DATA_DIR: work };
  const cli = (...args) => execFileSync(bin, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  cli('keys', 'generate', '--kind', 'snapshot', '--out', join(work, 'key.jwk'));
  writeFileSync(join(work, 'key.pub.json'), cli('keys', 'public', join(work, 'key.jwk')));
  snapshotKey = JSON.parse(readFileSync(join(work, 'key.pub.json'), 'utf8'));
  for (const [name, example] of [['certification', 'authzen-certification'], ['todo', 'authzen-todo']]) {
    snapshots[name] = join(work, `${name}.snapshot`);
    cli('snapshot', 'build', policy(example), '--key', join(work, 'key.jwk'), '--out', snapshots[name], '--revision', '1');
  }
  snapshots.expiring = join(work, 'expiring.snapshot');
  cli('snapshot', 'build', policy('authzen-certification'), '--key', join(work, 'key.jwk'), '--out', snapshots.expiring, '--ttl', '1h');
});

after(() => rmSync(work, { recursive: true, force: true }));

/** Both scenarios against a PDP: the certification one at `urls.certification`, the Todo one at `urls.todo`. */
async function bothScenarios(urls, fetch = globalThis.fetch) {
  const results = await certify({ url: urls.certification, identifier: BASE, fetch });
  assert.deepEqual(Object.keys(results), ['Basic Core', 'Basic Properties', 'Batch Core', 'Batch Properties', 'Search Core', 'Search Properties', 'Discovery']);
  for (const [level, failures] of Object.entries(results)) assert.deepEqual(failures, [], level);
  const todo = await replay({ url: urls.todo, fetch });
  assert.equal(todo.total, 43);
  assert.deepEqual(todo.failures, []);
}

const load = (name, options = {}) => Authorizer.load(readFileSync(snapshots[name]), { snapshotKeys: [snapshotKey], ...options });

/** A fetch that hands each request to the handler serving its origin. */
const fetchFrom = (handlers) => async (url, init) => handlers[new URL(url).origin](new Request(url, init));

describe('the edge handler (tessera-authz/authzen)', () => {
  test('passes every certification level and the 43 Todo decisions in Node', async () => {
    const handlers = {
      'http://certification.test': authzenHandler(load('certification'), { baseUrl: BASE }),
      'http://todo.test': authzenHandler(load('todo'), { baseUrl: BASE }),
    };
    await bothScenarios({ certification: 'http://certification.test', todo: 'http://todo.test' }, fetchFrom(handlers));
    // The harness can fail: the Todo policy holds no fixture.
    const elsewhere = await certify({ url: 'http://todo.test', identifier: BASE, fetch: fetchFrom(handlers) });
    assert.ok(elsewhere['Basic Core'].length > 0);
  });

  test('passes them in Deno', async () => {
    const [, ports] = await start(tool('deno'), [
      'run', '--allow-read', '--allow-net=127.0.0.1', join(js, 'test', 'runtimes', 'authzen-deno.mjs'),
      join(work, 'key.pub.json'), snapshots.certification, BASE, snapshots.todo, BASE,
    ], js, /listening (\[.*\])\n/);
    const [certification, todo] = JSON.parse(ports).map((port) => `http://127.0.0.1:${port}`);
    await bothScenarios({ certification, todo });
  });

  test('passes them in workerd, bundled as wrangler bundles', async () => {
    await esbuild.build({
      entryPoints: [join(js, 'test', 'runtimes', 'authzen-worker.mjs')], outfile: join(work, 'worker.js'), bundle: true,
      format: 'esm', conditions: ['workerd', 'worker', 'browser'], external: ['*.wasm'], logLevel: 'warning',
    });
    // capnp embeds files relative to the config: everything the workers need, beside it.
    for (const wasm of ['tessera.wasm', 'tessera-public-keys.wasm', 'tessera-authzen.wasm']) copyFileSync(join(js, 'dist', wasm), join(work, wasm));
    const ports = { certification: await freePort(), todo: await freePort() };
    const worker = (name) => `(
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "tessera.wasm", wasm = embed "tessera.wasm"),
    (name = "tessera-public-keys.wasm", wasm = embed "tessera-public-keys.wasm"),
    (name = "tessera-authzen.wasm", wasm = embed "tessera-authzen.wasm"),
  ],
  bindings = [
    (name = "SNAPSHOT", data = embed "${name}.snapshot"),
    (name = "SNAPSHOT_KEY", text = embed "key.pub.json"),
    (name = "BASE_URL", text = "${BASE}"),
  ],
  compatibilityDate = "2025-01-01",
)`;
    writeFileSync(join(work, 'authzen.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "certification", worker = ${worker('certification')}), (name = "todo", worker = ${worker('todo')})],
  sockets = [
    (name = "certification", address = "127.0.0.1:${ports.certification}", http = (), service = "certification"),
    (name = "todo", address = "127.0.0.1:${ports.todo}", http = (), service = "todo"),
  ],
);
`);
    const urls = { certification: `http://127.0.0.1:${ports.certification}`, todo: `http://127.0.0.1:${ports.todo}` };
    await startAnswering(tool('workerd'), ['serve', join(work, 'authzen.capnp')], work, urls.todo);
    await bothScenarios(urls);
  });

  const evaluation = { subject: { type: 'user', id: 'alice' }, action: { name: 'read' }, resource: { type: 'record', id: 'record-1' } };
  const post = (handler, path, body, headers = {}) => handler(new Request(`http://pdp.test${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  }));

  test('answers as HTTP: methods, media type, unknown paths, request ids, the error shape', async () => {
    const handler = authzenHandler(load('certification'));
    const ok = await post(handler, '/access/v1/evaluation', evaluation, { 'x-request-id': 'req-7' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-request-id'), 'req-7');
    assert.match(ok.headers.get('content-type'), /^application\/json/);
    assert.equal((await ok.json()).decision, true);
    const asText = await post(handler, '/access/v1/evaluation', evaluation, { 'content-type': 'text/plain' });
    assert.deepEqual([asText.status, (await asText.json()).error], [400, 'ERR_INVALID_BODY']);
    const charset = await post(handler, '/access/v1/evaluation', evaluation, { 'content-type': 'Application/JSON; charset=utf-8' });
    assert.equal(charset.status, 200);
    const malformed = await post(handler, '/access/v1/evaluations', '{"evaluations": [');
    const refusal = await malformed.json();
    assert.deepEqual([malformed.status, refusal.success, refusal.code, refusal.error], [400, false, 400, 'ERR_INVALID_ARGUMENT']);
    assert.match(refusal.message, /not valid JSON/);
    const notUtf8 = await handler(new Request('http://pdp.test/access/v1/evaluation', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0x7b, 0xff, 0x7d]),
    }));
    assert.deepEqual([notUtf8.status, (await notUtf8.json()).error], [400, 'ERR_INVALID_BODY']);
    const get = await handler(new Request('http://pdp.test/access/v1/evaluation'));
    assert.deepEqual([get.status, get.headers.get('allow')], [405, 'POST']);
    const postDiscovery = await post(handler, '/.well-known/authzen-configuration', {});
    assert.deepEqual([postDiscovery.status, postDiscovery.headers.get('allow')], [405, 'GET']);
    const nowhere = await post(handler, '/access/v1/evaluation/', evaluation);
    assert.deepEqual([nowhere.status, (await nowhere.json()).error], [404, 'ERR_NOT_FOUND']);
    // The discovery document names the request's origin when no base URL is given.
    const discovery = await (await handler(new Request('http://pdp.test:8080/.well-known/authzen-configuration'))).json();
    assert.equal(discovery.policy_decision_point, 'http://pdp.test:8080');
    assert.equal(discovery.search_action_endpoint, 'http://pdp.test:8080/access/v1/search/action');
  });

  test('asks `authenticate` first, and reports decisions to `onDecision`', async () => {
    const decisions = [];
    const authz = load('certification', { onDecision: (event) => decisions.push(event) });
    const handler = authzenHandler(authz, { authenticate: (request) => request.headers.get('authorization') === 'Bearer gateway' });
    const refused = await post(handler, '/access/v1/evaluation', evaluation);
    assert.deepEqual([refused.status, (await refused.json()).error], [401, 'ERR_UNAUTHORIZED']);
    assert.deepEqual(decisions, []);
    const batch = { subject: evaluation.subject, action: evaluation.action, evaluations: [{ resource: evaluation.resource }, { resource: { type: 'record', id: 'record-2' } }] };
    const answered = await post(handler, '/access/v1/evaluations', batch, { authorization: 'Bearer gateway' });
    assert.equal(answered.status, 200);
    assert.deepEqual(decisions.map((d) => [d.user, d.permission, d.resource, d.allowed]), [
      ['alice', 'read', 'record:record-1', true], ['alice', 'read', 'record:record-2', true],
    ]);
  });

  test('answers 503 until a snapshot is loaded and once it expired, and a refused item in a batch fails alone', async () => {
    const poller = new SnapshotPoller('http://snapshots.test/none', { fetch: async () => new Response('', { status: 404 }), intervalMs: 0 });
    await poller.ready.catch(() => {});
    const waiting = await post(authzenHandler(poller), '/access/v1/evaluation', evaluation);
    assert.deepEqual([waiting.status, (await waiting.json()).error], [503, 'ERR_NOT_LOADED']);
    poller.stop();
    // An expired snapshot answers nothing until a fresh one is in force.
    let now = Date.now() / 1000;
    const expiring = Authorizer.load(readFileSync(snapshots.expiring), { snapshotKeys: [snapshotKey], clock: () => now });
    const pdp = authzenHandler(expiring);
    assert.equal((await post(pdp, '/access/v1/evaluation', evaluation)).status, 200);
    now = expiring.info.expires_at;
    const expired = await post(pdp, '/access/v1/evaluation', evaluation);
    assert.deepEqual([expired.status, (await expired.json()).error], [503, 'ERR_SNAPSHOT_EXPIRED']);
    // The authorizer failing (a throwing onDecision, a broken clock) is the PDP's 500,
    // with nothing of it told, and the next request is answered as ever.
    let hook = () => { throw Object.create(null); };
    const hooked = authzenHandler(load('certification', { onDecision: (event) => hook(event) }));
    const broken = await post(hooked, '/access/v1/evaluation', evaluation);
    assert.deepEqual([broken.status, await broken.json()], [500, { success: false, code: 500, message: 'an internal error occurred', error: 'ERR_INTERNAL' }]);
    hook = () => {};
    assert.equal((await post(hooked, '/access/v1/evaluation', evaluation)).status, 200);
    let clockBroken = false;
    const clock = () => (clockBroken ? Number.NaN : Date.now() / 1000);
    const stopped = authzenHandler(Authorizer.load(readFileSync(snapshots.expiring), { snapshotKeys: [snapshotKey], clock }));
    clockBroken = true;
    assert.equal((await post(stopped, '/access/v1/evaluation', evaluation)).status, 500);
    const throwing = authzenHandler(load('certification'), { authenticate: () => { throw new Error('down'); } });
    assert.equal((await post(throwing, '/access/v1/evaluation', evaluation)).status, 500);
    const handler = authzenHandler(() => load('certification'));
    const batch = { evaluations: [evaluation, { ...evaluation, subject: { type: 'user', id: 'al ice' } }, evaluation] };
    const answer = await (await post(handler, '/access/v1/evaluations', batch)).json();
    assert.deepEqual(answer.evaluations.map((e) => e.decision), [true, false, true]);
    assert.equal(answer.evaluations[1].context.error.status, 400);
    assert.equal(answer.evaluations[1].context.error.code, 'ERR_INVALID_IDENTIFIER');
  });
});
