// Types of tessera-authz. One API in every runtime (Node ESM and CJS, browsers,
// Deno, Cloudflare workerd).

/** A public JWK (an object or its JSON text). */
export type Jwk = Record<string, unknown> | string;

/** Options of `Authorizer.load`. */
export interface AuthorizerOptions {
  /** Ed25519 public JWKs allowed to sign snapshots (`tessera keys public`). */
  snapshotKeys?: Jwk | Jwk[];
  /**
   * Token verification keys: a JWKS (`{ keys: [...] }`, e.g. `tessera serve`'s /.well-known/jwks.json).
   * ES256, RS256 and PS256 keys use the public-key module: in a browser, `await loadPublicKeyAlgorithms()` first.
   */
  tokenKeys?: { keys: Record<string, unknown>[] } | string;
  /** Accepted `iss` value(s); when set, `iss` is required. */
  issuer?: string | string[];
  /** Accepted `aud` value(s); when set, `aud` is required. */
  audience?: string | string[];
  /** Clock skew tolerated on exp/nbf/iat, in seconds (default 60). */
  leewaySeconds?: number;
  /** Longest accepted token in bytes (default 8192). */
  maxTokenLength?: number;
  /** Oldest accepted token by `iat`, in seconds (then `iat` is required). */
  maxAgeSeconds?: number;
  /** Claims that must be present beyond `exp` and `sub`. */
  requiredClaims?: string[];
  /** Whether `sub` is required (default true). */
  requireSubject?: boolean;
  /** The one accepted `typ` (default: absent, `JWT` or `at+jwt`). */
  expectedType?: string;
  /** For encrypted snapshots: the data key as standard base64 of 32 bytes (AUTH_ENCRYPTION_KEY's form). */
  decryptionKey?: string;
  /** Largest snapshot accepted, in bytes (default 64 MiB). */
  maxSnapshotBytes?: number;
  /** Called with every decision, for decision logs. If it throws, the call throws and no decision is returned. */
  onDecision?: (event: DecisionEvent) => void;
  /** Time of the first load, in seconds since the Unix epoch (default: the clock). */
  now?: number;
  /**
   * The authorizer's clock, in seconds since the Unix epoch (default: the system's).
   * Decisions read it when the snapshot expires: past its `expires_at` every decision
   * and query throws `ERR_SNAPSHOT_EXPIRED` until a fresh snapshot replaces it. Also
   * the default `now` of `replace`, `verify` and `authorize`.
   */
  clock?: () => number;
}

/** Why a check came out the way it did. */
export type Reason =
  | 'granted'
  | 'denied'
  | 'unknown_user'
  | 'no_matching_grant'
  | 'user_not_key_backed'
  | 'permitted'
  | 'forbidden';

/**
 * The answer of `check`. `role` and `pattern` name the grant or deny that decided,
 * `on` the resource (`type:id`) the role is held on (absent when held tenant-wide),
 * `rule` the rule that decided (`permitted`, `forbidden`).
 */
export interface Decision {
  allowed: boolean;
  reason: Reason;
  role?: string;
  pattern?: string;
  on?: string;
  rule?: string;
}

/** An attribute value: a string, an integer, a boolean or a list of strings. */
export type AttributeValue = string | number | boolean | string[];

/** Attributes by name: rule conditions read them (`subject.department`, `context.mfa`). */
export type Attributes = Record<string, AttributeValue>;

/** A subject: a user id, or AuthZEN's `{ id, properties }`. */
export type Subject = string | { id: string; properties?: Attributes };

/** An action: its name, or AuthZEN's `{ name, properties }`. */
export type Action = string | { name: string; properties?: Attributes };

/**
 * A resource: `'type:id'` (split at the first colon) or AuthZEN's
 * `{ type, id, properties }`. Stored attributes win: properties only fill names the
 * snapshot does not hold for it.
 */
export type Resource = string | { type: string; id: string; properties?: Attributes };

/** The attributes a search request brings, as the core reads them (what `search` takes). */
export interface RequestAttributes {
  subject?: Attributes;
  resource?: Attributes;
  action?: Attributes;
  context?: Attributes;
}

