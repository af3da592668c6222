// Authorizer: a verified snapshot in the wasm engine, behind a small typed API.
import { Engine, take_failure as takeFailure } from '../build/raw/tessera.js';
import { bytesOf, invalidArgument, requireString, seconds, translate } from './errors.js';
import { putTwo, readByte, readBytes, readLines, secondLength } from './scratch.js';
import { WebCryptoKeys } from './webcrypto.js';

const REASONS = ['granted', 'denied', 'unknown_user', 'no_matching_grant', 'user_not_key_backed'];
const CONSTRUCTING = Symbol('constructing');

/** A `\n`-joined list from the engine, split (identifiers never hold a `\n`). */
const list = (joined) => (joined === '' ? [] : joined.split('\n'));

const OPTION_NAMES = new Set([
  'snapshotKeys', 'tokenKeys', 'issuer', 'audience', 'leewaySeconds', 'maxTokenLength',
  'maxAgeSeconds', 'requiredClaims', 'requireSubject', 'expectedType', 'decryptionKey',
  'maxSnapshotBytes', 'onDecision', 'now',
]);

/** Refuses an option name `Authorizer.load` does not know (a typo must not weaken a check). */
export function checkOptionNames(options) {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw invalidArgument(`unknown option \`${name}\``);
  }
}

