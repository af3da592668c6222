// Browsers (and bundlers, which understand `new URL(..., import.meta.url)`): the
// module is fetched and compiled while it streams in, once, at import.
import init from '../../build/raw/tessera.js';

await init({ module_or_path: new URL('./tessera.wasm', import.meta.url) });

export * from '../api.js';
