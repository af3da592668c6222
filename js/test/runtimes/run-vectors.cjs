// The same through `require`: proves the CommonJS entry of the installed package.
const api = require('tessera-authz');

import('./fixtures.mjs').then(async ({ default: fixtures }) => {
  const { runTokenVectorsAsync, runVectors } = await import('./vectors.mjs');
  const sync = runVectors(api, fixtures);
  const viaWebCrypto = await runTokenVectorsAsync(api, fixtures);
  const failures = [...sync.failures, ...viaWebCrypto.failures];
  console.log(JSON.stringify({ entry: require.resolve('tessera-authz'), total: sync.total + viaWebCrypto.total, failures }));
});
