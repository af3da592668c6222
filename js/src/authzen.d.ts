// The AuthZEN 1.0 handler: `tessera-authz/authzen`.
import type { AuthorizerSource } from 'tessera-authz';

/** Options of {@link authzenHandler}. */
export interface AuthzenHandlerOptions {
  /**
   * The PDP's public base URL (scheme and authority, e.g. `https://pdp.example.com`)
   * that the discovery document names; by default the request's own origin.
   */
  baseUrl?: string;
  /**
   * Whether the caller may ask (e.g. a gateway's bearer token checked); refused
   * callers get 401. Without it every caller may ask.
   */
  authenticate?: (request: Request) => boolean | Promise<boolean>;
}

/**
 * A fetch-style handler answering AuthZEN 1.0 from an authorizer:
 * `POST /access/v1/evaluation`, `/access/v1/evaluations`,
 * `/access/v1/search/{subject,resource,action}` and
 * `GET /.well-known/authzen-configuration`; any other path is 404. Decisions are the
 * authorizer's (reported to its `onDecision`); errors are
 * `{ success: false, code, message, error }` with `error` the stable code.
 */
export declare function authzenHandler(
  source: AuthorizerSource,
  options?: AuthzenHandlerOptions,
): (request: Request) => Promise<Response>;
