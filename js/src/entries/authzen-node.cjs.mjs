// Node, CommonJS (bundled to dist/authzen.cjs): the AuthZEN handler, its module
// read and compiled on first use.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authzenModuleFrom } from '../authzen.js';

authzenModuleFrom(() => new WebAssembly.Module(readFileSync(join(__dirname, 'tessera-authzen.wasm'))));

export { authzenHandler } from '../authzen.js';
