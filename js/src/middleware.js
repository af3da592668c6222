// Route guards: read the bearer token, require a permission, answer 401/403 with a
// JSON body carrying the code. One decision function, two request shapes.

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/** The authorizer now: an Authorizer, a SnapshotPoller, or a function returning one. */
export function current(source) {
  return typeof source === 'function' ? source() : (source.authorizer ?? source);
}

function bearer(header) {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * What a request lacks before any token is looked at: a snapshot (503) or a bearer
 * token (401). Otherwise `{ authz, token }`.
 */
function admit(source, header) {
  const authz = current(source);
  if (authz === undefined || typeof authz.authorize !== 'function') {
    return { refused: refusal(503, { error: 'ERR_NOT_LOADED', message: 'no snapshot is loaded yet' }) };
  }
  const token = bearer(header);
  if (token === undefined) {
    return { refused: refusal(401, { error: 'ERR_TOKEN_MISSING', message: 'a bearer token is required' }, 'invalid_request') };
  }
  return { authz, token };
}

/** `{ status: 200, answer }`, or a refusal: 401 for a refused token, 403 for a denied permission. */
function verdict(answer, permission) {
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
 * Public-key tokens are checked through WebCrypto (`authorizeAsync`); a failure that
 * is not a decision (an invalid permission name) goes to `next(error)`.
 */
export function requirePermission(source, permission, options) {
  return function tesseraGuard(req, res, next) {
    const send = ({ status, headers, body }) => {
      res.writeHead(status, headers);
      res.end(body);
    };
    const wanted = permissionOf(permission, req);
    const { refused, authz, token } = admit(source, req.headers?.authorization);
    if (refused) return send(refused);
    // Returned, so a framework that awaits middleware (Express 5) sees it settle.
    return authz.authorizeAsync(token, wanted, options).then((answer) => {
      const result = verdict(answer, wanted);
      if (result.status !== 200) return send(result);
      const { subject, reason, role } = result.answer;
      req.tessera = { subject, permission: wanted, reason, role };
      return next();
    }, next);
  };
}

/**
 * Fetch-style guard for edge runtimes: `(request) => Response | undefined`. Returns a
 * 401/403 Response to send back, or undefined when the request may go on. It decides
 * synchronously, in wasm; for public-key tokens at volume, `authorizeAsync` is faster.
 */
export function guard(source, permission, options) {
  return function tesseraGuard(request) {
    const wanted = permissionOf(permission, request);
    const { refused, authz, token } = admit(source, request.headers.get('authorization'));
    const result = refused ?? verdict(authz.authorize(token, wanted, options), wanted);
    if (result.status === 200) return undefined;
    return new Response(result.body, { status: result.status, headers: result.headers });
  };
}
