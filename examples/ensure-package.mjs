// Used by the JS examples' `npm start`: builds the tessera-authz package in ../js
// when it has not been built yet (cargo, the pinned wasm-bindgen CLI, wasm-opt).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const js = fileURLToPath(new URL('../js/', import.meta.url));
if (!existsSync(new URL('dist/tessera.wasm', `file://${js}`))) {
  console.log('tessera-authz is not built yet: building it (a few minutes the first time)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: js, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: js, stdio: 'inherit' });
}
