// Deno: a source-phase import gives the compiled module without any permission
// (reading the file would need --allow-read).
import source wasm from './tessera.wasm';
import { initSync } from './engine.mjs';

initSync({ module: wasm });

export { Authorizer, SnapshotLoader, TesseraError, sanitize, requirePermission, guard } from './engine.mjs';
