// The WebCrypto path for public-key tokens (ES256, EdDSA, RS256, PS256): the core
// applies every rule and picks the key, the runtime's native crypto checks the
// signature (much faster than the same math compiled to wasm), then the core
// validates the claims and decides. HMAC stays on the synchronous path.

const ALGORITHMS = {
  ES256: { key: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' }, fields: ['kty', 'crv', 'x', 'y'] },
  EdDSA: { key: { name: 'Ed25519' }, verify: { name: 'Ed25519' }, fields: ['kty', 'crv', 'x'] },
  RS256: { key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' }, fields: ['kty', 'n', 'e'] },
  PS256: { key: { name: 'RSA-PSS', hash: 'SHA-256' }, verify: { name: 'RSA-PSS', saltLength: 32 }, fields: ['kty', 'n', 'e'] },
};

/** WebCrypto's verdict; a signature it cannot even parse is a bad signature, as on the wasm path. */
function check(alg, key, signingInput, signature) {
  return globalThis.crypto.subtle.verify(ALGORITHMS[alg].verify, key, signature, signingInput).catch(() => false);
}

/** CryptoKeys made from the `tokenKeys` JWKS, one per kid, imported on first use. */
export class WebCryptoKeys {
  #jwks = new Map();
  /** kid → Promise of a CryptoKey or null, while importing. */
  #keys = new Map();
  /** kid → CryptoKey once imported: no await per call. */
  #ready = new Map();

  constructor(tokenKeys) {
    const set = typeof tokenKeys === 'string' ? JSON.parse(tokenKeys) : tokenKeys;
    for (const jwk of set?.keys ?? []) if (typeof jwk.kid === 'string') this.#jwks.set(jwk.kid, jwk);
  }

  /**
   * The CryptoKey for `kid` under `alg`, or null when this runtime cannot make one.
   * Cached by kid alone: the core binds each kid to exactly one algorithm.
   */
  #key(alg, kid) {
    let key = this.#keys.get(kid);
    if (key === undefined) {
      const spec = ALGORITHMS[alg];
      const jwk = this.#jwks.get(kid);
      const subtle = globalThis.crypto?.subtle;
      if (spec === undefined || jwk === undefined || subtle === undefined) return Promise.resolve(null);
      // Only the key material: `alg`/`use` spellings differ between runtimes, and the
      // core has already bound the key to its algorithm.
      const material = Object.fromEntries(spec.fields.filter((f) => jwk[f] !== undefined).map((f) => [f, jwk[f]]));
      key = subtle.importKey('jwk', material, spec.key, false, ['verify']).then(
        (imported) => {
          this.#ready.set(kid, imported);
          return imported;
        },
        () => null,
      );
      this.#keys.set(kid, key);
    }
    return key;
  }

  /**
   * Whether `signature` over `signingInput` (both bytes) verifies with `kid`'s key
   * under `alg` (a promise), or undefined when the runtime cannot check it (the caller
   * then takes the wasm path). Not an async function: with the key at hand, the
   * promise is WebCrypto's own, without another one around it.
   */
  verify(alg, kid, signingInput, signature) {
    const key = this.#ready.get(kid);
    if (key !== undefined) return check(alg, key, signingInput, signature);
    return this.#key(alg, kid).then((imported) => (imported === null ? undefined : check(alg, imported, signingInput, signature)));
  }
}
