// AuthZEN 1.0 against `tessera serve`: the certification scenario's every level
// (tests/authzen/certify.mjs) on a tenant holding its fixture
// (examples/authzen-certification/), and the Todo interop scenario's decisions
// (tests/authzen/todo.mjs) on a tenant holding the Todo policy (examples/authzen-todo/).
// Their subjects hold no Tessera API key, so strict users are off
// (AUTH_STRICT_USERS_DEFAULT=false, as the README starts the server). The server is
// reached as behind a TLS-terminating proxy: its `X-Forwarded-Proto: https` makes the
// discovery document name https endpoints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { certify } from '../../tests/authzen/certify.mjs';
import { replay } from '../../tests/authzen/todo.mjs';
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
