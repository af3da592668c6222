// Node, CommonJS (bundled with the API to dist/node.cjs): the wasm bytes come from
// the file next to it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync } from '../instantiate.mjs';

initSync({ module: readFileSync(join(__dirname, 'tessera.wasm')) });

export { Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard } from '../instantiate.mjs';
