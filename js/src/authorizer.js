// Authorizer: a verified snapshot in the wasm module, behind a small typed API. The
// hot calls follow the calling convention of wasm/js/src/lib.rs through scratch.js.
import { ANSWER } from './answer.js';
import { WasmAuthorizer, reasonNames, take_failure as takeFailure } from '../build/raw/tessera.js';
import { actionOf, bytesOf, requestAttributes, requireString, resourceOf, seconds, subjectOf } from './arguments.js';
import { invalidArgument, translate } from './errors.js';
import {
  FAILED, allowedOf, byteAt, bytesAt, fieldSpans, outputLength, putList, putString, readTexts, reasonCodeOf,
  reserveOutput, textAt, verdictFor,
} from './scratch.js';
import { WebCryptoKeys } from './webcrypto.js';

const CONSTRUCTING = Symbol('constructing');

/** The core's reasons by code, read from the module on first use (it is instantiated by then). */
let reasons;

const OPTION_NAMES = new Set([
  'snapshotKeys', 'tokenKeys', 'issuer', 'audience', 'leewaySeconds', 'maxTokenLength',
  'maxAgeSeconds', 'requiredClaims', 'requireSubject', 'expectedType', 'decryptionKey',
  'maxSnapshotBytes', 'onDecision', 'now', 'clock',
]);

/** The system clock, in seconds since the Unix epoch. */
const systemClock = () => Date.now() / 1000;

/** The clock `options` give (refused when it is not a function), else the system's. */
export function clockOf(options) {
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw invalidArgument('`clock` must be a function returning seconds since the Unix epoch');
  }
  return options.clock ?? systemClock;
}

/** Refuses an option name `Authorizer.load` does not know (a typo must not weaken a check). */
export function checkOptionNames(options) {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw invalidArgument(`unknown option \`${name}\``);
  }
}

/** Options in the module's snake_case form. */
function moduleOptions(options) {
  checkOptionNames(options);
  const many = (value) => (value === undefined ? undefined : [value].flat());
  const token = {
    issuers: many(options.issuer),
    audiences: many(options.audience),
    leeway_seconds: options.leewaySeconds,
    max_token_length: options.maxTokenLength,
    max_age_seconds: options.maxAgeSeconds,
    required_claims: options.requiredClaims,
    require_subject: options.requireSubject,
    expected_type: options.expectedType,
  };
  const keys = options.snapshotKeys ?? [];
  return JSON.stringify({
    snapshot_keys: (Array.isArray(keys) ? keys : [keys]).map((k) => (typeof k === 'string' ? JSON.parse(k) : k)),
    token_keys: typeof options.tokenKeys === 'string' ? JSON.parse(options.tokenKeys) : options.tokenKeys,
    token,
    decryption_key: options.decryptionKey,
    max_snapshot_bytes: options.maxSnapshotBytes,
  });
}

/** A hot call's answer, or its failure thrown. */
function hot(answer) {
  if (answer === FAILED) throw translate(takeFailure());
  return answer;
}

function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw translate(e);
  }
}

/** `check`'s answer: allowed (bit 0), the reason by its code, the role and pattern when it names them. */
function decisionOf(answer, at) {
  reasons ??= reasonNames();
  const out = { allowed: allowedOf(answer), reason: reasons[reasonCodeOf(answer)] };
  if (outputLength(answer) > 0) [out.role, out.pattern] = readTexts(at, outputLength(answer));
  return out;
}

/**
 * `evaluate`'s answer: allowed (bit 0), the reason by its code, then `role`,
 * `pattern` and `on` (empty when held tenant-wide) for a role's decision, or `rule`
 * for a rule's.
 */
function resourceDecisionOf(answer, at) {
  reasons ??= reasonNames();
  const out = { allowed: allowedOf(answer), reason: reasons[reasonCodeOf(answer)] };
  if (outputLength(answer) === 0) return out;
  const fields = readTexts(at, outputLength(answer));
  if (fields.length === 1) {
    out.rule = fields[0];
  } else {
    [out.role, out.pattern] = fields;
    if (fields[2] !== '') out.on = fields[2];
  }
  return out;
}

