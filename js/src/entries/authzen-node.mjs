// Node, ES module: the AuthZEN handler, its module read and compiled on first use.
import { readFileSync } from 'node:fs';
import { authzenModuleFrom } from './authzen.mjs';

authzenModuleFrom(() => new WebAssembly.Module(readFileSync(new URL('./tessera-authzen.wasm', import.meta.url))));

export { authzenHandler } from './authzen.mjs';