/** Options of the searches: the context, and the page (`after` the previous page's `next`; `limit` at least 1, default 100). */
export interface SearchOptions {
  context?: Attributes;
  after?: string;
  limit?: number;
}

/** One page of a search: items sorted; `next`, when more follow, is the `after` of the next page. */
export interface Found {
  items: string[];
  next?: string;
}

/** A search as one object (what `actions`, `resources` and `subjects` send). */
export type SearchRequest =
  | { search: 'actions'; subject: string; resource: { type: string; id: string }; attributes?: RequestAttributes; page?: { after?: string; limit?: number } }
  | { search: 'resources'; subject: string; action: string; type: string; attributes?: RequestAttributes; page?: { after?: string; limit?: number } }
  | { search: 'subjects'; action: string; resource: { type: string; id: string }; attributes?: RequestAttributes; page?: { after?: string; limit?: number } };

/**
 * The answer of `authorize`. `reason` is a decision reason, `outside_token_scope`,
 * or the code of the token error (`ERR_TOKEN_EXPIRED`, ...) when the token was refused.
 */
export interface Authorization {
  allowed: boolean;
  reason: Reason | 'outside_token_scope' | TesseraErrorCode;
  subject?: string;
  role?: string;
  pattern?: string;
}

/**
 * What `onDecision` receives. `time` is milliseconds since the Unix epoch. For a
 * check on a resource, `permission` is the action and `resource` the `type:id`.
 */
export interface DecisionEvent {
  user: string | undefined;
  permission: string;
  allowed: boolean;
  reason: string;
  role?: string;
  resource?: string;
  on?: string;
  rule?: string;
  revision: number;
  time: number;
}

/** What is in force. */
export interface SnapshotInfo {
  tenant: string;
  revision: number;
  issued_at: number;
  expires_at: number | null;
  signed_by: string;
  encrypted_with: string | null;
  /** The one user a subject-scoped snapshot answers for (any other: ERR_SNAPSHOT_SUBJECT); null for a tenant's. */
  subject: string | null;
  users: number;
  roles: number;
}

/**
 * `now`: seconds since the Unix epoch (default: the authorizer's clock). It judges the
 * token; the snapshot's expiry is judged by the clock, which a past `now` cannot undo.
 */
export interface ClockOptions {
  now?: number;
}

/** Snapshot bytes. Node's Buffer is a Uint8Array. */
export type Bytes = Uint8Array | ArrayBuffer;

export declare class Authorizer {
  private constructor();
  /** Verifies a signed (optionally encrypted) snapshot and returns an authorizer over it. */
  static load(snapshotBytes: Bytes, options?: AuthorizerOptions): Authorizer;
  /** Atomic hot swap; a rollback, other tenant, bad signature or malformed snapshot throws and changes nothing. */
  replace(snapshotBytes: Bytes, options?: ClockOptions): SnapshotInfo;
  readonly revision: number;
  readonly tenant: string;
  readonly info: SnapshotInfo;
  /** Whether `user` holds `permission` (tenant-wide), or may do the action `permission` on `resource`. */
  can(user: Subject, permission: Action, resource?: Resource, context?: Attributes): boolean;
  /** The decision with its reason: tenant-wide, or on `resource` given the subject's, action's and resource's properties and the context. */
  check(user: Subject, permission: Action, resource?: Resource, context?: Attributes): Decision;
  /** The declared actions of `resource`'s type that `user` may do on it. */
  actions(user: Subject, resource: Resource, options?: SearchOptions): Found;
  /** The ids of stored resources of `type` that `user` may do `action` on. */
  resources(user: Subject, action: Action, type: string, options?: SearchOptions): Found;
  /** The users who may do `action` on `resource`, each with its own attributes. */
  subjects(action: Action, resource: Resource, options?: SearchOptions): Found;
  /** Any of the three searches, as one object. */
  search(request: SearchRequest): Found;
  checkMany(user: string, permissions: string[]): boolean[];
  hasRole(user: string, role: string): boolean;
  userRoles(user: string): string[];
  userPermissions(user: string): string[];
  rolePermissions(role: string): string[];
  roleMembers(role: string): string[];
  whichRolesCan(permission: string): string[];
  whichUsersCan(permission: string): string[];
  roles(): string[];
  /** Validates a JWT and returns its claims; throws a TesseraError (ERR_TOKEN_*) when refused. */
  verify(token: string, options?: ClockOptions): Record<string, unknown>;
  /** Validates a JWT and decides `permission` for its subject. */
  authorize(token: string, permission: string, options?: ClockOptions): Authorization;
  /** `verify`, with a public-key signature (ES256, EdDSA, RS256, PS256) checked by WebCrypto; same answers. */
  verifyAsync(token: string, options?: ClockOptions): Promise<Record<string, unknown>>;
  /** `authorize`, with a public-key signature checked by WebCrypto; same answers. */
  authorizeAsync(token: string, permission: string, options?: ClockOptions): Promise<Authorization>;
}

