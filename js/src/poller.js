// SnapshotPoller: keeps an Authorizer current from a URL (`tessera serve`'s
// GET /api/snapshot, a CDN, any HTTP server), polling with ETag / If-None-Match.
import { Authorizer, checkOptionNames, clockOf } from './authorizer.js';
import { TesseraError, invalidArgument } from './errors.js';

/** The shortest wait between downloads that a snapshot's expiry brings forward. */
const MIN_DELAY_MS = 1000;

/**
 * Polls `url` every `intervalMs` and swaps each new snapshot into one Authorizer.
 * A failed download or a refused snapshot (bad signature, rollback, other tenant)
 * changes nothing: the last good snapshot stays in force and `onError` is told. A
 * snapshot that expires is refreshed ahead of its expiry (sooner than
 * `intervalMs` when need be); past it, the authorizer refuses every decision
 * (`ERR_SNAPSHOT_EXPIRED`) until a fresh snapshot arrives.
 */
export class SnapshotPoller {
  #url;
  #options;
  #fetch;
  #etag;
  #timer;
  #stopped = false;
  /** Downloads in a row that failed or left an expired snapshot in force: retries after expiry back off by them. */
  #failures = 0;
  #authorizer;
  #ready;

  /**
   * @param {string | URL} url
   * @param {object} options Authorizer options plus `intervalMs` (default 30000),
   *   `fetch`, `headers` (an object, or a function returning one or a promise of
   *   one, asked before each download: a signed-in page's current access token),
   *   `onUpdate(info)` and `onError(error)`.
   */
  constructor(url, options = {}) {
    const { intervalMs = 30_000, fetch = globalThis.fetch, headers = {}, onUpdate, onError, ...authz } = options;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) throw invalidArgument('`intervalMs` must be >= 0');
    if (typeof fetch !== 'function') throw invalidArgument('no `fetch`: pass one in the options');
    checkOptionNames(authz);
    this.#url = String(url);
    this.#fetch = fetch;
    // The authorizer's clock (see AuthorizerOptions.clock) times refreshes too.
    const clock = clockOf(authz);
    this.#options = { intervalMs, headers, onUpdate, onError, authz, clock };
    this.#ready = this.refresh().then(() => {
      if (this.#authorizer === undefined) throw new TesseraError('ERR_FETCH', `no snapshot could be loaded from ${this.#url}`);
      return this.#authorizer;
    });
    // A first failure is the caller's to handle through `ready`; keep it from being
    // reported as unhandled when they only use `authorizer` later.
    this.#ready.catch(() => {});
  }

  /** Resolves with the Authorizer once the first snapshot is in force; rejects if it could not be. */
  get ready() {
    return this.#ready;
  }

  /** The Authorizer (undefined until the first snapshot loads). */
  get authorizer() {
    return this.#authorizer;
  }

  /** Downloads now; resolves `true` when a new snapshot went into force. Never rejects. */
  async refresh() {
    clearTimeout(this.#timer);
    let changed = false;
    try {
      changed = await this.#poll();
      // A download that brought nothing in force (the same expired snapshot) counts
      // as a failure for the back-off.
      this.#failures = this.#left() <= 0 ? this.#failures + 1 : 0;
    } catch (error) {
      this.#failures += 1;
      try {
        this.#options.onError?.(error);
      } catch {
        // A throwing onError must not stop the polling.
      }
    }
    this.#schedule();
    return changed;
  }

  /** Stops polling. */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule() {
    // A refresh() called while another is in flight must not leave two timers.
    clearTimeout(this.#timer);
    if (this.#stopped || this.#options.intervalMs === 0) return;
    this.#timer = setTimeout(() => this.refresh(), this.#delay());
    // In Node, polling alone must not keep a process alive.
    this.#timer?.unref?.();
  }

  /**
   * Milliseconds until the snapshot in force expires: Infinity when it does not (or
   * none is in force), NaN when the clock gives no time.
   */
  #left() {
    const expiresAt = this.#authorizer?.info.expires_at;
    if (expiresAt == null) return Infinity;
    try {
      return (expiresAt - this.#options.clock()) * 1000;
    } catch {
      return Number.NaN;
    }
  }

  /**
   * Until the next download: `intervalMs`, or sooner for a snapshot that expires,
   * when between a half and a quarter of the time it has left remains (ahead of its
   * expiry, and spread so that many clients do not ask at once); a retry after a
   * failure comes sooner as expiry nears. Once it expired, retries back off (one
   * second, doubling with each failure, jittered) up to `intervalMs`. Never under a
   * second; `intervalMs` when the clock gives no time.
   */
  #delay() {
    const { intervalMs } = this.#options;
    const left = this.#left();
    if (!Number.isFinite(left)) return intervalMs;
    const jitter = 0.5 + Math.random() * 0.25;
    const wait = left > 0 ? left * jitter : MIN_DELAY_MS * 2 ** Math.min(this.#failures, 20) * (jitter + 0.25);
    return Math.min(intervalMs, Math.max(MIN_DELAY_MS, wait));
  }

  async #poll() {
    const given = this.#options.headers;
    let headers;
    try {
      headers = { ...(typeof given === 'function' ? await given() : given) };
    } catch (cause) {
      throw new TesseraError('ERR_FETCH', `the headers for ${this.#url} could not be had: ${cause?.message ?? cause}`);
    }
    if (this.#etag !== undefined) headers['if-none-match'] = this.#etag;
    let response;
    try {
      // Called unbound: a browser's fetch refuses any `this` but the window's.
      const fetch = this.#fetch;
      response = await fetch(this.#url, { headers });
    } catch (cause) {
      throw new TesseraError('ERR_FETCH', `fetching ${this.#url} failed: ${cause?.message ?? cause}`);
    }
    if (response.status === 304) return false;
    if (!response.ok) throw new TesseraError('ERR_FETCH', `fetching ${this.#url} answered ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const before = this.#authorizer?.info;
    if (this.#authorizer === undefined) {
      this.#authorizer = Authorizer.load(bytes, this.#options.authz);
    } else {
      this.#authorizer.replace(bytes);
    }
    // Only a snapshot that went into force moves the ETag: a refused one is fetched
    // (and refused) again rather than silently skipped.
    this.#etag = response.headers.get('etag') ?? undefined;
    // A subject snapshot comes again at the same revision with a later expiry.
    const { revision, expires_at } = this.#authorizer.info;
    const changed = before?.revision !== revision || before?.expires_at !== expires_at;
    if (changed) this.#options.onUpdate?.(this.#authorizer.info);
    return changed;
  }
}
