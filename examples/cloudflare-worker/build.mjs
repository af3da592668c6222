// Bundles the worker the way wrangler does: the package resolved with the `workerd`
// condition, its `.wasm` and the snapshot kept as separate modules (workerd.capnp).
import { copyFileSync, mkdirSync } from 'node:fs';
import * as esbuild from 'esbuild';

mkdirSync(new URL('dist/', import.meta.url), { recursive: true });
await esbuild.build({
  entryPoints: [new URL('worker.mjs', import.meta.url).pathname],
  outfile: new URL('dist/worker.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  conditions: ['workerd', 'worker', 'browser'],
  external: ['*.wasm', '*.snapshot'],
  logLevel: 'warning',
});
for (const wasm of ['tessera.wasm', 'tessera-public-keys.wasm']) {
  copyFileSync(new URL(`node_modules/tessera-authz/dist/${wasm}`, import.meta.url), new URL(`dist/${wasm}`, import.meta.url));
}
copyFileSync(new URL('../demo-snapshot/demo.snapshot', import.meta.url), new URL('dist/demo.snapshot', import.meta.url));
console.log('built dist/worker.js');