export interface SnapshotPollerOptions extends AuthorizerOptions {
  /** Poll interval in milliseconds (default 30000; 0: only `refresh()`). */
  intervalMs?: number;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof globalThis.fetch;
  /**
   * Request headers, e.g. `{ authorization: 'Bearer <client key>' }` for `tessera serve`'s
   * `/api/snapshot`; or a function returning them (or a promise of them), asked before each
   * download: `() => ({ authorization: \`Bearer ${session.accessToken}\` })` for
   * `/api/snapshot/subject` in a signed-in page.
   */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Called after a new snapshot went into force. */
  onUpdate?: (info: SnapshotInfo) => void;
  /** Called when a download or a snapshot failed; the last good snapshot stays. */
  onError?: (error: Error) => void;
}

export declare class SnapshotPoller {
  constructor(url: string | URL, options?: SnapshotPollerOptions);
  /** Resolves with the Authorizer once the first snapshot is in force. */
  readonly ready: Promise<Authorizer>;
  /** The Authorizer (undefined until the first snapshot loads). */
  readonly authorizer: Authorizer | undefined;
  /** Downloads now; resolves true when a new snapshot went into force. Never rejects. */
  refresh(): Promise<boolean>;
  stop(): void;
}

/**
 * Every code a TesseraError can carry (docs/ERRORS.md says when each is raised).
 * The test suite checks this list against the codes the core, the wasm module and
 * this package can produce, so a new code cannot go untyped.
 */
export type TesseraErrorCode =
  | 'ERR_FETCH'
  | 'ERR_INTERNAL'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_IDENTIFIER'
  | 'ERR_KEY_ALGORITHM_UNAVAILABLE'
  | 'ERR_KEY_DUPLICATE_KID'
  | 'ERR_KEY_INVALID_ENCRYPTION_KEY'
  | 'ERR_KEY_INVALID_JWK'
  | 'ERR_KEY_RANDOMNESS'
  | 'ERR_KEY_UNSUPPORTED_ALGORITHM'
  | 'ERR_KEY_WEAK_SECRET'
  | 'ERR_NOT_LOADED'
  | 'ERR_OPTIONS'
  | 'ERR_POLICY_CONDITION'
  | 'ERR_POLICY_CYCLE'
  | 'ERR_POLICY_DOCUMENT'
  | 'ERR_POLICY_DUPLICATE'
  | 'ERR_POLICY_INDEX_OUT_OF_RANGE'
  | 'ERR_POLICY_INVALID_DESCRIPTION'
  | 'ERR_POLICY_NOT_CANONICAL'
  | 'ERR_POLICY_UNKNOWN_PARENT'
  | 'ERR_POLICY_UNKNOWN_ROLE'
  | 'ERR_POLICY_UNKNOWN_TYPE'
  | 'ERR_POLICY_UNDECLARED_ACTION'
  | 'ERR_POLICY_UNKNOWN_RESOURCE'
  | 'ERR_POLICY_UNKNOWN_GROUP'
  | 'ERR_POLICY_TOO_DEEP'
  | 'ERR_SNAPSHOT_BAD_SIGNATURE'
  | 'ERR_SNAPSHOT_DECRYPTION_FAILED'
  | 'ERR_SNAPSHOT_EXPIRED'
  | 'ERR_SNAPSHOT_INVALID_POLICY'
  | 'ERR_SNAPSHOT_MALFORMED'
  | 'ERR_SNAPSHOT_OVERSIZED'
  | 'ERR_SNAPSHOT_ROLLBACK'
  | 'ERR_SNAPSHOT_SUBJECT'
  | 'ERR_SNAPSHOT_TENANT_MISMATCH'
  | 'ERR_SNAPSHOT_TRUNCATED'
  | 'ERR_SNAPSHOT_UNKNOWN_DECRYPTION_KEY'
  | 'ERR_SNAPSHOT_UNKNOWN_KEY_ID'
  | 'ERR_SNAPSHOT_UNSUPPORTED_VERSION'
  | 'ERR_TOKEN_ALG_MISMATCH'
  | 'ERR_TOKEN_ALG_NOT_ALLOWED'
  | 'ERR_TOKEN_AMBIGUOUS_KEY'
  | 'ERR_TOKEN_BAD_SIGNATURE'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_ISSUED_IN_FUTURE'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_MISSING_CLAIM'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_TOKEN_TOO_OLD'
  | 'ERR_TOKEN_UNKNOWN_CRIT'
  | 'ERR_TOKEN_UNKNOWN_KID'
  | 'ERR_TOKEN_WRONG_AUDIENCE'
  | 'ERR_TOKEN_WRONG_ISSUER'
  | 'ERR_TOKEN_WRONG_TYP';

