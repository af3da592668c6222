// SnapshotPoller: keeps an Authorizer current from a URL (`tessera serve`'s
// GET /api/snapshot, a CDN, any HTTP server), polling with ETag / If-None-Match.
import { Authorizer, checkOptionNames } from './authorizer.js';
import { TesseraError, invalidArgument } from './errors.js';

/**
 * Polls `url` every `intervalMs` and swaps each new snapshot into one Authorizer.
 * A failed download or a refused snapshot (bad signature, rollback, other tenant)
 * changes nothing: the last good snapshot stays in force and `onError` is told.
 */
export class SnapshotPoller {
  #url;
  #options;
  #fetch;
  #etag;
  #timer;
  #stopped = false;
  #authorizer;
  #ready;

  /**
   * @param {string | URL} url
   * @param {object} options Authorizer options plus `intervalMs` (default 30000),
   *   `fetch`, `headers`, `onUpdate(info)` and `onError(error)`.
   */
  constructor(url, options = {}) {
    const { intervalMs = 30_000, fetch = globalThis.fetch, headers = {}, onUpdate, onError, ...authz } = options;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) throw invalidArgument('`intervalMs` must be >= 0');
    if (typeof fetch !== 'function') throw invalidArgument('no `fetch`: pass one in the options');
    checkOptionNames(authz);
    this.#url = String(url);
    this.#fetch = fetch;
    this.#options = { intervalMs, headers, onUpdate, onError, authz };
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
    } catch (error) {
      this.#options.onError?.(error);
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
    this.#timer = setTimeout(() => this.refresh(), this.#options.intervalMs);
    // In Node, polling alone must not keep a process alive.
    this.#timer?.unref?.();
  }

  async #poll() {
    const headers = { ...this.#options.headers };
    if (this.#etag !== undefined) headers['if-none-match'] = this.#etag;
    let response;
    try {
      response = await this.#fetch(this.#url, { headers });
    } catch (cause) {
      throw new TesseraError('ERR_FETCH', `fetching ${this.#url} failed: ${cause?.message ?? cause}`);
    }
    if (response.status === 304) return false;
    if (!response.ok) throw new TesseraError('ERR_FETCH', `fetching ${this.#url} answered ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const before = this.#authorizer?.revision;
    if (this.#authorizer === undefined) {
      this.#authorizer = Authorizer.load(bytes, this.#options.authz);
    } else {
      this.#authorizer.replace(bytes);
    }
    // Only a snapshot that went into force moves the ETag: a refused one is fetched
    // (and refused) again rather than silently skipped.
    this.#etag = response.headers.get('etag') ?? undefined;
    const changed = before !== this.#authorizer.revision;
    if (changed) this.#options.onUpdate?.(this.#authorizer.info);
    return changed;
  }
}
