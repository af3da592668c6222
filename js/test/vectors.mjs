// The conformance vectors (tests/vectors) through the package's public API. Runtime
// neutral: Node (ESM and CJS), Chromium, Deno and workerd all call `runVectors` with
// the module they imported and the fixtures test/fixtures.mjs wrote.

const OPTION_NAMES = {
  issuers: 'issuer',
  audiences: 'audience',
  leeway_seconds: 'leewaySeconds',
  max_age_seconds: 'maxAgeSeconds',
  required_claims: 'requiredClaims',
  require_subject: 'requireSubject',
  expected_type: 'expectedType',
  max_token_length: 'maxTokenLength',
};

/** Base64 to bytes without Node's Buffer (browsers, workerd). */
export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** JSON with sorted keys, so answers compare by value. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function tokenOptions(options) {
  const out = {};
  for (const [name, value] of Object.entries(options)) {
    const camel = OPTION_NAMES[name];
    if (camel === undefined) throw new Error(`vector option ${name} has no package option`);
    out[camel] = value;
  }
  return out;
}

function attempt(fn) {
  try {
    return { ok: fn() };
  } catch (error) {
    if (error?.name !== 'TesseraError') throw error;
    return { error };
  }
}

function query(authz, c) {
  switch (c.op) {
    case 'check': return authz.check(c.user, c.permission);
    case 'check_many': return authz.checkMany(c.user, c.permissions);
    case 'has_role': return authz.hasRole(c.user, c.role);
    case 'user_roles': return authz.userRoles(c.user);
    case 'user_permissions': return authz.userPermissions(c.user);
    case 'role_permissions': return authz.rolePermissions(c.role);
    case 'role_members': return authz.roleMembers(c.role);
    case 'which_roles_can': return authz.whichRolesCan(c.permission);
    case 'which_users_can': return authz.whichUsersCan(c.permission);
    case 'roles': return authz.roles();
    case 'evaluate': {
      const a = c.attributes ?? {};
      const answer = authz.check(subject(c, a), action(c, a), resource(c, a), a.context);
      canAgrees(authz, c, a, answer);
      return answer;
    }
    case 'search': return search(authz, c);
    default: throw new Error(`unknown op ${c.op}`);
  }
}

/**
 * `can` with the resource as a `type:id` string, which the wrapper answers from the
 * call's value alone, gives `check`'s answer.
 */
function canAgrees(authz, c, a, answer) {
  if (typeof c.resource?.type !== 'string' || typeof c.resource?.id !== 'string' || Object.keys(a).length > 0) return;
  const allowed = authz.can(c.subject, c.action, `${c.resource.type}:${c.resource.id}`);
  if (allowed !== answer.allowed) throw new Error(`can and check disagree on ${c.name ?? JSON.stringify(c)}`);
}

// A vector's request attributes in the package's shapes: properties on the subject,
// action and resource, and the context beside them.
const subject = (c, a) => (a.subject === undefined ? c.subject : { id: c.subject, properties: a.subject });
const action = (c, a) => (a.action === undefined ? c.action : { name: c.action, properties: a.action });
const resource = (c, a) => (a.resource === undefined || c.resource === undefined ? c.resource : { ...c.resource, properties: a.resource });

/** A search vector through the method a JS user would call (`search` for what no method asks). */
function search(authz, c) {
  const a = c.attributes ?? {};
  const options = { context: a.context, after: c.page?.after, limit: c.page?.limit };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  // What no method can ask (subject attributes in a search for subjects, resource
  // attributes in one for resources, a page that is not an object) goes as the
  // core's request, to be refused there.
  const known = ['actions', 'resources', 'subjects'].includes(c.search)
    && !(c.search === 'subjects' && a.subject !== undefined)
    && !(c.search === 'resources' && a.resource !== undefined)
    && (c.page === undefined || (typeof c.page === 'object' && !Array.isArray(c.page)));
  if (!known) {
    const { op, expect, expect_error: _, ...request } = c;
    return authz.search(request);
  }
  switch (c.search) {
    case 'actions': return authz.actions(subject(c, a), resource(c, a), options);
    case 'resources': return authz.resources(subject(c, a), action(c, a), c.type, options);
    default: return authz.subjects(action(c, a), resource(c, a), options);
  }
}

/**
 * Runs every vector; returns `{ total, failures }` where each failure names the case,
 * what was expected and what came back.
 */
