// Browsers and service workers (and bundlers): the AuthZEN handler; its module is
// fetched and compiled on the first request.
import { authzenModuleFrom } from './authzen.mjs';

authzenModuleFrom(async () => {
  const response = await fetch(new URL('./tessera-authzen.wasm', import.meta.url));
  if (!response.ok) throw new Error(`fetching tessera-authzen.wasm: HTTP ${response.status}`);
  // Streaming compilation needs `application/wasm`; any other type compiles from the bytes.
  const streams = response.headers.get('content-type')?.startsWith('application/wasm');
  return streams ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
});

export { authzenHandler } from './authzen.mjs';
