//! The `/api/*` gate, as Auth has it: `Authorization: Bearer <client key>`, where the
//! client key (a UUID4) names the tenant. A missing or malformed header is 401 (the
//! scheme is case-insensitive), a key that is not a UUID4 is 400, and the key is
//! lowercased, so `3F6B…` and `3f6b…` are one tenant. Nothing is read or written for
//! a request that fails here, so unauthenticated requests leave no audit row.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::reply::ApiError;

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

/// The client key of an `Authorization` header value.
pub(crate) fn client_key(header: Option<&[u8]>) -> Result<ClientKey, ApiError> {
    let unauthorized = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "ERR_UNAUTHORIZED", message);
    let header = header.ok_or_else(|| unauthorized("Authorization header is missing."))?;
    let text = std::str::from_utf8(header).unwrap_or_default();
    let mut parts = text.split_whitespace();
    let (Some(scheme), Some(key), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(unauthorized("Invalid Authorization header format. Must be 'Bearer <token>'."));
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized("Invalid Authorization header format. Must be 'Bearer <token>'."));
    }
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
