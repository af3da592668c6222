// Cloudflare workerd: a `.wasm` import is a compiled WebAssembly.Module (wrangler
// and workerd configs declare it as a wasm module), so no fetch and no eval.
import wasm from './tessera.wasm';
import { initSync } from './engine.mjs';

initSync({ module: wasm });

export { Authorizer, SnapshotLoader, TesseraError, sanitize, requirePermission, guard } from './engine.mjs';
