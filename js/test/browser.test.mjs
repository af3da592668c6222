// The vectors in a real browser: Chromium opens a page served from localhost that
// imports the package's browser entry (which fetches and compiles the wasm itself).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withPage } from './chromium.mjs';
import { serveStatic } from './static-server.mjs';
import { MIN_CASES } from './vectors.mjs';

test('every conformance vector in headless Chromium', async () => {
  const server = await serveStatic(fileURLToPath(new URL('..', import.meta.url)));
  try {
    const result = await withPage(async (page, errors) => {
      await page.goto(`${server.url}/test/browser.html`);
      await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
      assert.deepEqual(errors, []);
      return page.evaluate(() => window.result);
    });
    assert.equal(result.error, undefined, result.error);
    assert.equal(result.beforeLoad, 'ERR_KEY_ALGORITHM_UNAVAILABLE', 'ES256/RS256/PS256 keys before loadPublicKeyAlgorithms()');
    assert.deepEqual(result.failures, []);
    assert.ok(result.total >= MIN_CASES, `only ${result.total} cases ran`);
    assert.deepEqual(result.asyncFailures, [], 'the JWT vectors through WebCrypto');
    assert.ok(result.asyncTotal > 50);
  } finally {
    server.close();
  }
});
