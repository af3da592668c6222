//! Response bodies in Auth's shapes: the `APIResponse` envelope
//! (`{success, code, message, data, timestamp}`), the bare `{"result": ...}` some of its
//! routes answer with, and one error type every handler returns, which never carries
//! internals to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use tessera_core::PolicyError;

use crate::time::{naive_iso, now_micros};
use tessera_runtime::GuestError;
use tessera_store::StoreError;

fn timestamp() -> String {
    let (secs, micros) = now_micros();
    naive_iso(secs, micros)
}

/// Auth's success envelope with status 200.
pub(crate) fn success(data: impl Serialize, message: impl Into<String>) -> Response {
    let body = json!({
        "success": true, "code": 200, "message": message.into(), "data": data, "timestamp": timestamp(),
    });
    Json(body).into_response()
}

/// Auth's bare `{"result": ...}` answer.
pub(crate) fn result(value: impl Serialize) -> Response {
    Json(json!({ "result": value })).into_response()
}

/// A refused or failed request: the status, a stable `ERR_*` code and a message meant
/// for the caller. Server faults carry a generic message; the detail goes to the log.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Value,
    /// A response already made (with headers of its own, such as Retry-After).
    prebuilt: Option<Box<Response>>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: json!({}), prebuilt: None }
    }

    /// Carries a finished response through `?`.
    pub(crate) fn prebuilt(response: Response) -> Self {
        Self {
            prebuilt: Some(Box::new(response)),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "ERR_INTERNAL", "")
        }
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ERR_NOT_FOUND", message)
    }

    /// A fault of ours: logged in full, answered with nothing but its code.
    pub(crate) fn internal(code: &'static str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(code, detail = %detail, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, code, "An internal error occurred")
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

/// The code of an error answer, for layers that record refusals without reading the
/// body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ErrorCode(pub(crate) &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(response) = self.prebuilt {
            return *response;
        }
        let body = json!({
            "success": false, "code": self.status.as_u16(), "message": self.message,
            "error": self.code, "details": self.details, "timestamp": timestamp(),
        });
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let code = error.code();
        match &error {
            // A well-formed request naming a role that is not there (a parent, a
            // membership's role) is a missing thing, as Auth answers a missing role.
            StoreError::Policy(PolicyError::UnknownParent { .. } | PolicyError::UnknownRole { .. }) => {
                Self::new(StatusCode::NOT_FOUND, code, error.to_string())
            }
            StoreError::Policy(_) | StoreError::Invalid(_) | StoreError::InvalidClientKey(_) => {
                Self::bad_request(code, error.to_string())
            }
            StoreError::NotFound { .. } | StoreError::UnknownTenant(_) => {
                Self::new(StatusCode::NOT_FOUND, code, error.to_string())
            }
            StoreError::Exists { .. } | StoreError::Constraint(_) | StoreError::InUse { .. } => {
                Self::new(StatusCode::CONFLICT, code, error.to_string())
            }
            StoreError::Unavailable(_) => {
                tracing::error!(code, detail = %error, "database unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, code, "The database is unavailable")
            }
            _ => Self::internal(code, &error),
        }
    }
}

impl From<GuestError> for ApiError {
    fn from(error: GuestError) -> Self {
        let code = error.code();
        if let Some(refused) = tessera_core::refusal(code) {
            return Self::new(StatusCode::BAD_REQUEST, refused, error.to_string());
        }
        if code == "ERR_AUDIT_UNAVAILABLE" {
            tracing::warn!(code, error = %error, "a decision was withheld: its audit record was not written");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ERR_AUDIT_UNAVAILABLE",
                "The decision's audit record could not be written, so no decision was made; try again",
            );
        }
        if let Some(unavailable) = tessera_core::unavailable(code) {
            return Self::new(StatusCode::SERVICE_UNAVAILABLE, unavailable, error.to_string());
        }
        Self::internal("ERR_ENGINE", &format_args!("{code}: {error}"))
    }
}

/// A task that ran the blocking store or engine work and panicked or was cancelled.
impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::internal("ERR_INTERNAL", &error)
    }
}
