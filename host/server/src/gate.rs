//! The `/api/*` gate, as Auth has it: `Authorization: Bearer <client key>`, where the
//! client key (a UUID4) names the tenant. A missing or malformed header is 401 (the
//! scheme is case-insensitive), a key that is not a UUID4 is 400, and the key is
//! lowercased, so `3F6B…` and `3f6b…` are one tenant. Nothing is read or written for
//! a request that fails here, so unauthenticated requests leave no audit row.
//!
//! The one route a browser calls as its user (`GET /api/snapshot/subject`) is gated
//! by [`SignedIn`] instead: the user's own access token, which names its tenant by
//! the key's digest, so the page never holds the client key.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use base64ct::{Base64UrlUnpadded, Encoding};
use tessera_core::{IdentifierKind, validate_identifier};

use super::app::App;
use super::reply::ApiError;
use tessera_store::TENANT_AUDIENCE_PREFIX;

/// The tenant a request acts in (canonical lowercase client key).
#[derive(Clone, Debug)]
pub(crate) struct ClientKey(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(key) = parts.extensions.get::<ClientKey>() {
            return Ok(key.clone());
        }
        let key = client_key(parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes()))?;
        parts.extensions.insert(key.clone());
        Ok(key)
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "ERR_UNAUTHORIZED", message)
}

/// The credential of an `Authorization: Bearer <credential>` header value.
fn bearer(header: Option<&[u8]>) -> Result<&str, ApiError> {
    let header = header.ok_or_else(|| unauthorized("Authorization header is missing."))?;
    let text = std::str::from_utf8(header).unwrap_or_default();
    let mut parts = text.split_whitespace();
    let (Some(scheme), Some(credential), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(unauthorized("Invalid Authorization header format. Must be 'Bearer <token>'."));
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized("Invalid Authorization header format. Must be 'Bearer <token>'."));
    }
    Ok(credential)
}

/// The client key of an `Authorization` header value.
pub(crate) fn client_key(header: Option<&[u8]>) -> Result<ClientKey, ApiError> {
    let key = bearer(header)?;
    if !is_uuid4(key) {
        return Err(ApiError::bad_request(
            "ERR_INVALID_CLIENT_KEY",
            "Invalid client key. Must be a valid UUID4.",
        ));
    }
    Ok(ClientKey(key.to_ascii_lowercase()))
}

/// The hyphenated form only (as Auth's pattern), with version 4 and the RFC variant.
pub(crate) fn is_uuid4(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
        && bytes[14] == b'4'
        && matches!(bytes[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
}

/// A user signed in to a tenant: `Authorization: Bearer <access token>` from
/// `POST /api/token`, verified as `/api/authorize` would (signature, issuer, the
/// tenant's audience, `typ` `at+jwt`, expiry) and not revoked.
pub(crate) struct SignedIn {
    /// The tenant's key digest, from the token's audience.
    pub(crate) digest: String,
    /// The user (`sub`).
    pub(crate) user: String,
    /// The token's id (`jti`), which audit entries name.
    pub(crate) token_id: String,
}

/// 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1): the
/// page should sign in again.
fn invalid_token(message: &str) -> ApiError {
    let error = unauthorized(message);
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, axum::http::HeaderValue::from_static(r#"Bearer error="invalid_token""#));
    ApiError::prebuilt(response)
}

/// The claims of a token whose signature is not checked yet (or was checked
/// already): only to choose how to verify it, or to read what a verified one says.
pub(crate) fn unverified_claims(token: &str) -> Option<serde_json::Value> {
    let payload = Base64UrlUnpadded::decode_vec(token.split('.').nth(1)?).ok()?;
    serde_json::from_slice(&payload).ok()
}

/// The tenant digest an access token's audience names, read before the signature is
/// checked only to choose the audience it is then verified against.
fn audience_digest(token: &str) -> Option<String> {
    let claims = unverified_claims(token)?;
    let audiences = match claims.get("aud")? {
        serde_json::Value::String(one) => vec![one.as_str()],
        serde_json::Value::Array(many) => many.iter().filter_map(serde_json::Value::as_str).collect(),
        _ => return None,
    };
    audiences
        .into_iter()
        .filter_map(|aud| aud.strip_prefix(TENANT_AUDIENCE_PREFIX))
        .find(|digest| digest.len() == 64 && digest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .map(str::to_owned)
}

impl FromRequestParts<Arc<App>> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let token = bearer(parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes()))?;
        let digest = audience_digest(token).ok_or_else(|| {
            invalid_token("The access token names no tenant audience (urn:tessera:tenant:...).")
        })?;
        let claims = app.verify_tenant_token(token, &digest, Some("at+jwt")).map_err(|e| {
            app.metrics.token_failure(e.code());
            invalid_token(&format!("The access token is not valid ({}).", e.code()))
        })?;
        let (Some(user), Some(jti)) = (claims.subject, claims.token_id) else {
            return Err(invalid_token("The access token lacks sub or jti."));
        };
        if validate_identifier(IdentifierKind::User, &user).is_err() {
            return Err(invalid_token("The access token's subject is not a valid user."));
        }
        let (store, token_id) = (Arc::clone(&app.store), jti.clone());
        if tokio::task::spawn_blocking(move || store.access_revoked(&jti)).await?? {
            app.metrics.token_failure("ERR_TOKEN_REVOKED");
            return Err(invalid_token("The access token is revoked."));
        }
        Ok(Self { digest, user, token_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

    #[test]
    fn the_gate_answers_as_auth_does() {
        let status =
            |header: Option<&str>| client_key(header.map(str::as_bytes)).map(|k| k.0).map_err(|e| e.status());
        assert_eq!(status(Some(&format!("Bearer {KEY}"))), Ok(KEY.into()));
        assert_eq!(status(Some(&format!("bEaReR  {}", KEY.to_uppercase()))), Ok(KEY.into()));
        assert_eq!(status(None), Err(StatusCode::UNAUTHORIZED));
        assert_eq!(status(Some(KEY)), Err(StatusCode::UNAUTHORIZED));
        assert_eq!(status(Some(&format!("Basic {KEY}"))), Err(StatusCode::UNAUTHORIZED));
        assert_eq!(status(Some(&format!("Bearer {KEY} extra"))), Err(StatusCode::UNAUTHORIZED));
        assert_eq!(status(Some("Bearer not-a-uuid")), Err(StatusCode::BAD_REQUEST));
        // Version 1, and the braced form: not what Auth's clients send.
        assert_eq!(status(Some("Bearer 0b5e7f2a-8c1d-1e3f-9a6b-2c4d6e8f0a1b")), Err(StatusCode::BAD_REQUEST));
        assert_eq!(status(Some(&format!("Bearer {{{KEY}}}"))), Err(StatusCode::BAD_REQUEST));
    }
}
