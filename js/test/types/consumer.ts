// Compiled by test/types.test.mjs with `tsc --noEmit --strict`: the declarations
// describe the API as the tests use it, and reject misuse.
import { Authorizer, SnapshotPoller, TesseraError, guard, loadPublicKeyAlgorithms, requirePermission, sanitize } from 'tessera-authz';
import type { Authorization, Decision, DecisionEvent, Found, SnapshotInfo } from 'tessera-authz';
import { authzenHandler } from 'tessera-authz/authzen';

declare const bytes: Uint8Array;
const events: DecisionEvent[] = [];
const authz: Authorizer = Authorizer.load(bytes, {
  snapshotKeys: [{ kty: 'OKP', crv: 'Ed25519', x: '...' }],
  tokenKeys: { keys: [] },
  issuer: 'https://issuer',
  audience: ['api'],
  leewaySeconds: 30,
  onDecision: (event) => events.push(event),
  clock: () => Date.now() / 1000,
});
const allowed: boolean = authz.can('alice', 'posts:read');
const decision: Decision = authz.check('alice', 'posts:read');
const reason:
  | 'granted'
  | 'denied'
  | 'unknown_user'
  | 'no_matching_grant'
  | 'user_not_key_backed'
  | 'permitted'
  | 'forbidden' = decision.reason;
const onResource: Decision = authz.check('alice', 'edit', 'document:42', { mfa: true });
const shaped: Decision = authz.check(
  { id: 'alice', properties: { department: 'Legal' } },
  { name: 'edit', properties: { reason: 'typo' } },
  { type: 'document', id: '42', properties: { owner: 'alice', tags: ['q3'] } },
);
const where: string | undefined = onResource.on ?? onResource.rule;
const mayEdit: boolean = authz.can('alice', 'edit', { type: 'document', id: '42' });
const page: Found = authz.resources('alice', 'edit', 'document', { limit: 50, after: '41', context: { mfa: true } });
const who: string[] = authz.subjects('edit', 'document:42').items.concat(authz.actions('alice', 'document:42').items);
const same: Found = authz.search({ search: 'resources', subject: 'alice', action: 'edit', type: 'document' });
const many: boolean[] = authz.checkMany('alice', ['a', 'b']);
const roles: string[] = authz.userRoles('alice').concat(authz.roles(), authz.whichUsersCan('x'));
const info: SnapshotInfo = authz.replace(bytes);
const revision: number = authz.revision + info.revision;
const answer: Authorization = authz.authorize('token', 'posts:read', { now: 1 });
const later: Promise<Authorization> = authz.authorizeAsync('token', 'posts:read');
const claims: Record<string, unknown> = authz.verify('token');
sanitize.identifier('role', 'admin');
const escaped: string = sanitize.escape('<b>', { maxLength: 10 }) + sanitize.strip('x');
const findings = sanitize.inspect('x').map((f) => `${f.kind}@${f.offset}`);
const loader = new SnapshotPoller('https://x/api/snapshot', { snapshotKeys: [], intervalMs: 1000, onError: (e) => e.message });
const ready: Promise<Authorizer> = loader.ready;
const edge: (request: Request) => Response | undefined = guard(loader, 'posts:read');
const node = requirePermission(() => authz, 'posts:read');
try {
  authz.can('al ice', 'x');
} catch (e) {
  if (e instanceof TesseraError) console.log(e.code, e.violation);
}
// @ts-expect-error: the constructor is private; use Authorizer.load
new Authorizer();
// @ts-expect-error: permissions are a list
authz.checkMany('alice', 'posts:read');
// @ts-expect-error: attribute values are strings, integers, booleans or lists of strings
authz.check('alice', 'edit', { type: 'document', id: '42', properties: { owner: { name: 'alice' } } });
// @ts-expect-error: unknown option names are refused at compile time too
Authorizer.load(bytes, { snapshotKey: {} });
export { allowed, reason, shaped, where, mayEdit, page, who, same, many, roles, revision, answer, later, claims, escaped, findings, ready, edge, node };

// The public-key module: awaited once in a browser before ES256, RS256 or PS256 keys.
const loaded: Promise<void> = loadPublicKeyAlgorithms();
void loaded;

// The AuthZEN handler: a fetch-style PDP over any authorizer source.
const pdp: (request: Request) => Promise<Response> = authzenHandler(authz, {
  baseUrl: 'https://pdp.example.com',
  authenticate: async (request) => request.headers.get('authorization') === 'Bearer gateway',
});
const fromPoller = authzenHandler(loader);
// @ts-expect-error: `authenticate` answers whether the caller may ask
authzenHandler(authz, { authenticate: (request: Request) => request.url });
void pdp;
void fromPoller;
// @ts-expect-error: the clock is a function returning seconds
Authorizer.load(bytes, { clock: 1_900_000_000 });
