// The resource model in Node: Tessera's resource check on the tenant of the criterion
// bench (core/benches/resources.rs: 100k resources in four levels, 10k users, 100
// groups, 1M grants, 20 rules) beside Cedar (@cedar-policy/cedar-wasm) deciding the
// same requests, after a gate that both give the same answer to every one of them.
//
//   npm ci --prefix bench/cedar       the Cedar peer (a dependency of this bench only,
//                                     in its own folder so the package never sees it)
//   node bench/resources.mjs          after `node scripts/build.mjs`; TESSERA_BIN as in
//                                     bench.mjs; TENANT_JSON=FILE reuses a printed tenant
//
// Cedar is given the policy set parsed once (`preparsePolicySet`) and, per request,
// only the entities that request needs (see `cedarRequest`), built before the clock
// starts: an application would have to assemble that slice for each request, while
// Tessera's check reads the whole tenant from its snapshot. Cedar's wasm API takes
// entities as JSON on every call, so its figure includes reading them; the same
// requests without entities, against a policy that permits everything, show the
// fixed cost of a call.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Authorizer } from 'tessera-authz';
import { perCall, sign } from './tenant.mjs';

const cedar = createRequire(new URL('./cedar/', import.meta.url))('@cedar-policy/cedar-wasm/nodejs');
const repo = fileURLToPath(new URL('../..', import.meta.url));
const text = process.env.TENANT_JSON
  ? readFileSync(process.env.TENANT_JSON, 'utf8')
  : execFileSync('cargo', ['run', '--release', '-q', '-p', 'tessera-conformance', '--example', 'resource_tenant'], {
      cwd: repo, encoding: 'utf8', maxBuffer: 1 << 30,
    });
const doc = JSON.parse(text);

// --- Tessera ---------------------------------------------------------------------
const { snapshotKeys, snapshots: [snapshot] } = sign([text]);
const started = performance.now();
const authz = Authorizer.load(snapshot, { snapshotKeys });
const loadMs = performance.now() - started;

// --- The same tenant as Cedar policies and per-request entities --------------------
if (doc.members && Object.keys(doc.members).length) throw new Error('tenant-wide members are not translated');
const push = (map, key, value) => (map.get(key) ?? map.set(key, []).get(key)).push(value);
const parentsOf = new Map(Object.entries(doc.resources).map(([key, r]) => [key, r.parents ?? []]));
const childrenOf = new Map();
for (const [key, parents] of parentsOf) for (const p of parents) push(childrenOf, p, key);
const grantsOn = new Map();
for (const g of doc.grants) push(grantsOn, g.on, { principal: g.user ? `User::${g.user}` : `Group::${g.group}`, role: g.role });
const groupsOf = new Map();
for (const [group, def] of Object.entries(doc.groups)) for (const member of def.members ?? []) push(groupsOf, member, group);
const roles = doc.roles;

/** A resource and all its ancestors. */
function lineage(key) {
  const out = [];
  const stack = [key];
  while (stack.length) {
    const k = stack.pop();
    if (!out.includes(k)) {
      out.push(k);
      stack.push(...parentsOf.get(k));
    }
  }
  return out;
}

/** A user's groups, with every group above them. */
function groupClosure(user) {
  const out = [];
  const stack = [...(groupsOf.get(user) ?? [])];
  while (stack.length) {
    const g = stack.pop();
    if (!out.includes(g)) {
      out.push(g);
      stack.push(...(doc.groups[g].parents ?? []));
    }
  }
  return out;
}

/** The actions of `type` a pattern names. */
function actionsOf(pattern, type) {
  const all = doc.types[type].actions;
  if (pattern === '*') return all;
  const [t, a] = pattern.split(':');
  if (a === undefined || t !== type) return [];
  return a === '*' ? all : [a];
}

const uid = (type, id) => ({ type, id });
const list = (actions) => `[${actions.map((a) => `Action::"${a}"`).join(', ')}]`;

/**
 * A condition of the tenant's rules in Cedar: clauses `a op b` joined by `&&`, each
 * side a literal or a reference, every reference guarded by `has` (a missing
 * attribute makes a clause false in Tessera; in Cedar it would be an error).
 */
