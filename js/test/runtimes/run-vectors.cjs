// The same through `require`: proves the CommonJS entry of the installed package.
const api = require('tessera-authz');

import('./fixtures.mjs').then(async ({ default: fixtures }) => {
  const { runVectors } = await import('./vectors.mjs');
  console.log(JSON.stringify({ entry: require.resolve('tessera-authz'), ...runVectors(api, fixtures) }));
});
