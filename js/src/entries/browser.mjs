// Browsers (and bundlers, which understand `new URL(..., import.meta.url)`): the
// module is fetched and compiled while it streams in, once, at import. The
// public-key module is fetched only when the page awaits `loadPublicKeyAlgorithms()`
// (a page may not compile a module synchronously).
import { initAsync, publicKeysFrom } from './instantiate.mjs';

await initAsync({ module_or_path: new URL('./tessera.wasm', import.meta.url) });
publicKeysFrom(async () => {
  const response = await fetch(new URL('./tessera-public-keys.wasm', import.meta.url));
  if (!response.ok) throw new Error(`fetching tessera-public-keys.wasm: HTTP ${response.status}`);
  // Streaming compilation needs `application/wasm`; any other type compiles from the bytes.
  const streams = response.headers.get('content-type')?.startsWith('application/wasm');
  return streams ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
});

export {
  Authorizer, SnapshotPoller, TesseraError, sanitize, requirePermission, guard, loadPublicKeyAlgorithms,
} from './instantiate.mjs';
