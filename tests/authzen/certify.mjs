// The AuthZEN 1.0 certification scenario (openid/authzen,
// authorization-api-1_0-scenario.md; a copy is in the shared authzen folder) as a
// harness: every level (Basic, Batch, Search, each Core and Properties; Discovery)
// with its decision checks, its structural checks and its error handling, against
// any PDP that loaded the scenario's fixture (examples/authzen-certification/).
//
//   node tests/authzen/certify.mjs URL [BEARER]     prints each level, exits 1 on a failure
//   import { certify } from './certify.mjs'        { level: [failures] } per level
//
// `identifier` is the PDP identifier its discovery document must name (by default
// the URL; behind a TLS-terminating proxy, its https:// form). `headers` are sent
// with every request (Authorization for Tessera's tenants, X-Forwarded-Proto for
// a proxy). Section numbers (c-2-2-1, ...) are the scenario's.

const user = (id, properties) => ({ type: 'user', id, ...(properties && { properties }) });
const record = (id, properties) => ({ type: 'record', id, ...(properties && { properties }) });
const action = (name, properties) => ({ name, ...(properties && { properties }) });
const ARCHIVED = record('record-2', { status: 'archived' });
const ADMIN = user('bob', { role: 'admin' });

/** Runs every level; returns `{ [level]: [failure, ...] }` (empty lists pass). */
export async function certify({ url, identifier = url, headers = {}, fetch = globalThis.fetch }) {
  const results = {};
  let level;
  const fail = (id, why) => results[level].push(`${id}: ${why}`);
  const send = async (path, body, extra = {}) => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...extra.headers } };
    init.body = extra.raw ?? JSON.stringify(body);
    if (extra.contentType !== undefined) init.headers['content-type'] = extra.contentType;
    const response = await fetch(`${url}${path}`, init);
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  };
  // c-5: answers are JSON, and say so.
  const isJson = (answer) => (answer.headers?.get('content-type') ?? '').toLowerCase().startsWith('application/json');

  // c-2-3: a JSON object with a boolean `decision` and, if any, an object `context`.
  const shapeOf = (answer) => {
    if (answer?.json === undefined || typeof answer.json !== 'object') return `not a JSON object: ${answer?.text?.slice(0, 200)}`;
    if (typeof answer.json.decision !== 'boolean') return `no boolean decision: ${answer.text.slice(0, 200)}`;
    if (answer.json.context !== undefined && (typeof answer.json.context !== 'object' || Array.isArray(answer.json.context))) return 'context is not an object';
    return undefined;
  };
  const evaluation = async (id, body, expected) => {
    const answer = await send('/access/v1/evaluation', body);
    if (answer.status !== 200) return fail(id, `status ${answer.status}: ${answer.text.slice(0, 200)}`);
    if (!isJson(answer)) fail(id, `Content-Type ${answer.headers.get('content-type')}`);
    const wrong = shapeOf(answer);
    if (wrong) return fail(id, wrong);
    if (expected !== undefined && answer.json.decision !== expected) fail(id, `decision ${answer.json.decision}, expected ${expected}`);
    return answer.json.decision;
  };
  const refused = async (id, path, body, extra) => {
    const answer = await send(path, body, extra);
    if (answer.status !== 400) fail(id, `status ${answer.status}, expected 400: ${answer.text.slice(0, 200)}`);
  };

  level = 'Basic Core';
  results[level] = [];
  const base = { subject: user('alice'), action: action('read'), resource: record('record-1') };
  await evaluation('c-2-2-1', base, true);
  await evaluation('c-2-2-2', { subject: user('bob'), action: action('write'), resource: record('record-1') }, false);
  await evaluation('c-2-2-3', { ...base, context: { time: '2024-10-26T01:22-07:00', ip: '10.0.0.1' } }, true);
  await evaluation('c-2-2-8', {
    subject: user('alice', { department: 'Sales', role: 'manager' }),
    action: action('read', { method: 'GET' }),
    resource: record('record-1', { status: 'active', owner: 'bob' }),
  }, true);
  await evaluation('c-2-2-9', { ...base, foo: 'bar', futureField: { nested: true } }, true);
  const path = '/access/v1/evaluation';
  const without = (field) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== field));
  for (const field of ['subject', 'action', 'resource']) await refused(`c-2-4-1 without ${field}`, path, without(field));
  await refused('c-2-4-2 subject without type', path, { ...base, subject: { id: 'alice' } });
  await refused('c-2-4-2 subject without id', path, { ...base, subject: { type: 'user' } });
  await refused('c-2-4-2 action without name', path, { ...base, action: {} });
  await refused('c-2-4-2 resource without type', path, { ...base, resource: { id: 'record-1' } });
  await refused('c-2-4-2 resource without id', path, { ...base, resource: { type: 'record' } });
  await refused('c-2-4-3 text/plain', path, base, { contentType: 'text/plain' });
  await refused('c-2-4-4 malformed JSON', path, undefined, { raw: '{"subject": {"type": "user", "id": "alice"' });
  await refused('c-2-4-5 empty body', path, undefined, { raw: '' });
  await refused('c-2-4-6 subject as a string', path, { ...base, subject: 'alice' });
  await refused('c-2-4-6 action name as a number', path, { ...base, action: { name: 123 } });
  const requestId = `certify-${Date.now()}`;
  const echoed = await send(path, base, { headers: { 'x-request-id': requestId } });
  if (echoed.headers.get('x-request-id') !== requestId) fail('c-2-5', `X-Request-ID came back as ${echoed.headers.get('x-request-id')}`);
  const refusedEcho = await send(path, without('subject'), { headers: { 'x-request-id': requestId } });
  if (refusedEcho.headers.get('x-request-id') !== requestId) fail('c-2-5 on a refusal', 'X-Request-ID not echoed');
  const decisions = [];
  for (let i = 0; i < 3; i++) decisions.push(await evaluation('c-2-6', base));
  if (new Set(decisions).size !== 1) fail('c-2-6', `decisions ${decisions} differ`);

  level = 'Basic Properties';
  results[level] = [];
  await evaluation('c-2-2-4', { subject: user('alice'), action: action('write'), resource: ARCHIVED }, false);
  await evaluation('c-2-2-5', { subject: ADMIN, action: action('write'), resource: ARCHIVED }, true);
  // Rule 6 speaks of any subject whose properties say admin: alice, said to be one.
  await evaluation('c-1-4 rule 6', { subject: user('alice', { role: 'admin' }), action: action('write'), resource: ARCHIVED }, true);
  await evaluation('c-2-2-6', { subject: user('alice'), action: action('delete', { soft: true }), resource: record('record-1') }, true);
  await evaluation('c-2-2-7', { subject: user('alice'), action: action('delete', { soft: false }), resource: record('record-1') }, false);

  // c-3-3: one boolean decision per evaluation, in order.
  const batch = async (id, body, expected, count = expected?.length) => {
    const answer = await send('/access/v1/evaluations', body);
    if (answer.status !== 200) return fail(id, `status ${answer.status}: ${answer.text.slice(0, 200)}`);
    const items = answer.json?.evaluations;
    if (!Array.isArray(items)) return fail(id, `no evaluations array: ${answer.text.slice(0, 200)}`);
    if (count !== undefined && items.length !== count) return fail(id, `${items.length} answers for ${count} evaluations`);
    for (const [i, item] of items.entries()) {
      const wrong = shapeOf({ json: item, text: JSON.stringify(item) });
      if (wrong) fail(`${id}[${i}]`, wrong);
    }
    const got = items.map((item) => item.decision);
    if (expected !== undefined && JSON.stringify(got) !== JSON.stringify(expected)) fail(id, `decisions ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    return items;
  };
  const single = async (id, body) => {
    const answer = await send('/access/v1/evaluations', body);
    if (answer.status !== 200) return fail(id, `status ${answer.status}: ${answer.text.slice(0, 200)}`);
    const wrong = shapeOf(answer);
    if (wrong) return fail(id, wrong);
    if (answer.json.decision !== true) fail(id, `decision ${answer.json.decision}, expected true`);
  };

  level = 'Batch Core';
  results[level] = [];
  await batch('c-3-2-1', { subject: user('alice'), action: action('read'), evaluations: [{ resource: record('record-1') }, { resource: record('record-2') }] }, undefined, 2);
  await batch('c-3-2-2', { subject: user('bob'), resource: record('record-1'), evaluations: [{ action: action('read') }, { action: action('write') }] }, [true, false]);
  await batch('c-3-2-5', { evaluations: [base, { subject: user('bob'), action: action('write'), resource: record('record-1') }] }, [true, false]);
  await batch('c-3-2-6', {
    subject: user('alice'), action: action('read'), context: { time: '2024-10-26T01:22-07:00' },
    evaluations: [{ resource: record('record-1') }, { resource: record('record-1'), context: { time: '2024-10-27T09:00-07:00' } }],
  }, undefined, 2);
  await batch('c-3-3 top-level decision ignored', { decision: false, evaluations: [base] }, [true]);
  const partial = await batch('c-3-4-1', {
    subject: user('alice'), action: action('read'), options: { evaluations_semantic: 'execute_all' },
    evaluations: [{ resource: record('record-1') }, {}],
  }, [true, false]);
  if (partial && (typeof partial[1]?.context !== 'object' || partial[1].context === null)) fail('c-3-4-1', 'the failed evaluation has no context');
  await single('c-3-4-2 without evaluations', base);
  await single('c-3-4-3 with none', { ...base, evaluations: [] });

  level = 'Batch Properties';
  results[level] = [];
  await batch('c-3-2-3', {
    subject: user('alice'), action: action('write'),
    evaluations: [{ resource: record('record-1', { status: 'active' }) }, { resource: ARCHIVED }],
  }, [true, false]);
  await batch('c-3-2-4', { action: action('write'), resource: ARCHIVED, evaluations: [{ subject: user('alice') }, { subject: ADMIN }] }, [false, true]);
  await batch('c-3-2-7', {
    subject: user('alice'), action: action('write'), resource: record('record-1', { status: 'active' }),
    evaluations: [{}, { resource: ARCHIVED }],
  }, [true, false]);

  // Searches: `results` of the searched type, including at least `expected`.
  const names = (results, key) => results.map((r) => r[key]);
  const searchAll = async (id, kind, body, check) => {
    const answer = await send(`/access/v1/search/${kind}`, body);
    // A failed search finds nothing (undefined), which the checks below skip.
    if (answer.status !== 200) return void fail(id, `status ${answer.status}: ${answer.text.slice(0, 200)}`);
    const found = answer.json?.results;
    if (!Array.isArray(found)) return void fail(id, `no results array: ${answer.text.slice(0, 200)}`);
    if (answer.json.page !== undefined && typeof answer.json.page?.next_token !== 'string') fail(id, 'page.next_token is not a string');
    return check ? check(found) : found;
  };
  const includes = (id, found, key, wanted, type) => {
    if (!found) return;
    if (type !== undefined && found.some((r) => r.type !== type)) fail(id, `a result not of type ${type}: ${JSON.stringify(found)}`);
    if (found.some((r) => typeof r[key] !== 'string')) fail(id, `a result without ${key}: ${JSON.stringify(found)}`);
    for (const w of wanted) if (!names(found, key).includes(w)) fail(id, `${w} missing from ${JSON.stringify(found)}`);
  };
  const S1 = { subject: { type: 'user' }, action: action('read'), resource: record('record-1') };
  const S2 = { subject: user('alice'), action: action('read'), resource: { type: 'record' } };
  const S3 = { subject: user('alice'), resource: record('record-1') };
  const context = { time: '2024-10-26T01:22-07:00' };

  level = 'Search Core';
  results[level] = [];
  // The variants (with context, with an id the search ignores) find what the base finds.
  const same = (id, found, base, key) => {
    const set = (list) => JSON.stringify((list ?? []).map((r) => r[key]).sort());
    if (found && base && set(found) !== set(base)) fail(id, `${set(found)}, while the base search found ${set(base)}`);
  };
  const s1 = await searchAll('c-4-2-1', 'subject', S1);
  includes('c-4-2-1', s1, 'id', ['alice', 'bob'], 'user');
  same('c-4-2-2', await searchAll('c-4-2-2', 'subject', { ...S1, context }), s1, 'id');
  const withId = await searchAll('c-4-2-3', 'subject', { ...S1, subject: user('alice') });
  includes('c-4-2-3', withId, 'id', ['alice', 'bob'], 'user');
  same('c-4-2-3', withId, s1, 'id');
  const s2 = await searchAll('c-4-3-1', 'resource', S2);
  includes('c-4-3-1', s2, 'id', ['record-1'], 'record');
  same('c-4-3-2', await searchAll('c-4-3-2', 'resource', { ...S2, context }), s2, 'id');
  same('c-4-3-3', await searchAll('c-4-3-3', 'resource', { ...S2, resource: record('record-1') }), s2, 'id');
  const s3 = await searchAll('c-4-4-1', 'action', S3);
  includes('c-4-4-1', s3, 'name', ['read', 'write']);
  same('c-4-4-2', await searchAll('c-4-4-2', 'action', { ...S3, context }), s3, 'name');
  // c-4-5: pages of one, followed by their tokens to the end, give every result.
  const paged = [];
  let token;
  let ended = false;
  for (let page = 0; page < 20 && !ended; page++) {
    const body = { ...S1, page: { limit: 1, ...(token && { token }) } };
    const answer = await send('/access/v1/search/subject', body);
    if (answer.status !== 200 || !Array.isArray(answer.json?.results)) {
      fail('c-4-5', `status ${answer.status}: ${answer.text.slice(0, 200)}`);
      break;
    }
    // A PDP that pages gives at most `limit` results and says where to go on.
    const next = answer.json.page?.next_token;
    if (answer.json.page === undefined) {
      ended = true; // c-4-5-4: no pagination, everything at once.
    } else if (typeof answer.json.page !== 'object' || typeof next !== 'string') {
      fail('c-4-5-1', 'page is not an object with a string next_token');
      break;
    } else {
      if (answer.json.results.length > 1) fail('c-4-5-1', `${answer.json.results.length} results for a limit of 1`);
      ended = next === '';
      token = next;
    }
    paged.push(...answer.json.results);
  }
  if (!ended) fail('c-4-5-2', 'twenty pages and no end (next_token never "")');
  const ids = paged.map((r) => r.id);
  if (new Set(ids).size !== ids.length) fail('c-4-5-2', `a result came twice: ${ids}`);
  includes('c-4-5-2', paged, 'id', ['alice', 'bob'], 'user');
  same('c-4-5-2', paged, s1, 'id');
  const empty = async (id, kind, body) => {
    const found = await searchAll(id, kind, body);
    if (found && found.length !== 0) fail(id, `expected no results, got ${JSON.stringify(found)}`);
  };
  await empty('c-4-6-1 action search', 'action', { subject: user('nonexistent-user'), resource: record('record-1') });
  await empty('c-4-6-1 resource search', 'resource', { subject: user('nonexistent-user'), action: action('write'), resource: { type: 'record' } });
  await empty('c-4-6-1 subject search', 'subject', { subject: { type: 'user' }, action: action('read'), resource: record('nonexistent-record') });
  await empty('c-4-6-2 subject search', 'subject', { subject: { type: 'spaceship' }, action: action('read'), resource: record('record-1') });
  await empty('c-4-6-2 resource search', 'resource', { subject: user('alice'), action: action('read'), resource: { type: 'spaceship' } });
  await empty('c-4-6-2 action search', 'action', { subject: user('alice'), resource: { type: 'spaceship', id: 'enterprise' } });
  await refused('c-4-7-1 subject search without action', '/access/v1/search/subject', { subject: { type: 'user' }, resource: record('record-1') });
  await refused('c-4-7-1 resource search without subject', '/access/v1/search/resource', { action: action('read'), resource: { type: 'record' } });
  await refused('c-4-7-1 action search without resource', '/access/v1/search/action', { subject: user('alice') });
  await refused('c-4-7-2 subject search, resource without id', '/access/v1/search/subject', { ...S1, resource: { type: 'record' } });
  await refused('c-4-7-2 resource search, subject without id', '/access/v1/search/resource', { ...S2, subject: { type: 'user' } });
  await refused('c-4-7-2 action search, subject without id', '/access/v1/search/action', { ...S3, subject: { type: 'user' } });

  level = 'Search Properties';
  results[level] = [];
  includes('c-4-2-4', await searchAll('c-4-2-4', 'subject', { subject: { type: 'user' }, action: action('write'), resource: ARCHIVED }), 'id', ['bob'], 'user');
  includes('c-4-3-4', await searchAll('c-4-3-4', 'resource', { subject: ADMIN, action: action('write'), resource: { type: 'record' } }), 'id', ['record-2'], 'record');
  includes('c-4-4-3', await searchAll('c-4-4-3', 'action', { subject: ADMIN, resource: ARCHIVED }), 'name', ['write']);

  level = 'Discovery';
  results[level] = [];
  const discovery = await fetch(`${url}/.well-known/authzen-configuration`, { headers });
  const metadata = await discovery.json().catch(() => undefined);
  if (!isJson(discovery)) fail('c-6', `Content-Type ${discovery.headers.get('content-type')}`);
  if (discovery.status !== 200 || typeof metadata !== 'object' || metadata === null) {
    fail('c-6', `status ${discovery.status}`);
  } else {
    if (metadata.policy_decision_point !== identifier) fail('c-6 policy_decision_point', `${metadata.policy_decision_point}, expected ${identifier}`);
    if (typeof metadata.access_evaluation_endpoint !== 'string') fail('c-6 access_evaluation_endpoint', 'missing');
    for (const [name, value] of Object.entries(metadata)) {
      if (!name.endsWith('_endpoint') && name !== 'policy_decision_point') continue;
      let parsed;
      try {
        parsed = new URL(value);
      } catch {
        fail(`c-6 ${name}`, `${value} is not a URL`);
        continue;
      }
      if (parsed.protocol !== 'https:') fail(`c-6 ${name}`, `${value} is not https`);
      if (parsed.search || parsed.hash) fail(`c-6 ${name}`, `${value} has a query or fragment`);
    }
    if (metadata.capabilities !== undefined && !(Array.isArray(metadata.capabilities) && metadata.capabilities.every((c) => typeof c === 'string'))) {
      fail('c-6 capabilities', 'not an array of strings');
    }
    const expected = { access_evaluation_endpoint: '/access/v1/evaluation', access_evaluations_endpoint: '/access/v1/evaluations', search_subject_endpoint: '/access/v1/search/subject', search_resource_endpoint: '/access/v1/search/resource', search_action_endpoint: '/access/v1/search/action' };
    for (const [name, suffix] of Object.entries(expected)) {
      if (metadata[name] !== undefined && metadata[name] !== `${identifier}${suffix}`) fail(`c-6 ${name}`, `${metadata[name]}`);
    }
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [, , url, bearer] = process.argv;
  const results = await certify({ url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  let failed = false;
  for (const [level, failures] of Object.entries(results)) {
    console.log(`${failures.length === 0 ? 'pass' : 'FAIL'}  ${level}`);
    for (const failure of failures) console.log(`      ${failure}`);
    failed ||= failures.length > 0;
  }
  process.exit(failed ? 1 : 0);
}
