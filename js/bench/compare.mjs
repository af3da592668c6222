// Two builds of the package side by side in one Node process, their rounds
// alternating, so both see the same phase of a machine whose speed moves with its
// neighbours: the way to tell a change to the hot calls from noise.
//
//   node bench/compare.mjs BEFORE_DIST [AFTER_DIST]   (default AFTER_DIST: ./dist)
//
// A DIST is a built package's dist/ folder (`node scripts/build.mjs` of each build).
// Prints the median of 9 rounds per call and build, and after/before.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, signedSnapshots } from './tenant.mjs';

const [beforeDir, afterDir = 'dist'] = process.argv.slice(2);
if (beforeDir === undefined) throw new Error('usage: node bench/compare.mjs BEFORE_DIST [AFTER_DIST]');
const load = (dir) => import(pathToFileURL(resolve(dir, 'node.mjs')).href);
const builds = { before: await load(beforeDir), after: await load(afterDir) };
const { snapshotKeys, snapshots: [snapshot] } = signedSnapshots([1000]);
const authz = Object.fromEntries(Object.entries(builds).map(([k, api]) => [k, api.Authorizer.load(snapshot, { snapshotKeys })]));

const users = Array.from({ length: 1024 }, (_, i) => `user${i}`);
const perms = Array.from({ length: 1024 }, (_, i) => `svc${i % 100}:action${i % 10}`);
const hundred = Array.from({ length: 100 }, (_, i) => `svc${i}:action${i % 10}`);
let sink = 0;
const calls = {
  can: [(z, i) => { sink += z.can(users[i & 1023], perms[(i * 7) & 1023]); }, 1_000_000],
  check: [(z, i) => { sink += z.check(users[i & 1023], perms[(i * 7) & 1023]).allowed; }, 500_000],
  checkMany: [(z, i) => { sink += z.checkMany(users[i & 1023], hundred).length; }, 30_000],
};
for (const [name, [call, n]] of Object.entries(calls)) {
  const rounds = { before: [], after: [] };
  for (const z of Object.values(authz)) for (let i = 0; i < n; i++) call(z, i);
  for (let r = 0; r < 9; r++) {
    for (const [build, z] of Object.entries(authz)) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) call(z, i);
      rounds[build].push(Number(process.hrtime.bigint() - start) / n);
    }
  }
  const [before, after] = [median(rounds.before), median(rounds.after)];
  console.log(`${name}: before ${before.toFixed(1)} ns, after ${after.toFixed(1)} ns, after/before ${(after / before).toFixed(3)}`);
}
if (sink === 0.5) console.log('');
