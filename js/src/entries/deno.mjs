// Deno: a source-phase import gives the compiled module without any permission
// (reading the file would need --allow-read); the public-key module is compiled the
// same way and instantiated on first use.
import source wasm from './tessera.wasm';
import source publicKeys from './tessera-public-keys.wasm';
import { initSync, publicKeysFrom } from './instantiate.mjs';

initSync({ module: wasm });
publicKeysFrom(() => publicKeys);

export {
  Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard, loadPublicKeyAlgorithms,
} from './instantiate.mjs';
