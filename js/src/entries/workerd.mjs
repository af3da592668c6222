// Cloudflare workerd: a `.wasm` import is a compiled WebAssembly.Module (wrangler
// and workerd configs declare it as a wasm module), so no fetch and no eval. The
// public-key module is declared the same way and instantiated on first use.
import wasm from './tessera.wasm';
import publicKeys from './tessera-public-keys.wasm';
import { initSync, publicKeysFrom } from './instantiate.mjs';

initSync({ module: wasm });
publicKeysFrom(() => publicKeys);

export {
  Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard, loadPublicKeyAlgorithms,
} from './instantiate.mjs';
