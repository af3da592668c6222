// Runs the vectors through `tessera-authz` as the runtime resolves it (Node or Deno,
// from an installed tarball) and prints `{ entry, total, failures }` as JSON.
import * as api from 'tessera-authz';
import fixtures from './fixtures.mjs';
import { runVectors } from './vectors.mjs';

const entry = typeof Deno !== 'undefined' ? 'deno' : 'node';
console.log(JSON.stringify({ entry, ...runVectors(api, fixtures) }));
