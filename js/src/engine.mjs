// Bundled to dist/engine.mjs: the API and the wasm-bindgen bindings, without a
// wasm module yet. Each runtime's entry (entries/) hands it one, its own way.
export * from './api.js';
export { default as initAsync, initSync } from '../build/raw/tessera.js';
