// ES256, RS256 and PS256: their arithmetic (P-256, RSA) is a second wasm module,
// dist/tessera-public-keys.wasm, instantiated the first time the core is given such
// a key. Each entry point says how to get it compiled (`publicKeysFrom`): at once
// where compiling synchronously is allowed (Node, Deno, workerd), by a fetch the page
// awaits in browsers (`loadPublicKeyAlgorithms()`). The core reaches it through the
// handle below (wasm/js/src/public_keys.rs); the calling convention is the module's
// (wasm/public-keys/src/lib.rs): inputs back to back in its buffer, lengths as
// arguments, 1 or 0 back.
//
// Nothing here throws into the core: the handle's methods are called from inside
// the main module, and an exception would unwind through its frames. A module that
// cannot be had is a reason string from `check` (the core refuses the key with
// ERR_KEY_ALGORITHM_UNAVAILABLE) and a failed verification from `verify`.
import { TesseraError } from './errors.js';

const NOT_LOADED =
  'the public-key module is not loaded; in a browser, `await loadPublicKeyAlgorithms()` before giving ES256, RS256 or PS256 keys';

/** () => a WebAssembly.Module, or a Promise of one. */
let source;
/** The compiled module, or a Promise of it, once asked for. */
let compiled;
let exports;
/** Why the module could not be had, once it could not. */
let failure;
const encoder = new TextEncoder();

/** Says how to get the module compiled; called once by the entry point. */
export function publicKeysFrom(get) {
  source = get;
}

const isPromise = (value) => typeof value?.then === 'function';

function instantiate(module) {
  exports ??= new WebAssembly.Instance(module, {}).exports;
  return exports;
}

/** The module's exports, or undefined while only a promise of it exists or it failed. */
function ready() {
  if (exports !== undefined) return exports;
  if (failure !== undefined) return undefined;
  try {
    if (compiled === undefined) {
      compiled = source?.();
      // A browser's fetch, started here: `loadPublicKeyAlgorithms` awaits it and
      // reports its failure; until then a rejection is not left unhandled.
      if (isPromise(compiled)) compiled.catch(() => {});
    }
    if (compiled === undefined || isPromise(compiled)) return undefined;
    return instantiate(compiled);
  } catch (error) {
    failure = `the public-key module could not be loaded: ${error?.message ?? error}`;
    return undefined;
  }
}

/**
 * Loads the public-key module: needed before an authorizer is given ES256, RS256 or
 * PS256 keys in a browser, where a module cannot be compiled synchronously; elsewhere
 * it is loaded on first use, and this resolves at once. A failed load may be retried.
 */
export async function loadPublicKeyAlgorithms() {
  if (ready() !== undefined) return;
  const unavailable = (why) => new TesseraError('ERR_KEY_ALGORITHM_UNAVAILABLE', why);
  if (failure !== undefined) {
    const why = failure;
    failure = undefined;
    compiled = undefined;
    throw unavailable(why);
  }
  if (compiled === undefined) throw unavailable('this runtime has no public-key module');
  try {
    instantiate(await compiled);
  } catch (error) {
    compiled = undefined;
    throw unavailable(`the public-key module could not be loaded: ${error?.message ?? error}`);
  }
}

/** Writes the inputs into the module's buffer; returns their lengths, or undefined when it has no room. */
function put(module, inputs) {
  const fields = inputs.map((input) => (typeof input === 'string' ? encoder.encode(input) : input));
  const total = fields.reduce((sum, field) => sum + field.length, 0);
  const address = module.buffer(total);
  if (address === 0) return undefined;
  // After `buffer`, which may grow the memory and detach an older view.
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
    if (module === undefined) return failure ?? NOT_LOADED;
    try {
      const lengths = put(module, [alg, key]);
      return lengths === undefined ? 'the public-key module has no memory left' : module.check(...lengths) === 1;
    } catch (error) {
      return `the public-key module failed: ${error?.message ?? error}`;
    }
  },
  verify(alg, key, message, signature) {
    const module = ready();
    if (module === undefined) return false;
    try {
      const lengths = put(module, [alg, key, message, signature]);
      return lengths !== undefined && module.verify(...lengths) === 1;
    } catch {
      return false;
    }
  },
};