/** Options in the engine's snake_case form. */
function engineOptions(options) {
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

/** What a hot call returns when it failed (wasm/js/src/failure.rs); its failure waits in `takeFailure`. */
const FAILED = 0xffffffff;

/** A hot call's number, or its failure thrown. */
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

/** `authorize`'s answer from its lines `reason`, `subject`, `role`, `pattern`. */
function authorizationOf([reason, subject, role, pattern]) {
  const out = { allowed: reason === 'granted', reason };
  if (subject !== '') out.subject = subject;
  if (role !== '') {
    out.role = role;
    out.pattern = pattern;
  }
  return out;
}

/** Reads `authorize`'s answer: its lines at the start of the scratch buffer. */
const authorizationFrom = (length) => authorizationOf(readLines(0, length));

/**
 * What the WebCrypto steps left after their `inputLength` bytes of input: lines
 * (`ALG`, `KID`, then any answer lines), then the signature; the signed bytes are
 * the token's, up to its last dot, at the buffer's start. Undefined when the step
 * answered 0 (an HMAC token) or failed (a refused token or permission): the
 * synchronous path then gives the answer or throws, with the same code.
 */
function signedParts(token, inputLength, packed) {
  if (packed === FAILED) takeFailure();
  if (packed === 0 || packed === FAILED) return undefined;
  const linesLength = packed & 0xffff;
  const [alg, kid, ...answer] = readLines(inputLength, linesLength);
  return {
    alg,
    kid,
    answer,
    // A token that passed the core's checks is ASCII: characters are bytes.
    signingInput: readBytes(0, token.lastIndexOf('.')),
    signature: readBytes(inputLength + linesLength, packed >>> 16),
  };
}

/** Reads `check`'s answer: the reason, then the lines role and pattern in the scratch buffer. */
function decisionFrom(code) {
  const reason = REASONS[code & 0xff];
  const out = { allowed: reason === 'granted', reason };
  if (reason === 'granted' || reason === 'denied') [out.role, out.pattern] = readLines(0, code >>> 8);
  return out;
}

/**
 * Answers permission questions from one tenant's verified policy snapshot, and
 * validates tokens. Build one with `Authorizer.load`.
 */
export class Authorizer {
  #engine;
  #info;
  #onDecision;
  #webcrypto;

  /** @private use Authorizer.load */
  constructor(token, options) {
    if (token !== CONSTRUCTING) throw invalidArgument('use Authorizer.load(snapshotBytes, options)');
    if (options.onDecision !== undefined && typeof options.onDecision !== 'function') {
      throw invalidArgument('`onDecision` must be a function');
    }
    this.#onDecision = options.onDecision;
    this.#engine = call(() => new Engine(engineOptions(options)));
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
    const now = seconds(options);
    this.#info = JSON.parse(call(() => this.#engine.load(bytes, now)));
    return this.info;
  }

  /** The snapshot's revision. */
  get revision() {
    return this.#info.revision;
  }

  /** The tenant's client key. */
  get tenant() {
    return this.#info.tenant;
  }

  /** What is in force: tenant, revision, issued_at, expires_at, signed_by, encrypted_with, users, roles. */
  get info() {
    return { ...this.#info };
  }

  #emit(user, permission, answer) {
    this.#onDecision({
      user,
      permission,
      allowed: answer.allowed,
      reason: answer.reason,
      role: answer.role,
      revision: this.#info.revision,
      time: Date.now(),
    });
  }

  /** Whether `user` holds `permission`. */
  can(user, permission) {
    if (this.#onDecision !== undefined) return this.check(user, permission).allowed;
    requireString(user, 'user');
    requireString(permission, 'permission');
    const userLength = putTwo(user, permission);
    return hot(this.#engine.can(userLength, secondLength)) === 1;
  }

  /** The decision with its reason: `{ allowed, reason, role?, pattern? }`. */
  check(user, permission) {
    requireString(user, 'user');
    requireString(permission, 'permission');
    const userLength = putTwo(user, permission);
    const answer = decisionFrom(hot(this.#engine.check(userLength, secondLength)));
    if (this.#onDecision !== undefined) this.#emit(user, permission, answer);
    return answer;
  }

  /** One boolean per permission, in order. */
  checkMany(user, permissions) {
    requireString(user, 'user');
    if (!Array.isArray(permissions)) throw invalidArgument('permissions must be an array of strings');
    for (const p of permissions) requireString(p, 'each permission');
    if (this.#onDecision !== undefined) return permissions.map((p) => this.check(user, p).allowed);
    const count = permissions.length;
    const userLength = putTwo(user, permissions.join('\n'));
    hot(this.#engine.check_many(userLength, secondLength, count));
    const out = new Array(count);
    for (let i = 0; i < count; i++) out[i] = readByte(i) === 1;
    return out;
  }

  /** Whether `role` is among `user`'s roles or their ancestors. */
  hasRole(user, role) {
    requireString(user, 'user');
    requireString(role, 'role');
    return call(() => this.#engine.has_role(user, role));
  }

  /** A list query: `value` checked to be a string, the engine's `\n`-joined answer split. */
  #list(what, value, ask) {
    requireString(value, what);
    return list(call(() => ask(this.#engine)));
  }

  /** Direct roles of `user`, sorted (empty for an unknown user). */
  userRoles(user) {
    return this.#list('user', user, (engine) => engine.user_roles(user));
  }

  /** Effective grant patterns of `user`, sorted. */
  userPermissions(user) {
    return this.#list('user', user, (engine) => engine.user_permissions(user));
  }

  /** Effective grant patterns of `role` and its ancestors, sorted. */
  rolePermissions(role) {
    return this.#list('role', role, (engine) => engine.role_permissions(role));
  }

  /** Direct members of `role`, sorted. */
  roleMembers(role) {
    return this.#list('role', role, (engine) => engine.role_members(role));
  }

  /** Roles that allow `permission`, sorted. */
  whichRolesCan(permission) {
    return this.#list('permission', permission, (engine) => engine.which_roles_can(permission));
  }

  /** Users allowed `permission`, sorted. */
  whichUsersCan(permission) {
    return this.#list('permission', permission, (engine) => engine.which_users_can(permission));
  }

  /** Every role, sorted. */
  roles() {
    return list(call(() => this.#engine.roles()));
  }

  /** Validates a JWT against `tokenKeys` and the options; returns its claims or throws. */
  verify(token, options) {
    requireString(token, 'token');
    const now = seconds(options);
    return JSON.parse(call(() => this.#engine.verify(token, now)));
  }

  /**
   * Validates a JWT and decides `permission` for its subject:
   * `{ allowed, reason, subject?, role?, pattern? }`. A refused token is a deny whose
   * reason is the token error's code, not an exception.
   */
  authorize(token, permission, options) {
    requireString(token, 'token');
    requireString(permission, 'permission');
    const now = seconds(options);
    const tokenLength = putTwo(token, permission);
    const answer = authorizationFrom(hot(this.#engine.authorize(tokenLength, secondLength, now)));
    if (this.#onDecision !== undefined) this.#emit(answer.subject, permission, answer);
    return answer;
  }

  /**
   * WebCrypto's verdict on `token`'s signature, with the key the core selected; or
   * undefined when the wasm path should decide (HMAC, a refused header, a runtime
   * without the algorithm), which then reports the same refusal with the same code.
   */
  async #webcryptoVerdict(token) {
    const tokenLength = putTwo(token, '');
    const signed = signedParts(token, tokenLength, this.#engine.external_signature(tokenLength));
    if (signed === undefined) return undefined;
    return this.#webcrypto.verify(signed.alg, signed.kid, signed.signingInput, signed.signature);
  }

  /**
   * `verify` with the signature of a public-key token (ES256, EdDSA, RS256, PS256)
   * checked by the runtime's WebCrypto: the same answers, faster where WebCrypto is
   * native. HMAC tokens, and runtimes without the algorithm, take the wasm path.
   */
  async verifyAsync(token, options) {
    requireString(token, 'token');
    const now = seconds(options);
    const valid = await this.#webcryptoVerdict(token);
    if (valid === undefined) return this.verify(token, { now });
    return JSON.parse(call(() => this.#engine.verify_external(token, now, valid)));
  }

  /**
   * `authorize` with the signature checked by WebCrypto, as `verifyAsync`. The core
   * decides before the verdict (one call into wasm); the answer is released only if
   * the signature verifies, and otherwise is the core's bad-signature refusal.
   */
  async authorizeAsync(token, permission, options) {
    requireString(token, 'token');
    requireString(permission, 'permission');
    const now = seconds(options);
    const tokenLength = putTwo(token, permission);
    const packed = this.#engine.authorize_webcrypto(tokenLength, secondLength, now);
    const signed = signedParts(token, tokenLength + secondLength, packed);
    if (signed === undefined) return this.authorize(token, permission, { now });
    const valid = await this.#webcrypto.verify(signed.alg, signed.kid, signed.signingInput, signed.signature);
    if (valid === undefined) return this.authorize(token, permission, { now });
    let answer;
    if (valid) {
      answer = authorizationOf(signed.answer);
    } else {
      const length = putTwo(token, permission);
      answer = authorizationFrom(hot(this.#engine.authorize_external(length, secondLength, now, false)));
    }
    if (this.#onDecision !== undefined) this.#emit(answer.subject, permission, answer);
    return answer;
  }
}