/** `authorize`'s answer from its four fields (absent ones empty) and whether it allows. */
function authorizationOf(allowed, [reason, subject, role, pattern]) {
  const out = { allowed, reason };
  if (subject !== '') out.subject = subject;
  if (role !== '') {
    out.role = role;
    out.pattern = pattern;
  }
  return out;
}

/**
 * Room for a WebCrypto call's output: the signature and the claims are each shorter
 * than the token, and a failure or an answer is short.
 */
const webcryptoRoom = (tokenLength) => 3 * tokenLength + 4096;

/**
 * What a WebCrypto call left after its `inputLength` bytes of input: `ALG`, `KID`, the
 * signature, then its outcomes for a valid and an invalid signature (as text). The
 * signed bytes are the token's up to its last dot, at the buffer's start. Undefined
 * when the call left nothing (an HMAC token) or failed (a refused token or
 * permission): the synchronous path then gives the answer or throws, with the same code.
 */
function signedParts(token, inputLength, answer) {
  if (answer === FAILED) takeFailure();
  if (answer === FAILED || outputLength(answer) === 0) return undefined;
  const spans = fieldSpans(inputLength, outputLength(answer));
  const texts = [];
  for (let i = 6; i < spans.length; i += 2) texts.push(textAt(spans[i], spans[i + 1]));
  return {
    alg: textAt(spans[0], spans[1]),
    kid: textAt(spans[2], spans[3]),
    signature: bytesAt(spans[4], spans[5]),
    // A token that passed the core's checks is ASCII: characters are bytes.
    signingInput: bytesAt(0, token.lastIndexOf('.')),
    answer,
    outcomes: texts,
  };
}

/** A search's `attributes` and `page`, from its subject, action and resource and the options `{ context?, after?, limit? }`. */
function searchOptions(subject, action, resource, { context, after, limit, ...rest }) {
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalidArgument(`unknown search option \`${unknown[0]}\``);
  const out = { page: {} };
  const attributes = requestAttributes(subject, action, resource, context);
  if (attributes !== undefined) out.attributes = attributes;
  if (after !== undefined) {
    requireString(after, 'after');
    out.page.after = after;
  }
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || limit < 1) throw invalidArgument('limit must be a positive integer');
    out.page.limit = limit;
  }
  return out;
}

/** `{ type, id }` without its properties, as requests name a resource. */
const key = ({ type, id }) => ({ type, id });

/**
 * Answers permission questions from one tenant's verified policy snapshot, and
 * validates tokens. Build one with `Authorizer.load`.
 */
export class Authorizer {
  #module;
  #info;
  #onDecision;
  #webcrypto;
  #clock;

  /** @private use Authorizer.load */
  constructor(token, options) {
    if (token !== CONSTRUCTING) throw invalidArgument('use Authorizer.load(snapshotBytes, options)');
    if (options.onDecision !== undefined && typeof options.onDecision !== 'function') {
      throw invalidArgument('`onDecision` must be a function');
    }
    this.#onDecision = options.onDecision;
    this.#clock = clockOf(options);
    this.#module = call(() => new WasmAuthorizer(moduleOptions(options)));
    this.#webcrypto = new WebCryptoKeys(options.tokenKeys);
  }

  /**
   * Verifies a signed snapshot against `options.snapshotKeys` (and decrypts it with
   * `options.decryptionKey` when it is encrypted) and returns an authorizer for it.
   */
  static load(snapshotBytes, options = {}) {
    const authz = new Authorizer(CONSTRUCTING, options);
    authz.replace(snapshotBytes, options);
    return authz;
  }

  /**
   * Swaps in a newer snapshot atomically. A snapshot with an older revision, another
   * tenant, a bad signature or any defect throws, and the current one stays in force.
   */
  replace(snapshotBytes, options) {
    const bytes = bytesOf(snapshotBytes);
    const now = seconds(options, this.#clock);
    this.#info = JSON.parse(call(() => this.#module.load(bytes, now)));
    return this.info;
  }

  /**
   * The time a decision is made at, for the module to judge the snapshot's expiry
   * by: the clock, read only when the snapshot expires (0 otherwise, which the
   * module ignores then).
   */
  #now() {
    return this.#info.expires_at == null ? 0 : seconds(undefined, this.#clock);
  }