function condition(when) {
  const operand = (token) => {
    const ref = token.match(/^(subject|resource|context)\.(\w+)$/);
    if (!ref) {
      if (!/^(-?\d+|true|false|'[^']*')$/.test(token)) throw new Error(`operand not translated: ${token}`);
      return [token.replace(/^'(.*)'$/, '"$1"'), []];
    }
    if (ref[1] === 'subject' && ref[2] === 'id') return ['principal', []];
    const root = ref[1] === 'subject' ? 'principal' : ref[1];
    return [`${root}.${ref[2]}`, [`${root} has ${ref[2]}`]];
  };
  return when.split('&&').map((clause) => {
    const m = clause.trim().match(/^(\S+) (==|!=|>=|>|<=|<) (\S+)$/);
    if (!m) throw new Error(`condition not translated: ${when}`);
    const [[left, lg], [right, rg]] = [operand(m[1]), operand(m[3])];
    return `(${[...lg, ...rg, `${left} ${m[2]} ${right}`].join(' && ')})`;
  }).join(' && ');
}

const policies = [];
for (const [type] of Object.entries(doc.types)) {
  for (const [name, role] of Object.entries(roles)) {
    const grants = [...new Set((role.grants ?? []).flatMap((p) => actionsOf(p, type)))];
    const denies = [...new Set((role.denies ?? []).flatMap((p) => actionsOf(p, type)))];
    if (grants.length) policies.push(`permit(principal, action in ${list(grants)}, resource is ${type}) when { principal in resource.role_${name} };`);
    if (denies.length) policies.push(`forbid(principal, action in ${list(denies)}, resource is ${type}) when { principal in resource.role_${name} };`);
  }
}
for (const rule of doc.rules) {
  if (rule.roles?.length) throw new Error('rules with roles are not translated');
  const byType = new Map();
  for (const p of rule.actions) for (const type of Object.keys(doc.types)) for (const a of actionsOf(p, type)) push(byType, type, a);
  for (const [type, actions] of byType) {
    policies.push(`@id("${rule.id}-${type}") ${rule.effect}(principal, action in ${list(actions)}, resource is ${type}) when { ${condition(rule.when)} };`);
  }
}
const policyText = policies.join('\n');
const parsed = cedar.preparsePolicySet('tenant', { staticPolicies: policyText });
if (parsed.type !== 'success') throw new Error(`cedar: ${JSON.stringify(parsed.errors)}`);

/** Cedar's attribute value for one of the tenant's (the owner is a user entity). */
const value = (name, v) => (name === 'owner' ? { __entity: uid('User', v) } : v);

/**
 * The entities one request needs, and the request itself: the user, the groups on
 * the way to a role it holds on the resource or an ancestor, those role entities
 * with the roles above them (the hierarchy: `owner@x` in `editor@x`), and the
 * resource, whose `role_<name>` sets list the role entities of that name the slice
 * holds (an entity Cedar is not given is one no principal is `in`).
 */
function cedarRequest(user, action, key) {
  const [type, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  const line = lineage(key);
  const groups = groupClosure(user);
  const principals = new Set([`User::${user}`, ...groups.map((g) => `Group::${g}`)]);
  const held = new Map();
  const roleEntities = new Map();
  const addRole = (name, on) => {
    const rid = `${name}@${on}`;
    if (roleEntities.has(rid)) return;
    const parents = roles[name].parents ?? [];
    roleEntities.set(rid, { uid: uid('Role', rid), attrs: {}, parents: parents.map((p) => uid('Role', `${p}@${on}`)) });
    for (const p of parents) addRole(p, on);
  };
  for (const on of line) {
    for (const g of grantsOn.get(on) ?? []) {
      if (!principals.has(g.principal)) continue;
      push(held, g.principal, uid('Role', `${g.role}@${on}`));
      addRole(g.role, on);
    }
  }
  // A group matters when it or a group above it holds a role here.
  const matters = (g) => held.has(`Group::${g}`) || (doc.groups[g].parents ?? []).some(matters);
  const kept = groups.filter(matters);
  const entities = [
    { uid: uid('User', user), attrs: doc.users[user]?.attributes ?? {}, parents: [...(groupsOf.get(user) ?? []).filter(matters).map((g) => uid('Group', g)), ...(held.get(`User::${user}`) ?? [])] },
    ...kept.map((g) => ({ uid: uid('Group', g), attrs: {}, parents: [...(doc.groups[g].parents ?? []).filter(matters).map((p) => uid('Group', p)), ...(held.get(`Group::${g}`) ?? [])] })),
    ...roleEntities.values(),
  ];
  const attrs = Object.fromEntries(Object.entries(doc.resources[key].attributes ?? {}).map(([k, v]) => [k, value(k, v)]));
  for (const name of Object.keys(roles)) {
    attrs[`role_${name}`] = line.filter((on) => roleEntities.has(`${name}@${on}`)).map((on) => ({ __entity: uid('Role', `${name}@${on}`) }));
  }
  entities.push({ uid: uid(type, id), attrs, parents: [] });
  return { principal: uid('User', user), action: uid('Action', action), resource: uid(type, id), context: {}, preparsedPolicySetId: 'tenant', entities };
}

function cedarAllows(request) {
  const answer = cedar.statefulIsAuthorized(request);
  if (answer.type !== 'success' || answer.response.diagnostics.errors.length) throw new Error(`cedar: ${JSON.stringify(answer)}`);
  return answer.response.decision === 'allow';
}

// --- Requests ----------------------------------------------------------------------
// mulberry32: exact 32-bit arithmetic (a multiply past 2^53 in doubles loses the
// low bits and the sequence collapses onto a few values).
let seed = 5;
const below = (n) => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
};
const users = Object.keys(doc.users);
const documents = [...parentsOf.keys()].filter((k) => k.startsWith('document:'));
const folderGrants = doc.grants.filter((g) => g.user && g.on.startsWith('folder:'));
const docActions = doc.types.document.actions;

// As the criterion bench: `read` on a document whose deciding role is held on its
// folder, so the check walks up three levels and evaluates the read forbid rule.
const timed = [];
for (let attempt = 0; timed.length < 1024; attempt++) {
  if (attempt > 1_000_000) throw new Error('too few documents decided by a role held on their folder');
  const g = folderGrants[below(folderGrants.length)];
  const docs = childrenOf.get(g.on) ?? [];
  if (docs.length === 0) continue;
  const key = docs[below(docs.length)];
  if (authz.check(g.user, 'read', key).on?.startsWith('folder:')) timed.push([g.user, 'read', key]);
}
// The gate: those, random users on random documents, and holders of random grants on
// the granted resource or under it, every action.
const gate = [...timed];
for (let i = 0; i < 2000; i++) gate.push([users[below(users.length)], docActions[below(docActions.length)], documents[below(documents.length)]]);
for (let i = 0; i < 4000; i++) {
  const g = doc.grants[below(doc.grants.length)];
  const members = g.user ? [g.user] : doc.groups[g.group].members ?? [];
  if (!members.length) continue;
  const under = childrenOf.get(g.on) ?? [g.on];
  gate.push([members[below(members.length)], docActions[below(docActions.length)], under[below(under.length)]]);
}
const distinct = [...new Map(gate.map((r) => [r.join(' '), r])).values()];
let allowed = 0;
for (const [user, action, key] of distinct) {
  const ours = authz.can(user, action, key);
  const theirs = cedarAllows(cedarRequest(user, action, key));
  if (ours !== theirs) throw new Error(`gate: ${user} ${action} ${key}: tessera ${ours}, cedar ${theirs}`);
  allowed += ours;
}
console.log(`gate: ${distinct.length} distinct requests, ${allowed} allowed, the same answer from both engines`);

// --- Timing --------------------------------------------------------------------------
const slices = timed.map(([user, action, key]) => cedarRequest(user, action, key));
let sink = 0;
const tessera = perCall((i) => {
  const [user, action, key] = timed[i & 1023];
  sink += authz.can(user, action, key);
}, 200_000);
const cedarNs = perCall((i) => {
  sink += cedarAllows(slices[i & 1023]);
}, 2048);
// Cedar's fixed cost per call: the same requests, no entities, against one policy
// that permits everything.
if (cedar.preparsePolicySet('permit-all', { staticPolicies: 'permit(principal, action, resource);' }).type !== 'success') {
  throw new Error('cedar: the permit-all policy does not parse');
}
const bare = slices.map((r) => ({ ...r, entities: [], preparsedPolicySetId: 'permit-all' }));
const cedarBare = perCall((i) => {
  sink += cedarAllows(bare[i & 1023]);
}, 2048);
const search = perCall(() => {
  sink += authz.resources(timed[0][0], 'read', 'document', { limit: 1_000_000 }).items.length;
}, 5);
const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
console.log(`load the ${(snapshot.length / 1e6).toFixed(1)} MB snapshot: ${loadMs.toFixed(0)} ms`);
console.log(`resource check, tessera can(): ${fmt(tessera)}`);
console.log(`resource check, cedar statefulIsAuthorized (policies preparsed, entity slice prebuilt): ${fmt(cedarNs)}`);
console.log(`cedar / tessera: ${(cedarNs / tessera).toFixed(0)}x`);
console.log(`cedar, the same requests without entities against permit-all (its fixed cost per call): ${fmt(cedarBare)}`);
console.log(`resources(user, read, document) over ${documents.length} documents, tessera: ${fmt(search)}`);
if (sink === 0.5) console.log('');
