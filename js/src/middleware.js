// Route guards: read the bearer token, require a permission, answer 401/403 with a
// JSON body carrying the code. One decision function, two request shapes.

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/** The authorizer now: an Authorizer, a SnapshotLoader, or a function returning one. */
function current(source) {
  const authz = typeof source === 'function' ? source() : (source.authorizer ?? source);
  return authz;
}

function bearer(header) {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Decides one request: `{ status: 200, answer }` or a refusal `{ status, body, headers }`.
 * A missing or refused token is 401 (with WWW-Authenticate), a denied permission 403,
 * no snapshot yet 503.
 */
function decide(source, permission, header, options) {
  const authz = current(source);
  if (authz === undefined || typeof authz.authorize !== 'function') {
    return refusal(503, { error: 'ERR_NOT_LOADED', message: 'no snapshot is loaded yet' });
  }
  const token = bearer(header);
  if (token === undefined) {
    return refusal(401, { error: 'ERR_TOKEN_MISSING', message: 'a bearer token is required' }, 'invalid_request');
  }
  const answer = authz.authorize(token, permission, options);
  if (answer.allowed) return { status: 200, answer };
  if (answer.reason.startsWith('ERR_')) {
    return refusal(401, { error: answer.reason, message: 'the token was refused' }, 'invalid_token');
  }
  return refusal(403, { error: 'ERR_PERMISSION_DENIED', reason: answer.reason, permission });
}

function refusal(status, body, bearerError) {
  const headers = { ...JSON_HEADERS };
  if (bearerError !== undefined) headers['www-authenticate'] = `Bearer error="${bearerError}"`;
  return { status, body: JSON.stringify(body), headers };
}

function permissionOf(permission, request) {
  return typeof permission === 'function' ? permission(request) : permission;
}

/**
 * Node `http` / Express middleware `(req, res, next)`: calls `next()` when the bearer
 * token's subject holds `permission` (a string, or a function of the request), with
 * `req.tessera = { subject, permission, reason, role }`; otherwise answers 401/403.
 */
export function requirePermission(source, permission, options) {
  return function tesseraGuard(req, res, next) {
    const wanted = permissionOf(permission, req);
    const result = decide(source, wanted, req.headers?.authorization, options);
    if (result.status === 200) {
      const { subject, reason, role } = result.answer;
      req.tessera = { subject, permission: wanted, reason, role };
      return next();
    }
    res.writeHead(result.status, result.headers);
    res.end(result.body);
  };
}

/**
 * Fetch-style guard for edge runtimes: `(request) => Response | undefined`. Returns a
 * 401/403 Response to send back, or undefined when the request may go on.
 */
export function guard(source, permission, options) {
  return function tesseraGuard(request) {
    const wanted = permissionOf(permission, request);
    const result = decide(source, wanted, request.headers.get('authorization'), options);
    if (result.status === 200) return undefined;
    return new Response(result.body, { status: result.status, headers: result.headers });
  };
}
