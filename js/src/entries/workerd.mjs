// Cloudflare workerd: a `.wasm` import is a compiled WebAssembly.Module (wrangler
// and workerd configs declare it as a wasm module), so no fetch and no eval.
import wasm from './tessera.wasm';
import { initSync } from './instantiate.mjs';

initSync({ module: wasm });

export { Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard } from './instantiate.mjs';
