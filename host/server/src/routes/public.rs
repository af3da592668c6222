//! Routes outside the gate: liveness, readiness, metrics, the API description, and
//! the JSON answers for unknown paths and methods.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::App;
use crate::gate::client_key;
use crate::reply::ApiError;

pub(crate) async fn ping() -> Response {
    Json(json!({"message": "PONG"})).into_response()
}

/// Round-trips the database, as Auth's does: 503 when it cannot be reached.
pub(crate) async fn health(State(app): State<Arc<App>>) -> Response {
    match app.blocking(|store| store.schema_version()).await {
        Ok(_) => Json(json!({"status": "healthy"})).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unhealthy"}))).into_response(),
    }
}

/// Ready when the database answers (a load balancer's cue to send traffic).
pub(crate) async fn ready(State(app): State<Arc<App>>) -> Response {
    match app.blocking(|store| store.revisions()).await {
        Ok(tenants) => Json(json!({
            "status": "ready", "tenants": tenants.len(), "uptime_seconds": app.started.elapsed().as_secs(),
        }))
        .into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unready", "reason": "database"})))
            .into_response(),
    }
}

/// Prometheus text format.
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render()).into_response()
}

pub(crate) async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

/// Under `/api` the gate answers first, as on every `/api` route: an anonymous
/// caller learns nothing about which routes exist.
fn gate(request: &Request) -> Result<(), ApiError> {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        client_key(request.headers().get(AUTHORIZATION).map(|v| v.as_bytes()))?;
    }
    Ok(())
}

pub(crate) async fn not_found(request: Request) -> ApiError {
    gate(&request)
        .err()
        .unwrap_or_else(|| ApiError::not_found("No such route; GET /openapi.json lists them."))
}

pub(crate) async fn method_not_allowed(request: Request) -> ApiError {
    gate(&request).err().unwrap_or_else(|| {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "ERR_METHOD_NOT_ALLOWED",
            "This route does not take that method.",
        )
    })
}
