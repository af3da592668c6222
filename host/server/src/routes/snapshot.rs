//! `GET /api/snapshot`: the tenant's signed snapshot, for clients that decide
//! locally (browsers, edge functions, Node). The entity tag names the revision, so a
//! poll with `If-None-Match` costs a 304 until something changes.
//! `GET /api/snapshot/subject`: the signed-in user's own slice of it, for a
//! browser (the user's access token, never the client key; short-lived).
//! `GET /.well-known/tessera-snapshot-keys.json`: the public keys those snapshots
//! verify with (`snapshotKeys` of the npm package).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera_store::{Entry, StoreError};

use super::Caller;
use crate::app::App;
use crate::gate::{ClientKey, SignedIn};
use crate::reply::ApiError;

/// Whether `If-None-Match` names `etag` (weak or strong, or `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |tag| {
            let tag = tag.trim();
            tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag
        },
    )
}

const SNAPSHOT_TYPE: &str = "application/vnd.tessera.snapshot";

pub(crate) async fn snapshot(
    State(app): State<Arc<App>>,
    ClientKey(key): ClientKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(tenant) = app.tenant(&key).await? else {
        return Err(ApiError::not_found("No policy for this client key yet: it has no roles."));
    };
    let view = tenant.view();
    let etag = HeaderValue::from_str(&view.etag).map_err(|e| ApiError::internal("ERR_INTERNAL", &e))?;
    let revision = HeaderValue::from(view.revision);
    // Private: the snapshot is one tenant's, fetched with its bearer key.
    let cache = HeaderValue::from_static("private, no-cache");
    if matches(&headers, &view.etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag), (CACHE_CONTROL, cache)]).into_response());
    }
    let headers = [
        (ETAG, etag),
        (CACHE_CONTROL, cache),
        (CONTENT_TYPE, HeaderValue::from_static(SNAPSHOT_TYPE)),
        (axum::http::HeaderName::from_static("x-tessera-revision"), revision),
    ];
    Ok((headers, view.snapshot.to_vec()).into_response())
}

/// A store failure for a signed-in user. A tenant gone since their token was issued
/// (its key rotated, or deleted) asks them to sign in again.
fn subject_failure(error: StoreError) -> ApiError {
    match error {
        StoreError::UnknownTenant(_) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "ERR_UNAUTHORIZED",
            "The access token's tenant no longer exists.",
        ),
        other => ApiError::from(other),
    }
}

/// The signed-in user's snapshot: only what their own decisions read, bound to them,
/// expiring `AUTH_SUBJECT_SNAPSHOT_TTL` seconds after its window opened. Each one
/// issued (not a `304`) is audited as `snapshot.subject`.
pub(crate) async fn subject(
    State(app): State<Arc<App>>,
    signed_in: SignedIn,
    Caller(actor): Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let SignedIn { digest, user, token_id } = signed_in;
    let ttl = app.settings.subject_snapshot_ttl;
    let built = {
        let (app, digest, user) = (Arc::clone(&app), digest.clone(), user.clone());
        tokio::task::spawn_blocking(move || app.tenants.subject_snapshot(&digest, &user, ttl)).await?
    };
    let built = built.map_err(subject_failure)?;
    let etag = HeaderValue::from_str(&built.etag).map_err(|e| ApiError::internal("ERR_INTERNAL", &e))?;
    // Private and per user: no shared cache may keep it, and a browser revalidates.
    let cache = HeaderValue::from_static("private, no-cache");
    let vary = HeaderValue::from_static("authorization");
    if matches(&headers, &built.etag) {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(ETAG, etag), (CACHE_CONTROL, cache), (VARY, vary)]).into_response()
        );
    }
    let details = json!({
        "revision": built.revision, "expires_at": built.expires_at, "bytes": built.bytes.len(), "token_id": token_id,
    });
    let entry = Entry::new("snapshot.subject", "user", user, details);
    let store = Arc::clone(&app.store);
    tokio::task::spawn_blocking(move || {
        let tenant = store.tenant_id_of_digest(&digest)?;
        store.record_all(&[(tenant, Some(actor), entry)])
    })
    .await?
    .map_err(subject_failure)?;
    let headers = [
        (ETAG, etag),
        (CACHE_CONTROL, cache),
        (VARY, vary),
        (CONTENT_TYPE, HeaderValue::from_static(SNAPSHOT_TYPE)),
        (axum::http::HeaderName::from_static("x-tessera-revision"), HeaderValue::from(built.revision)),
    ];
    Ok((headers, built.bytes.clone()).into_response())
}

/// The Ed25519 public keys the server's snapshots are signed with (`{"keys": [...]}`).
/// Public, like a JWKS: clients should pin what they fetch once, not trust a key
/// from the same channel as every snapshot.
pub(crate) async fn keys(State(app): State<Arc<App>>) -> Response {
    ([(CACHE_CONTROL, "public, max-age=300")], axum::Json(app.snapshot_jwks.clone())).into_response()
}
