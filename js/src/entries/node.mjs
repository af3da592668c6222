// Node, ES module: the wasm bytes come from the file next to this one.
import { readFileSync } from 'node:fs';
import { initSync, publicKeysFrom } from './instantiate.mjs';

initSync({ module: readFileSync(new URL('./tessera.wasm', import.meta.url)) });
// Read and compiled on first use: most users never verify ES256, RS256 or PS256.
publicKeysFrom(() => new WebAssembly.Module(readFileSync(new URL('./tessera-public-keys.wasm', import.meta.url))));

export {
  Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard, loadPublicKeyAlgorithms,
} from './instantiate.mjs';
