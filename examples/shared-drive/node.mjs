// The shared drive through the npm package: load the signed snapshot of policy.yaml,
// then ask it what run.sh asks the CLI.
//
//   node node.mjs drive.snapshot public.jwk
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Authorizer } from 'tessera-authz';

const [snapshotFile, keyFile] = process.argv.slice(2);
if (!snapshotFile || !keyFile) {
  console.error('usage: node node.mjs SNAPSHOT PUBLIC_KEY (build them with tessera: see README.md)');
  process.exit(2);
}
const authz = Authorizer.load(readFileSync(snapshotFile), {
  snapshotKeys: [JSON.parse(readFileSync(keyFile, 'utf8'))],
});
console.log(`loaded revision ${authz.revision}`);

const show = (user, action, resource) => {
  const decision = authz.check(user, action, resource);
  const why = decision.rule ?? `${decision.role} ${decision.pattern}${decision.on ? ` on ${decision.on}` : ''}`;
  const name = typeof resource === 'string' ? resource : `${resource.type}:${resource.id}`;
  console.log(`${user} ${action} ${name}: ${decision.allowed ? 'allowed' : 'denied'} (${decision.reason}${decision.reason === 'no_matching_grant' ? '' : `: ${why}`})`);
  return decision;
};

// Roles held on a folder apply to everything under it.
assert.deepEqual(show('alice', 'edit', 'document:roadmap'), {
  allowed: true, reason: 'granted', role: 'editor', pattern: 'document:edit', on: 'folder:engineering',
});
// Owners manage their documents; nothing archived changes.
assert.equal(show('carol', 'delete', 'document:roadmap').reason, 'permitted');
assert.equal(show('bob', 'edit', { type: 'document', id: 'retro-2023' }).reason, 'forbidden');
// A document the snapshot does not hold: the request's properties decide.
assert.equal(show('zed', 'edit', { type: 'document', id: 'draft', properties: { owner: 'zed' } }).allowed, true);
assert.equal(authz.can('mallory', 'read', 'document:roadmap'), false);

// The three searches, a page at a time.
console.log('alice may, on the roadmap:', authz.actions('alice', 'document:roadmap').items.join(' '));
assert.deepEqual(authz.resources('alice', 'edit', 'document').items, ['contract', 'roadmap']);
const first = authz.subjects('read', 'document:contract', { limit: 2 });
const rest = authz.subjects('read', 'document:contract', { limit: 2, after: first.next });
console.log('readers of the contract:', [...first.items, ...rest.items].join(' '));
assert.deepEqual(first, { items: ['alice', 'bob'], next: 'bob' });
console.log('shared drive complete');