  /** The snapshot's revision. */
  get revision() {
    return this.#info.revision;
  }

  /** The tenant's name: for `tessera serve`'s snapshots the client key, for its subject snapshots the tenant's public id. */
  get tenant() {
    return this.#info.tenant;
  }

  /** What is in force: tenant, revision, issued_at, expires_at, signed_by, encrypted_with, subject, users, roles. */
  get info() {
    return { ...this.#info };
  }

  #emit(user, permission, answer, resource) {
    const event = {
      user,
      permission,
      allowed: answer.allowed,
      reason: answer.reason,
      role: answer.role,
      revision: this.#info.revision,
      time: Date.now(),
    };
    if (resource !== undefined) {
      event.resource = `${resource.type}:${resource.id}`;
      event.on = answer.on;
      event.rule = answer.rule;
    }
    this.#onDecision(event);
  }

  /**
   * Whether `user` holds `permission`; with a `resource`, whether `user` may do the
   * action `permission` on it. Arguments as `check`.
   */
  can(user, permission, resource, context) {
    if (this.#onDecision !== undefined || context !== undefined || typeof user !== 'string' || typeof permission !== 'string') {
      return this.check(user, permission, resource, context).allowed;
    }
    const userLength = putString(user, 0);
    const permissionLength = putString(permission, userLength);
    if (resource === undefined) return allowedOf(hot(this.#module.can(userLength, permissionLength, this.#now())));
    if (typeof resource !== 'string') return this.check(user, permission, resource).allowed;
    // `type:id`, answered without decoding the reason's fields.
    const { type, id } = resourceOf(resource);
    const typeLength = putString(type, userLength + permissionLength);
    const idLength = putString(id, userLength + permissionLength + typeLength);
    return allowedOf(hot(this.#module.evaluate(userLength, permissionLength, typeLength, idLength, this.#now())));
  }

  /**
   * The decision with its reason. Tenant-wide, `check(user, permission)`:
   * `{ allowed, reason, role?, pattern? }`. On a resource,
   * `check(subject, action, resource, context?)` in AuthZEN's shapes: the subject a
   * user id or `{ id, properties }`, the action a name or `{ name, properties }`, the
   * resource `'type:id'` or `{ type, id, properties }`, and the context an object;
   * rule conditions read them as `subject.x`, `action.x`, `resource.x`, `context.x`.
   * Answers `{ allowed, reason, role?, pattern?, on?, rule? }`.
   */
  check(user, permission, resource, context) {
    const subject = subjectOf(user);
    const action = actionOf(permission, 'permission');
    if (resource !== undefined) {
      const target = resourceOf(resource);
      return this.#evaluate(subject.id, action.name, target, requestAttributes(subject, action, target, context));
    }
    if (requestAttributes(subject, action, undefined, context) !== undefined) {
      throw invalidArgument('properties and a context need a resource');
    }
    const userLength = putString(subject.id, 0);
    const permissionLength = putString(action.name, userLength);
    const answer = decisionOf(hot(this.#module.check(userLength, permissionLength, this.#now())), userLength + permissionLength);
    if (this.#onDecision !== undefined) this.#emit(subject.id, action.name, answer);
    return answer;
  }

  #evaluate(user, action, resource, attributes) {
    let answer;
    if (attributes === undefined) {
      const userLength = putString(user, 0);
      const actionLength = putString(action, userLength);
      const typeLength = putString(resource.type, userLength + actionLength);
      const idLength = putString(resource.id, userLength + actionLength + typeLength);
      const inputLength = userLength + actionLength + typeLength + idLength;
      answer = resourceDecisionOf(
        hot(this.#module.evaluate(userLength, actionLength, typeLength, idLength, this.#now())),
        inputLength,
      );
    } else {
      const request = JSON.stringify({ subject: user, action, resource: key(resource), attributes });
      answer = JSON.parse(call(() => this.#module.evaluate_json(request, this.#now())));
    }
    if (this.#onDecision !== undefined) this.#emit(user, action, answer, resource);
    return answer;
  }

  /**
   * The edge PDP's way in (authzen.js): a question in the core's JSON (a check
   * request for 'evaluate', a search request for 'search'), its answer in the
   * core's JSON; a failure throws a TesseraError. Decisions are reported to
   * `onDecision` as every check's are.
   */
  [ANSWER](question, json) {
    if (question === 'search') return call(() => this.#module.search(json, this.#now()));
    const answer = call(() => this.#module.evaluate_json(json, this.#now()));
    if (this.#onDecision !== undefined) {
      const { subject, action, resource } = JSON.parse(json);
      this.#emit(subject, action, JSON.parse(answer), resource);
    }
    return answer;
  }

  /**
   * One of the searches, as the core reads it:
   * `{ search: 'actions' | 'resources' | 'subjects', subject?, action?, resource?, type?, attributes?, page? }`.
   * Answers `{ items, next? }`: sorted, one page (`page: { after?, limit? }`, default 100).
   */
  search(request) {
    if (request === null || typeof request !== 'object') throw invalidArgument('a search request must be an object');
    return JSON.parse(call(() => this.#module.search(JSON.stringify(request), this.#now())));
  }

  /** The declared actions of `resource`'s type that `user` may do on it. Options: `{ context?, after?, limit? }`. */
  actions(user, resource, options = {}) {
    const subject = subjectOf(user);
    const target = resourceOf(resource);
    return this.search({ search: 'actions', subject: subject.id, resource: key(target), ...searchOptions(subject, undefined, target, options) });
  }

  /** The ids of stored resources of `type` that `user` may do `action` on. Options as `actions`. */
  resources(user, action, type, options = {}) {
    const subject = subjectOf(user);
    const act = actionOf(action);
    requireString(type, 'type');
    return this.search({ search: 'resources', subject: subject.id, action: act.name, type, ...searchOptions(subject, act, undefined, options) });
  }

  /** The users who may do `action` on `resource` (each with its own attributes). Options as `actions`. */
  subjects(action, resource, options = {}) {
    const act = actionOf(action);
    const target = resourceOf(resource);
    return this.search({ search: 'subjects', action: act.name, resource: key(target), ...searchOptions(undefined, act, target, options) });
  }

  /** One boolean per permission, in order. */
  checkMany(user, permissions) {
    requireString(user, 'user');
    if (!Array.isArray(permissions)) throw invalidArgument('permissions must be an array of strings');
    for (const p of permissions) requireString(p, 'each permission');
    if (this.#onDecision !== undefined) return permissions.map((p) => this.check(user, p).allowed);
    const userLength = putString(user, 0);
    const listLength = putList(permissions, userLength);
    hot(this.#module.check_many(userLength, listLength, this.#now()));
    const at = userLength + listLength;
    const out = new Array(permissions.length);
    for (let i = 0; i < out.length; i++) out[i] = byteAt(at + i) === 1;
    return out;
  }

  /** Whether `role` is among `user`'s roles or their ancestors. */
  hasRole(user, role) {
    requireString(user, 'user');
    requireString(role, 'role');
    return call(() => this.#module.has_role(user, role, this.#now()));
  }

  /** A list query: `value` checked to be a string, the module's array returned. */
  #list(what, value, ask) {
    requireString(value, what);
    return call(() => ask(this.#module, this.#now()));
  }

  /** Direct roles of `user`, sorted (empty for an unknown user). */
  userRoles(user) {
    return this.#list('user', user, (module, now) => module.user_roles(user, now));
  }

  /** Effective grant patterns of `user`, sorted. */
  userPermissions(user) {
    return this.#list('user', user, (module, now) => module.user_permissions(user, now));
  }

  /** Effective grant patterns of `role` and its ancestors, sorted. */
  rolePermissions(role) {
    return this.#list('role', role, (module, now) => module.role_permissions(role, now));
  }

  /** Direct members of `role`, sorted. */
  roleMembers(role) {
    return this.#list('role', role, (module, now) => module.role_members(role, now));
  }

  /** Roles that allow `permission`, sorted. */
  whichRolesCan(permission) {
    return this.#list('permission', permission, (module, now) => module.which_roles_can(permission, now));
  }

  /** Users allowed `permission`, sorted. */
  whichUsersCan(permission) {
    return this.#list('permission', permission, (module, now) => module.which_users_can(permission, now));
  }

  /** Every role, sorted. */
  roles() {
    return call(() => this.#module.roles(this.#now()));
  }

  /** Validates a JWT against `tokenKeys` and the options; returns its claims or throws. */
  verify(token, options) {
    requireString(token, 'token');
    const now = seconds(options, this.#clock);
    return JSON.parse(call(() => this.#module.verify(token, now)));
  }

  /**
   * Validates a JWT and decides `permission` for its subject:
   * `{ allowed, reason, subject?, role?, pattern? }`. A refused token is a deny whose
   * reason is the token error's code, not an exception.
   */
  authorize(token, permission, options) {
    requireString(token, 'token');
    requireString(permission, 'permission');
    const now = seconds(options, this.#clock);
    const tokenLength = putString(token, 0);
    const permissionLength = putString(permission, tokenLength);
    const answer = hot(this.#module.authorize(tokenLength, permissionLength, now, this.#now()));
    const at = tokenLength + permissionLength;
    const out = authorizationOf(allowedOf(answer), readTexts(at, outputLength(answer)));
    if (this.#onDecision !== undefined) this.#emit(out.subject, permission, out);
    return out;
  }

  /**
   * `verify` with the signature of a public-key token (ES256, EdDSA, RS256, PS256)
   * checked by the runtime's WebCrypto: the same answers, faster where WebCrypto is
   * native. One call into wasm gives the outcome for either verdict; HMAC tokens, and
   * runtimes without the algorithm, take the wasm path.
   */
  async verifyAsync(token, options) {
    requireString(token, 'token');
    const now = seconds(options, this.#clock);
    const tokenLength = putString(token, 0);
    reserveOutput(tokenLength, webcryptoRoom(tokenLength));
    const signed = signedParts(token, tokenLength, this.#module.verify_webcrypto(tokenLength, now));
    if (signed === undefined) return this.verify(token, { now });
    const valid = await this.#webcrypto.verify(signed.alg, signed.kid, signed.signingInput, signed.signature);
    if (valid === undefined) return this.verify(token, { now });
    const text = signed.outcomes[valid ? 0 : 1];
    if (!verdictFor(signed.answer, !valid)) throw translate(text);
    return JSON.parse(text);
  }

  /**
   * `authorize` with the signature checked by WebCrypto, as `verifyAsync`. The core
   * decides for either verdict in one call into wasm; WebCrypto's verdict picks the
   * answer (the core's bad-signature refusal when the signature does not verify).
   */
  async authorizeAsync(token, permission, options) {
    requireString(token, 'token');
    requireString(permission, 'permission');
    const now = seconds(options, this.#clock);
    const tokenLength = putString(token, 0);
    const permissionLength = putString(permission, tokenLength);
    reserveOutput(tokenLength + permissionLength, webcryptoRoom(tokenLength));
    const answer = this.#module.authorize_webcrypto(tokenLength, permissionLength, now, this.#now());
    const signed = signedParts(token, tokenLength + permissionLength, answer);
    if (signed === undefined) return this.authorize(token, permission, { now });
    const valid = await this.#webcrypto.verify(signed.alg, signed.kid, signed.signingInput, signed.signature);
    if (valid === undefined) return this.authorize(token, permission, { now });
    const fields = valid ? signed.outcomes.slice(0, 4) : signed.outcomes.slice(4, 8);
    const out = authorizationOf(verdictFor(signed.answer, !valid), fields);
    if (this.#onDecision !== undefined) this.#emit(out.subject, permission, out);
    return out;
  }
}
