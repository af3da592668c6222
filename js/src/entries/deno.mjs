// Deno: a source-phase import gives the compiled module without any permission
// (reading the file would need --allow-read).
import source wasm from './tessera.wasm';
import { initSync } from './instantiate.mjs';

initSync({ module: wasm });

export { Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard } from './instantiate.mjs';
