//! `GET /api/snapshot`: the tenant's signed snapshot, for clients that decide
//! locally (browsers, edge functions, Node). The entity tag names the revision, so a
//! poll with `If-None-Match` costs a 304 until something changes.
//! `GET /.well-known/tessera-snapshot-keys.json`: the public keys those snapshots
//! verify with (`snapshotKeys` of the npm package).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::gate::ClientKey;
use crate::reply::ApiError;

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
    let matches =
        headers.get_all(IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
            |tag| {
                let tag = tag.trim();
                tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == view.etag
            },
        );
    // Private: the snapshot is one tenant's, fetched with its bearer key.
    let cache = HeaderValue::from_static("private, no-cache");
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag), (CACHE_CONTROL, cache)]).into_response());
    }
    let headers = [
        (ETAG, etag),
        (CACHE_CONTROL, cache),
        (CONTENT_TYPE, HeaderValue::from_static("application/vnd.tessera.snapshot")),
        (axum::http::HeaderName::from_static("x-tessera-revision"), revision),
    ];
    Ok((headers, view.snapshot.to_vec()).into_response())
}

/// The Ed25519 public keys the server's snapshots are signed with (`{"keys": [...]}`).
/// Public, like a JWKS: clients should pin what they fetch once, not trust a key
/// from the same channel as every snapshot.
pub(crate) async fn keys(State(app): State<Arc<App>>) -> Response {
    ([(CACHE_CONTROL, "public, max-age=300")], axum::Json(app.snapshot_jwks.clone())).into_response()
}
