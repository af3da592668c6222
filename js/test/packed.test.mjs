// The published shape: `npm pack`, install the tarball into an empty project, and
// use it from there as users do: Node ESM and CJS, Deno (no permissions), and
// Cloudflare workerd (bundled as wrangler bundles, with the `workerd` condition).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { MIN_CASES } from './vectors.mjs';

const js = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(js, 'node_modules', '.bin', name);
let project;

before(() => {
  project = mkdtempSync(join(tmpdir(), 'tessera-packed-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', project], { cwd: js, encoding: 'utf8' }).trim().split('\n').pop();
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', '--offline', join(project, tarball)], { cwd: project });
  for (const file of ['runtimes/run-vectors.mjs', 'runtimes/run-vectors.cjs', 'runtimes/worker.mjs', 'runtimes/workerd.capnp', 'vectors.mjs']) {
    copyFileSync(join(js, 'test', file), join(project, file.split('/').pop()));
  }
  copyFileSync(join(js, 'build', 'fixtures', 'fixtures.mjs'), join(project, 'fixtures.mjs'));
});

after(() => rmSync(project, { recursive: true, force: true }));

function vectorsIn(command, args) {
  const out = execFileSync(command, args, { cwd: project, encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').pop());
  assert.deepEqual(result.failures, []);
  assert.ok(result.total >= MIN_CASES, `only ${result.total} cases ran`);
  return result;
}

test('the tarball holds the dist files and nothing of the sources', () => {
  const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: js, encoding: 'utf8' }))[0];
  const files = listing.files.map((f) => f.path).sort();
  for (const f of ['dist/node.mjs', 'dist/node.cjs', 'dist/browser.mjs', 'dist/deno.mjs', 'dist/workerd.mjs', 'dist/instantiate.mjs', 'dist/tessera.wasm', 'dist/tessera-public-keys.wasm', 'dist/index.d.ts', 'dist/authzen.mjs', 'dist/authzen.cjs', 'dist/authzen-node.mjs', 'dist/authzen-browser.mjs', 'dist/authzen-deno.mjs', 'dist/authzen-workerd.mjs', 'dist/authzen.d.ts', 'dist/tessera-authzen.wasm', 'package.json']) {
    assert.ok(files.includes(f), `${f} is missing from the tarball`);
  }
  assert.ok(files.every((f) => !f.startsWith('src/') && !f.startsWith('test/')), files.join(' '));
});

test('Node ESM from the installed tarball', () => {
  assert.equal(vectorsIn(process.execPath, ['run-vectors.mjs']).entry, 'node');
});

test('Node CommonJS from the installed tarball', () => {
  assert.match(vectorsIn(process.execPath, ['run-vectors.cjs']).entry, /node_modules\/tessera-authz\/dist\/node\.cjs$/);
});

test('the AuthZEN handler from the installed tarball, Node ESM and CommonJS', () => {
  const discovery = `(async () => {
    const response = await authzenHandler(() => undefined)(new Request('http://pdp.test/.well-known/authzen-configuration'));
    console.log(JSON.stringify([response.status, (await response.json()).access_evaluation_endpoint]));
  })();`;
  const expected = JSON.stringify([200, 'http://pdp.test/access/v1/evaluation']);
  const esm = `import { authzenHandler } from 'tessera-authz/authzen';\n${discovery}`;
  const cjs = `const { authzenHandler } = require('tessera-authz/authzen');\n${discovery}`;
  assert.equal(execFileSync(process.execPath, ['--input-type=module', '-e', esm], { cwd: project, encoding: 'utf8' }).trim(), expected);
  assert.equal(execFileSync(process.execPath, ['--input-type=commonjs', '-e', cjs], { cwd: project, encoding: 'utf8' }).trim(), expected);
});

test('Deno, without any permission', () => {
  assert.equal(vectorsIn(bin('deno'), ['run', '--no-prompt', '--node-modules-dir=manual', 'run-vectors.mjs']).entry, 'deno');
});

test('Cloudflare workerd, bundled with the workerd condition', async () => {
  await esbuild.build({
    entryPoints: [join(project, 'worker.mjs')], outfile: join(project, 'worker.js'), bundle: true, format: 'esm',
    conditions: ['workerd', 'worker', 'browser'], external: ['*.wasm'], logLevel: 'warning', absWorkingDir: project,
  });
  for (const wasm of ['tessera.wasm', 'tessera-public-keys.wasm']) {
    copyFileSync(join(project, 'node_modules', 'tessera-authz', 'dist', wasm), join(project, wasm));
  }
  // `workerd test` exits 1 when test() throws (a failure or too few cases).
  const run = spawnSync(bin('workerd'), ['test', 'workerd.capnp'], { cwd: project, encoding: 'utf8' });
  const output = run.stdout + run.stderr;
  assert.equal(run.status, 0, output);
  assert.match(output, /workerd: \d+ vector cases \(\d+ through WebCrypto\), 0 failures/);
  assert.match(output, /\[ PASS \] main/);
});
