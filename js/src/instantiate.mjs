// Bundled to dist/instantiate.mjs: the API and the wasm-bindgen bindings, without a
// wasm module yet. Each runtime's entry (entries/) hands it one, its own way.
import init, { initSync as instantiate, setPublicKeys } from '../build/raw/tessera.js';
import { publicKeyModule } from './public_keys.js';
import { bind } from './scratch.js';

export * from './api.js';
export { publicKeysFrom } from './public_keys.js';

/** Instantiates from bytes or a compiled WebAssembly.Module, synchronously. */
export function initSync(source) {
  bind(instantiate(source));
  setPublicKeys(publicKeyModule);
}

/** Instantiates from a URL, a Response or bytes (streaming where it can). */
export async function initAsync(source) {
  bind(await init(source));
  setPublicKeys(publicKeyModule);
}
