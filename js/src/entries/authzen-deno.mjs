// Deno: the AuthZEN handler; a source-phase import gives its module compiled,
// without a read permission.
import source authzen from './tessera-authzen.wasm';
import { authzenModuleFrom } from './authzen.mjs';

authzenModuleFrom(() => authzen);

export { authzenHandler } from './authzen.mjs';