export function runVectors(api, fixtures) {
  const { Authorizer, sanitize } = api;
  const failures = [];
  let total = 0;
  const expectAnswer = (where, expected, got) => {
    total++;
    const answer = got.error ? `error ${got.error.code}` : canonical(got.ok);
    const want = expected.expect_error !== undefined ? `error ${expected.expect_error}` : canonical(expected.expect);
    if (answer !== want) failures.push({ where, expected: want, got: answer });
  };
  const snapshotKeys = [fixtures.snapshotKey];

  for (const file of fixtures.policies) {
    const authz = Authorizer.load(fromBase64(file.snapshot), { snapshotKeys });
    file.cases.forEach((c, i) => expectAnswer(`${file.name} case ${i} ${c.op}`, c, attempt(() => query(authz, c))));
  }

  const jwt = fixtures.jwt;
  const snapshot = fromBase64(jwt.snapshot);
  for (const c of jwt.cases) {
    total++;
    const options = tokenOptions({ ...jwt.options, ...c.options });
    const authz = Authorizer.load(snapshot, { snapshotKeys, tokenKeys: jwt.jwks, ...options });
    const got = attempt(() => authz.verify(c.token, { now: c.now ?? jwt.now }));
    const ok = c.expect_error !== undefined
      ? got.error?.code === c.expect_error
      : got.ok !== undefined && Object.entries(c.expect).every(([k, v]) => canonical(got.ok[k]) === canonical(v));
    if (!ok) {
      failures.push({ where: `jwt ${c.name}`, expected: c.expect_error ?? canonical(c.expect), got: got.error?.code ?? canonical(got.ok) });
    }
  }
  const authz = Authorizer.load(snapshot, { snapshotKeys, tokenKeys: jwt.jwks, ...tokenOptions(jwt.options) });
  for (const c of jwt.authorize) {
    const got = attempt(() => authz.authorize(c.token, c.permission, { now: jwt.now }));
    expectAnswer(`jwt authorize ${c.name}`, { expect: c.expect }, got);
  }

  for (const c of fixtures.sanitizer.cases) {
    expectAnswer(`sanitizer escape ${JSON.stringify(c.input)}`, { expect: c.escape }, attempt(() => sanitize.escape(c.input)));
    expectAnswer(`sanitizer strip ${JSON.stringify(c.input)}`, { expect: c.strip }, attempt(() => sanitize.strip(c.input)));
    expectAnswer(`sanitizer inspect ${JSON.stringify(c.input)}`, { expect: c.findings }, attempt(() => sanitize.inspect(c.input)));
  }

  for (const v of fixtures.identifiers) {
    total++;
    const got = attempt(() => sanitize.identifier(v.kind, v.value));
    const ok = v.valid
      ? got.error === undefined
      : got.error?.code === 'ERR_INVALID_IDENTIFIER' && got.error.violation === v.violation;
    if (!ok) failures.push({ where: `identifier ${v.kind} ${JSON.stringify(v.value)}`, expected: v.valid ? 'valid' : v.violation, got: got.error ? `${got.error.code} ${got.error.violation}` : 'valid' });
  }
  return { total, failures };
}

/**
 * The JWT vectors again through `verifyAsync` and `authorizeAsync`, where the
 * runtime's WebCrypto checks public-key signatures: they must give the vectors'
 * answers too. Returns `{ total, failures }`.
 */
export async function runTokenVectorsAsync(api, fixtures) {
  const { Authorizer } = api;
  const failures = [];
  let total = 0;
  const jwt = fixtures.jwt;
  const snapshot = fromBase64(jwt.snapshot);
  const snapshotKeys = [fixtures.snapshotKey];
  const settle = async (fn) => {
    try {
      return { ok: await fn() };
    } catch (error) {
      if (error?.name !== 'TesseraError') throw error;
      return { error };
    }
  };
  for (const c of jwt.cases) {
    total++;
    const authz = Authorizer.load(snapshot, { snapshotKeys, tokenKeys: jwt.jwks, ...tokenOptions({ ...jwt.options, ...c.options }) });
    const got = await settle(() => authz.verifyAsync(c.token, { now: c.now ?? jwt.now }));
    const ok = c.expect_error !== undefined
      ? got.error?.code === c.expect_error
      : got.ok !== undefined && Object.entries(c.expect).every(([k, v]) => canonical(got.ok[k]) === canonical(v));
    if (!ok) failures.push({ where: `jwt async ${c.name}`, expected: c.expect_error ?? canonical(c.expect), got: got.error?.code ?? canonical(got.ok) });
  }
  const authz = Authorizer.load(snapshot, { snapshotKeys, tokenKeys: jwt.jwks, ...tokenOptions(jwt.options) });
  for (const c of jwt.authorize) {
    total++;
    const got = canonical(await authz.authorizeAsync(c.token, c.permission, { now: jwt.now }));
    if (got !== canonical(c.expect)) failures.push({ where: `jwt authorizeAsync ${c.name}`, expected: canonical(c.expect), got });
  }
  return { total, failures };
}

/** The fewest cases a run may count, so the suite cannot shrink silently (native: 200). */
export const MIN_CASES = 400;
