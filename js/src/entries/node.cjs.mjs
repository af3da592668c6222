// Node, CommonJS (bundled with the API to dist/node.cjs): the wasm bytes come from
// the file next to it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync, publicKeysFrom } from '../instantiate.mjs';

initSync({ module: readFileSync(join(__dirname, 'tessera.wasm')) });
// Read and compiled on first use: most users never verify ES256, RS256 or PS256.
publicKeysFrom(() => new WebAssembly.Module(readFileSync(join(__dirname, 'tessera-public-keys.wasm'))));

export {
  Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard, loadPublicKeyAlgorithms,
} from '../instantiate.mjs';
