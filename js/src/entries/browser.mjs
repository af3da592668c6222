// Browsers (and bundlers, which understand `new URL(..., import.meta.url)`): the
// module is fetched and compiled while it streams in, once, at import.
import { initAsync } from './instantiate.mjs';

await initAsync({ module_or_path: new URL('./tessera.wasm', import.meta.url) });

export { Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard } from './instantiate.mjs';
