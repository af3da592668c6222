// Runs the vectors through `tessera-authz` as the runtime resolves it (Node or Deno,
// from an installed tarball) and prints `{ entry, total, failures }` as JSON.
import * as api from 'tessera-authz';
import fixtures from './fixtures.mjs';
import { runTokenVectorsAsync, runVectors } from './vectors.mjs';

const entry = typeof Deno !== 'undefined' ? 'deno' : 'node';
const sync = runVectors(api, fixtures);
const viaWebCrypto = await runTokenVectorsAsync(api, fixtures);
console.log(JSON.stringify({ entry, total: sync.total + viaWebCrypto.total, failures: [...sync.failures, ...viaWebCrypto.failures] }));
