// ES256, RS256 and PS256: their arithmetic (P-256, RSA) is a second wasm module,
// dist/tessera-public-keys.wasm, instantiated the first time the core is given such
// a key. Each entry point says how to get it compiled (`publicKeysFrom`): at once
// where compiling synchronously is allowed (Node, Deno, workerd), by a fetch the page
// awaits in browsers (`loadPublicKeyAlgorithms()`). The core reaches it through the
// handle below (wasm/js/src/public_keys.rs); the calling convention is the module's
// (wasm/public-keys/src/lib.rs): inputs back to back in its buffer, lengths as
// arguments, 1 or 0 back.

const NOT_LOADED =
  'the public-key module is not loaded; in a browser, `await loadPublicKeyAlgorithms()` before giving ES256, RS256 or PS256 keys';

/** () => a WebAssembly.Module, or a Promise of one. */
let source;
/** The compiled module, or a Promise of it, once asked for. */
let compiled;
let exports;
const encoder = new TextEncoder();

/** Says how to get the module compiled; called once by the entry point. */
export function publicKeysFrom(get) {
  source = get;
}

function instantiate(module) {
  exports = new WebAssembly.Instance(module, {}).exports;
  return exports;
}

/** The module's exports, or undefined while only a promise of it exists. */
function ready() {
  if (exports !== undefined) return exports;
  compiled ??= source?.();
  if (compiled instanceof WebAssembly.Module) return instantiate(compiled);
  return undefined;
}

/**
 * Loads the public-key module: needed before an authorizer is given ES256, RS256 or
 * PS256 keys in a browser, where a module cannot be compiled synchronously; elsewhere
 * it is loaded on first use, and this resolves at once.
 */
export async function loadPublicKeyAlgorithms() {
  if (ready() !== undefined) return;
  if (compiled === undefined) throw new Error(NOT_LOADED);
  instantiate(await compiled);
}

/** Writes the inputs into the module's buffer; returns their lengths. */
function put(module, inputs) {
  const fields = inputs.map((input) => (typeof input === 'string' ? encoder.encode(input) : input));
  const total = fields.reduce((sum, field) => sum + field.length, 0);
  const address = module.buffer(total);
  const memory = new Uint8Array(module.memory.buffer, address, total);
  let at = 0;
  for (const field of fields) {
    memory.set(field, at);
    at += field.length;
  }
  return fields.map((field) => field.length);
}

/** The handle the core calls (`PublicKeyModule` in wasm/js/src/public_keys.rs). */
export const publicKeyModule = {
  check(alg, key) {
    const module = ready();
    if (module === undefined) return NOT_LOADED;
    return module.check(...put(module, [alg, key])) === 1;
  },
  verify(alg, key, message, signature) {
    const module = ready();
    return module !== undefined && module.verify(...put(module, [alg, key, message, signature])) === 1;
  },
};
