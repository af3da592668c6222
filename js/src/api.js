// The package's whole API, the same in every runtime; the entry points differ only
// in how they instantiate the wasm module.
export { Authorizer } from './authorizer.js';
export { SnapshotPoller } from './poller.js';
export { TesseraError } from './errors.js';
export { sanitize } from './sanitize.js';
export { requirePermission, guard } from './middleware.js';
export { loadPublicKeyAlgorithms } from './public_keys.js';