export declare class TesseraError extends Error {
  readonly name: 'TesseraError';
  /** Stable code, e.g. ERR_INVALID_IDENTIFIER, ERR_SNAPSHOT_ROLLBACK, ERR_TOKEN_EXPIRED. */
  readonly code: TesseraErrorCode;
  /** For ERR_INVALID_IDENTIFIER: empty, forbidden_char, too_long, misplaced_wildcard or not_uuid4. */
  readonly violation?: string;
}

export type IdentifierKind =
  | 'role' | 'user' | 'permission' | 'pattern' | 'client_key' | 'api_key_label' | 'resource_type' | 'action' | 'resource_id'
  | 'group' | 'rule_id' | 'attribute';
export type FindingKind =
  | 'dangerous_tag' | 'event_handler' | 'script_url' | 'sql_injection' | 'path_traversal' | 'nul_byte' | 'sensitive_path';
export interface Finding {
  kind: FindingKind;
  /** Byte offset in the UTF-8 text. */
  offset: number;
}
export interface SanitizeOptions {
  /** Truncate the output to this many UTF-8 bytes, on a character boundary. */
  maxLength?: number;
}

export declare const sanitize: {
  /** Throws a TesseraError (ERR_INVALID_IDENTIFIER with `violation`) unless `value` follows the rule. */
  identifier(kind: IdentifierKind, value: string): void;
  escape(text: string, options?: SanitizeOptions): string;
  strip(text: string, options?: SanitizeOptions): string;
  inspect(text: string): Finding[];
};

/** Where guards get the authorizer: itself, a SnapshotPoller, or a function returning one. */
export type AuthorizerSource = Authorizer | SnapshotPoller | (() => Authorizer | undefined);

/** Node `http` / Express middleware: 401 for a bad token, 403 for a denied permission. */
export declare function requirePermission(
  source: AuthorizerSource,
  permission: string | ((req: any) => string),
  options?: ClockOptions,
): (req: any, res: any, next: () => unknown) => unknown;

/**
 * Loads the public-key module (P-256 and RSA for ES256, RS256 and PS256 token keys).
 * In a browser, await it before giving an authorizer such keys (until then they are
 * refused with ERR_KEY_ALGORITHM_UNAVAILABLE); elsewhere the module loads on first
 * use and this resolves at once.
 */
export declare function loadPublicKeyAlgorithms(): Promise<void>;

/** Fetch-style guard: a 401/403 Response to return, or undefined to go on. */
export declare function guard(
  source: AuthorizerSource,
  permission: string | ((request: Request) => string),
  options?: ClockOptions,
): (request: Request) => Response | undefined;
