// AuthZEN 1.0 at the edge: a fetch-style handler answering the API's routes from
// an Authorizer, so a worker, a Deno server or a Node service is a policy decision
// point without a database. The core reads the requests and writes the answers
// (tessera_core::authzen, in the module dist/tessera-authzen.wasm, which holds no
// engine); each question it asks comes back here and goes to the Authorizer, whose
// module decides. This file keeps only HTTP: methods, media type, statuses,
// `X-Request-ID`.
//
// The module's calling convention is wasm/authzen/src/lib.rs's: inputs back to back
// in its buffer, lengths as arguments, an HTTP status back and the answer at its
// output; a question arrives through the import `tessera.ask`, whose reply goes in
// the module's reply buffer. Nothing here throws into the module: an exception
// would unwind through its frames and leave its buffers borrowed.
import { ANSWER } from './answer.js';
import { current } from './middleware.js';

const EVALUATE = 0;
const ANSWERED = 0;
const FAILED = 1;
/** What the module's `route` says a path is. */
const POST = 1;
const GET = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strict = new TextDecoder('utf-8', { fatal: true });

/** () => a WebAssembly.Module, or a Promise of one; set by the entry point. */
let source;
/** The module's instance, as a Promise, once asked for. */
let instance;
/** The Authorizer answering the request being answered (the module is synchronous). */
let asked;

/** Says how to get the module compiled; called once by the entry point. */
export function authzenModuleFrom(get) {
  source = get;
}

function instantiate() {
  if (instance === undefined) {
    instance = Promise.resolve()
      .then(() => source())
      .then((module) => new WebAssembly.Instance(module, { tessera: { ask } }).exports);
    // A failed load may be retried by the next request.
    instance.catch(() => {
      instance = undefined;
    });
  }
  return instance;
}

/** Writes `bytes` into the module's reply buffer; false when it has no room. */
function reply(module, bytes) {
  const address = module.reply(bytes.length);
  if (address === 0) return false;
  new Uint8Array(module.memory.buffer, address, bytes.length).set(bytes);
  return true;
}

const OUT_OF_MEMORY = '{"code":"ERR_INTERNAL","message":"the AuthZEN module has no memory left"}';

/** What a failure reports to the module: its code and message, if it has them as strings. */
function reported(error) {
  try {
    const code = typeof error?.code === 'string' ? error.code : 'ERR_INTERNAL';
    const message = typeof error?.message === 'string' ? error.message : 'the authorizer failed';
    return JSON.stringify({ code, message });
  } catch {
    // Whatever was thrown, and however it misbehaves when read.
    return '{"code":"ERR_INTERNAL","message":"the authorizer failed"}';
  }
}

/**
 * The import `tessera.ask`: puts the module's question to the Authorizer. It never
 * throws: an exception would unwind through the module's frames and leave it
 * unusable.
 */
function ask(question, address, length) {
  const module = exportsNow;
  let said = ANSWERED;
  let answer;
  try {
    const json = decoder.decode(new Uint8Array(module.memory.buffer, address, length));
    answer = asked[ANSWER](question === EVALUATE ? 'evaluate' : 'search', json);
    if (typeof answer !== 'string') throw new TypeError('the authorizer answered no JSON text');
  } catch (error) {
    said = FAILED;
    answer = reported(error);
  }
  try {
    if (reply(module, encoder.encode(answer))) return said;
    reply(module, encoder.encode(OUT_OF_MEMORY));
  } catch {
    // Nothing more can be said; the module reads whatever the reply buffer holds
    // as a failure.
  }
  return FAILED;
}

/** The instance `ask` replies to (set for the duration of a call into it). */
let exportsNow;

/** Calls into the module with `inputs` in its buffer: `{ status, text }`. */
function call(module, inputs, run) {
  const fields = inputs.map((input) => (typeof input === 'string' ? encoder.encode(input) : input));
  const total = fields.reduce((sum, field) => sum + field.length, 0);
  const address = module.buffer(total);
  if (address === 0) return { status: 500, text: OUT_OF_MEMORY };
  const memory = new Uint8Array(module.memory.buffer, address, total);
  let at = 0;
  for (const field of fields) {
    memory.set(field, at);
    at += field.length;
  }
  exportsNow = module;
  const status = run(...fields.map((field) => field.length));
  // After the call, which may have grown the memory.
  const text = decoder.decode(new Uint8Array(module.memory.buffer, module.output_address(), module.output_len()));
  return { status, text };
}

const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * Calls into the module; a trap (a bug of the module, or of the glue) answers 500,
 * and the next request gets a fresh instance rather than one left mid-call.
 */
