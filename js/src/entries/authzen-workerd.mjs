// Cloudflare workerd: the AuthZEN handler; a `.wasm` import is a compiled module
// (wrangler and workerd configs declare it as a wasm module).
import authzen from './tessera-authzen.wasm';
import { authzenModuleFrom } from './authzen.mjs';

authzenModuleFrom(() => authzen);

export { authzenHandler } from './authzen.mjs';
