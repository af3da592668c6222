// Node, ES module: the wasm bytes come from the file next to this one.
import { readFileSync } from 'node:fs';
import { initSync } from './instantiate.mjs';

initSync({ module: readFileSync(new URL('./tessera.wasm', import.meta.url)) });

export { Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard } from './instantiate.mjs';
