//! JSON Web Tokens: validation (RFC 7519, with the RFC 8725 best practices), key
//! sets, `authorize(token, permission)`, and signing for the host's token endpoint.
//!
//! The signature algorithms come from jwt-compact (HMAC, ES256), ed25519-dalek
//! (EdDSA, strict verification) and the `rsa` crate (RS256, PS256; verification only,
//! on every target, without the getrandom 0.2 that jwt-compact's `rsa` feature pulls).
//! ES256, RS256 and PS256 sit behind [`PublicKeyCrypto`] (feature `public-key-crypto`),
//! so a face may bring them from elsewhere. Parsing is ours and stricter than jwt-compact's:
//! exactly three unpadded base64url segments, JSON objects without duplicate member
//! names at any depth, `alg` matched case-sensitively, `crit` refused, keys in the
//! header (`jwk`, `jku`, `x5u`, `x5c`) never used.
//!
//! Error codes (`TokenError::code`), shared with the JS package and the HTTP API:
//!
//! | code | when |
//! |---|---|
//! | `ERR_TOKEN_MALFORMED` | not three base64url segments; header or claims not a JSON object, or with a duplicate name; a claim of the wrong type; `exp`, `nbf`, `iat` not an i64 second count |
//! | `ERR_TOKEN_TOO_LARGE` | longer than `max_token_length` (default 8192 bytes) |
//! | `ERR_TOKEN_ALG_NOT_ALLOWED` | `alg` is not HS256, HS384, HS512, ES256, EdDSA, RS256 or PS256 (`none` included, in any case) |
//! | `ERR_TOKEN_ALG_MISMATCH` | the key chosen is bound to another algorithm, or no key is bound to the token's |
//! | `ERR_TOKEN_UNKNOWN_KID` | no key has the token's `kid` |
//! | `ERR_TOKEN_AMBIGUOUS_KEY` | no `kid` and several keys bound to the algorithm |
//! | `ERR_TOKEN_BAD_SIGNATURE` | the signature does not verify (wrong, truncated, empty, DER-encoded ES256) |
//! | `ERR_TOKEN_EXPIRED` | `now - leeway >= exp` |
//! | `ERR_TOKEN_NOT_YET_VALID` | `now + leeway < nbf` |
//! | `ERR_TOKEN_ISSUED_IN_FUTURE` | `iat > now + leeway` |
//! | `ERR_TOKEN_TOO_OLD` | `now - iat > max_age + leeway` |
//! | `ERR_TOKEN_WRONG_ISSUER` | `iss` not among the accepted issuers |
//! | `ERR_TOKEN_WRONG_AUDIENCE` | no `aud` value among the accepted audiences |
//! | `ERR_TOKEN_MISSING_CLAIM` | `exp` (always), `sub` (by default), `iss`/`aud` (when configured), `iat` (with a max age) or a configured claim is absent |
//! | `ERR_TOKEN_UNKNOWN_CRIT` | the header has `crit` (a non-empty array of names; any other `crit` is malformed) |
//! | `ERR_TOKEN_WRONG_TYP` | `typ` is not absent, `JWT` or `at+jwt` (or not the configured type) |

pub(crate) mod authorize;
mod claims;
mod error;
mod issue;
mod json;
mod keys;
mod options;
mod public_key;
pub(crate) mod verify;

#[cfg(test)]
mod tests;

pub use authorize::{Authorization, authorize};
pub use claims::Claims;
pub use error::TokenError;
pub use issue::{IssuedToken, TokenRequest, TokenSigner};
pub use keys::{JwtAlgorithm, KeySet, TokenKey};
pub use options::ValidationOptions;
#[cfg(feature = "public-key-crypto")]
pub use public_key::NativePublicKeys;
pub use public_key::{PublicKey, PublicKeyCrypto};
pub use verify::verify;