function guarded(module, inputs, run) {
  try {
    return call(module, inputs, run);
  } catch {
    instance = undefined;
    return { status: 500, text: '{"code":"ERR_INTERNAL","message":"an internal error occurred"}' };
  }
}

/** The module's answer: 200 as it is, any other status in the error envelope. */
function answered({ status, text }) {
  if (status === 200) return new Response(text, { status, headers: JSON_TYPE });
  return reportedFailure({ status, text });
}

/** A failure the module reported (`{code, message}`), in the error envelope. */
function reportedFailure({ status, text }) {
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    report = {};
  }
  if (typeof report?.code !== 'string' || typeof report?.message !== 'string') {
    return failure(500, 'ERR_INTERNAL', 'an internal error occurred');
  }
  return failure(status, report.code, report.message);
}

/** An error answer, in the shape `tessera serve` gives. */
function failure(status, code, message, headers = {}) {
  return Response.json({ success: false, code: status, message, error: code }, { status, headers: { ...headers } });
}

/** Whether the request says its body is JSON (parameters such as `charset` allowed). */
function isJson(request) {
  const media = request.headers.get('content-type') ?? '';
  return media.split(';')[0].trim().toLowerCase() === 'application/json';
}

/**
 * A fetch-style handler `(request) => Promise<Response>` answering AuthZEN 1.0 from
 * `source` (an Authorizer, a SnapshotPoller, or a function returning one):
 * `POST /access/v1/evaluation`, `/access/v1/evaluations`, `/access/v1/search/subject`,
 * `/search/resource`, `/search/action`, and `GET /.well-known/authzen-configuration`.
 * Any other path is 404.
 *
 * Options:
 * - `baseUrl`: the PDP's public base URL (scheme and authority) for the discovery
 *   document; by default the request's own origin.
 * - `authenticate(request)`: may the caller ask? `true` (or a Promise of it) admits,
 *   anything else is 401, a throw 500. Without it every caller may: put the handler
 *   where only your gateways reach it.
 */
export function authzenHandler(source, options = {}) {
  const { baseUrl, authenticate } = options;
  if (source === null || (typeof source !== 'object' && typeof source !== 'function')) {
    throw new TypeError('authzenHandler needs an Authorizer, a SnapshotPoller or a function returning one');
  }
  return async function handleAuthzen(request) {
    const response = await answer(request);
    const id = request.headers.get('x-request-id');
    if (id !== null) response.headers.set('x-request-id', id);
    return response;
  };

  async function answer(request) {
    const path = new URL(request.url).pathname;
    let module;
    try {
      module = await instantiate();
    } catch {
      return failure(500, 'ERR_INTERNAL', 'the AuthZEN module could not be loaded');
    }
    const route = guarded(module, [path], module.route);
    if (route.status === 500) return reportedFailure(route);
    if (route.status !== POST && route.status !== GET) return failure(404, 'ERR_NOT_FOUND', `no AuthZEN endpoint at ${path}`);
    const method = route.status === POST ? 'POST' : 'GET';
    if (request.method !== method && !(method === 'GET' && request.method === 'HEAD')) {
      return failure(405, 'ERR_METHOD_NOT_ALLOWED', `${path} takes ${method}`, { allow: method });
    }
    if (authenticate !== undefined) {
      let admitted;
      try {
        admitted = await authenticate(request);
      } catch {
        return failure(500, 'ERR_INTERNAL', 'an internal error occurred');
      }
      if (admitted !== true) {
        return failure(401, 'ERR_UNAUTHORIZED', 'the caller may not ask this PDP', { 'www-authenticate': 'Bearer' });
      }
    }
    if (route.status === GET) {
      const base = (baseUrl ?? new URL(request.url).origin).replace(/\/+$/, '');
      return answered(guarded(module, [base], module.configuration));
    }
    if (!isJson(request)) {
      return failure(400, 'ERR_INVALID_BODY', 'AuthZEN requests are JSON: send `Content-Type: application/json`');
    }
    let body;
    try {
      body = strict.decode(await request.arrayBuffer());
    } catch {
      return failure(400, 'ERR_INVALID_BODY', 'the request body is not UTF-8');
    }
    let authz;
    try {
      authz = current(source);
    } catch {
      return failure(500, 'ERR_INTERNAL', 'an internal error occurred');
    }
    if (authz === undefined || typeof authz?.[ANSWER] !== 'function') {
      return failure(503, 'ERR_NOT_LOADED', 'no snapshot is loaded yet');
    }
    asked = authz;
    try {
      return answered(guarded(module, [path, body], module.answer));
    } finally {
      asked = undefined;
    }
  }
}
