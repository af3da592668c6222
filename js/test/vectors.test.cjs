const assert = require('node:assert/strict');
const { test } = require('node:test');
const api = require('tessera-authz');

test("the CJS entry is the package's node.cjs", () => {
  assert.match(require.resolve('tessera-authz'), /\/dist\/node\.cjs$/);
});

test('every conformance vector through the CJS entry', async () => {
  const { runVectors, MIN_CASES } = await import('./vectors.mjs');
  const { fixtures } = await import('./helpers.mjs');
  const { total, failures } = runVectors(api, fixtures);
  assert.deepEqual(failures, []);
  assert.ok(total >= MIN_CASES, `only ${total} cases ran`);
});
