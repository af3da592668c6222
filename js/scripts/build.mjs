// Builds the package into dist/: the wasm face (cargo), its JS bindings (the
// wasm-bindgen CLI at exactly the crate's version, installed here if missing),
// wasm-opt -Oz --converge (npm binaryen), the public-key module (cargo, wasm-opt -O3),
// the AuthZEN handler's module (cargo, wasm-opt -Oz),
// and one bundled entry point per runtime (esbuild).
//
//   node scripts/build.mjs            uses CARGO_TARGET_DIR, else ../target
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const WASM_BINDGEN_VERSION = '0.2.130';
const js = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(js, '..');
const target = resolve(repo, process.env.CARGO_TARGET_DIR ?? 'target');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', cwd: repo, ...opts });

function step(name) {
  console.log(`build: ${name}`);
}

step('cargo build -p tessera-js (wasm32-unknown-unknown, profile wasm-release)');
run('cargo', ['build', '--locked', '-p', 'tessera-js', '--target', 'wasm32-unknown-unknown', '--profile', 'wasm-release']);
const built = join(target, 'wasm32-unknown-unknown', 'wasm-release', 'tessera_js.wasm');
step('cargo build -p tessera-public-keys (wasm32-unknown-unknown, profile public-keys-release)');
run('cargo', ['build', '--locked', '-p', 'tessera-public-keys', '--target', 'wasm32-unknown-unknown', '--profile', 'public-keys-release']);
const publicKeys = join(target, 'wasm32-unknown-unknown', 'public-keys-release', 'tessera_public_keys.wasm');

step('cargo build -p tessera-authzen (wasm32-unknown-unknown, profile wasm-release)');
run('cargo', ['build', '--locked', '-p', 'tessera-authzen', '--target', 'wasm32-unknown-unknown', '--profile', 'wasm-release']);
const authzen = join(target, 'wasm32-unknown-unknown', 'wasm-release', 'tessera_authzen.wasm');

// The CLI must match the crate exactly (the two share a schema). `--locked` fails
// for this version (a yanked transitive dependency), so it is installed without it.
const tools = join(target, 'tools');
const bindgen = join(tools, 'bin', 'wasm-bindgen');
const version = () => {
  try {
    return execFileSync(bindgen, ['--version'], { encoding: 'utf8' }).trim().split(' ')[1];
  } catch {
    return undefined;
  }
};
if (version() !== WASM_BINDGEN_VERSION) {
  step(`cargo install wasm-bindgen-cli ${WASM_BINDGEN_VERSION} into ${tools}`);
  run('cargo', ['install', 'wasm-bindgen-cli', '--version', WASM_BINDGEN_VERSION, '--root', tools]);
}

const raw = join(js, 'build', 'raw');
rmSync(raw, { recursive: true, force: true });
step('wasm-bindgen --target web');
run(bindgen, ['--target', 'web', '--out-dir', raw, '--out-name', 'tessera', '--no-typescript', built]);

const dist = join(js, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
step('wasm-opt -Oz --converge');
// The features the Rust toolchain emits by default; without them wasm-opt refuses
// the module (bulk memory, saturating truncation) or changes its ABI.
const features = [
  '--enable-bulk-memory', '--enable-sign-ext', '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int', '--enable-reference-types', '--enable-multivalue',
];
const wasmOpt = join(js, 'node_modules', '.bin', 'wasm-opt');
run(wasmOpt, [
  // --converge repeats -Oz until it stops shrinking the module (1.2 KB gzipped, ~20 s).
  '-Oz', '--converge', ...features, '--strip-debug', '--strip-producers',
  join(raw, 'tessera_bg.wasm'), '-o', join(dist, 'tessera.wasm'),
]);
step('wasm-opt -O3: dist/tessera-public-keys.wasm');
run(wasmOpt, ['-O3', ...features, '--strip-debug', '--strip-producers', publicKeys, '-o', join(dist, 'tessera-public-keys.wasm')]);
step('wasm-opt -Oz: dist/tessera-authzen.wasm');
run(wasmOpt, ['-Oz', ...features, '--strip-debug', '--strip-producers', authzen, '-o', join(dist, 'tessera-authzen.wasm')]);

step('esbuild: dist/instantiate.mjs (ESM) and dist/node.cjs; the ESM entries are copied as written');
const common = { bundle: true, target: 'es2022', logLevel: 'warning', legalComments: 'none' };
await esbuild.build({ ...common, entryPoints: [join(js, 'src', 'instantiate.mjs')], outfile: join(dist, 'instantiate.mjs'), format: 'esm', platform: 'neutral' });
await esbuild.build({
  ...common, entryPoints: [join(js, 'src', 'entries', 'node.cjs.mjs')], outfile: join(dist, 'node.cjs'), format: 'cjs',
  platform: 'node',
  // The bindings' unused fetch path mentions import.meta; CJS never takes it.
  logOverride: { 'empty-import-meta': 'silent' },
});
// The AuthZEN handler is an entry of its own (`tessera-authz/authzen`): its module
// is declared only by those who serve AuthZEN.
await esbuild.build({ ...common, entryPoints: [join(js, 'src', 'authzen.js')], outfile: join(dist, 'authzen.mjs'), format: 'esm', platform: 'neutral' });
await esbuild.build({
  ...common, entryPoints: [join(js, 'src', 'entries', 'authzen-node.cjs.mjs')], outfile: join(dist, 'authzen.cjs'), format: 'cjs',
  platform: 'node',
});
for (const entry of ['node.mjs', 'browser.mjs', 'workerd.mjs', 'deno.mjs', 'authzen-node.mjs', 'authzen-browser.mjs', 'authzen-workerd.mjs', 'authzen-deno.mjs']) {
  copyFileSync(join(js, 'src', 'entries', entry), join(dist, entry));
}

copyFileSync(join(js, 'src', 'index.d.ts'), join(dist, 'index.d.ts'));
copyFileSync(join(js, 'src', 'index.d.ts'), join(dist, 'index.d.cts'));
copyFileSync(join(js, 'src', 'authzen.d.ts'), join(dist, 'authzen.d.ts'));
copyFileSync(join(js, 'src', 'authzen.d.ts'), join(dist, 'authzen.d.cts'));

const wasm = readFileSync(join(dist, 'tessera.wasm'));
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `build: dist/tessera.wasm ${kb(wasm.length)} (${kb(gzipSync(wasm, { level: 9 }).length)} gzipped); ` +
    `before wasm-opt ${kb(statSync(join(raw, 'tessera_bg.wasm')).size)}`,
);
const publicKeysWasm = readFileSync(join(dist, 'tessera-public-keys.wasm'));
console.log(
  `build: dist/tessera-public-keys.wasm ${kb(publicKeysWasm.length)} (${kb(gzipSync(publicKeysWasm, { level: 9 }).length)} gzipped), loaded on first use`,
);
const authzenWasm = readFileSync(join(dist, 'tessera-authzen.wasm'));
console.log(
  `build: dist/tessera-authzen.wasm ${kb(authzenWasm.length)} (${kb(gzipSync(authzenWasm, { level: 9 }).length)} gzipped), the AuthZEN handler's`,
);
if (!existsSync(join(dist, 'node.cjs'))) throw new Error('build: dist/node.cjs is missing');
