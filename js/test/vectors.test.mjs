import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as api from 'tessera-authz';
import { fixtures } from './helpers.mjs';
import { MIN_CASES, runTokenVectorsAsync, runVectors } from './vectors.mjs';

test('the ESM entry is the package\'s node.mjs', () => {
  assert.match(import.meta.resolve('tessera-authz'), /\/dist\/node\.mjs$/);
});

test('every conformance vector through the ESM entry', () => {
  const { total, failures } = runVectors(api, fixtures);
  assert.deepEqual(failures, []);
  assert.ok(total >= MIN_CASES, `only ${total} cases ran`);
});

test('the JWT vectors through verifyAsync/authorizeAsync (Node\'s WebCrypto)', async () => {
  const { total, failures } = await runTokenVectorsAsync(api, fixtures);
  assert.deepEqual(failures, []);
  assert.ok(total > 50, `only ${total} cases ran`);
});
