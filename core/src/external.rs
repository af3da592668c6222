//! Tokens whose signature a face checks with the platform's own crypto (WebCrypto,
//! where it is faster than this code compiled to wasm). This is the one door past the
//! core's signature check, so it is kept apart, as rustls keeps its `dangerous()`:
//! [`prepare_external`] applies every rule before the signature and says what to check
//! it with; the face's [`SignatureVerdict`] on exactly that signature is the one thing
//! trusted; [`ExternalSignature::claims`] and [`ExternalSignature::authorize`] then
//! apply every rule after it, as [`verify_token`](crate::verify_token) and
//! [`authorize`](crate::authorize) do.
//!
//! A face that must wait for its crypto may ask with [`SignatureVerdict::Valid`]
//! before the verdict arrives, and release that answer only once it has it.

use alloc::vec::Vec;

use crate::authz::Authorizer;
use crate::error::QueryError;
use crate::jwt::authorize::decide;
use crate::jwt::verify::{claims_of, prepare};
use crate::jwt::{Authorization, Claims, JwtAlgorithm, KeySet, TokenError, ValidationOptions};

/// The face's verdict on a token's signature, checked with the algorithm and the key
/// [`ExternalSignature`] named, over its signing input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureVerdict {
    /// The signature verifies.
    Valid,
    /// It does not: the token is refused as the core refuses a bad signature.
    Invalid,
}

/// What a face needs to check a token's signature itself: the algorithm and the id
/// of the key the core selected, the signed bytes and the signature; and the rest of
/// the token, not yet trusted, for the steps after the verdict. Its `Debug` shows the
/// algorithm and the key id only: the rest is the bearer token itself.
pub struct ExternalSignature<'t, 'k> {
    /// The algorithm the header names and the key is bound to.
    pub algorithm: JwtAlgorithm,
    /// The selected key's id.
    pub kid: &'k str,
    /// `header.payload`, the signed bytes.
    pub signing_input: &'t str,
    /// The decoded signature (for ES256 the 64-byte `r || s`).
    pub signature: Vec<u8>,
    /// The decoded claims segment, not yet trusted.
    payload: Vec<u8>,
}

impl core::fmt::Debug for ExternalSignature<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExternalSignature")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Every rule before the signature, for a face that checks signatures itself, and
/// what to check it with. Nothing here is trusted yet.
pub fn prepare_external<'t, 'k>(
    token: &'t str,
    keys: &'k KeySet,
    options: &ValidationOptions,
) -> Result<ExternalSignature<'t, 'k>, TokenError> {
    let (parts, key) = prepare(token, keys, options)?;
    Ok(ExternalSignature {
        algorithm: key.algorithm(),
        kid: key.kid(),
        signing_input: parts.signing_input,
        signature: parts.signature,
        payload: parts.payload,
    })
}

impl ExternalSignature<'_, '_> {
    /// The token's claims given the verdict on its signature: for
    /// [`SignatureVerdict::Invalid`], [`TokenError::BadSignature`] before any claim is
    /// read, as [`verify_token`](crate::verify_token) does.
    pub fn claims(
        &self,
        options: &ValidationOptions,
        now: i64,
        verdict: SignatureVerdict,
    ) -> Result<Claims, TokenError> {
        match verdict {
            SignatureVerdict::Valid => claims_of(&self.payload, options, now),
            SignatureVerdict::Invalid => Err(TokenError::BadSignature),
        }
    }

    /// [`authorize`](crate::authorize) for this token given the verdict on its
    /// signature. An invalid `permission` is the caller's error, as there.
    pub fn authorize<'a>(
        &self,
        authz: &'a Authorizer,
        options: &ValidationOptions,
        permission: &str,
        now: i64,
        verdict: SignatureVerdict,
    ) -> Result<Authorization<'a>, QueryError> {
        decide(authz, permission, || self.claims(options, now, verdict))
    }
}
