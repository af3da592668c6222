//! AuthZEN 1.0: Tessera as a standard policy decision point. `tessera_core::authzen`
//! reads the requests and writes the answers; the decisions and searches are the
//! guest's, from the tenant's snapshot, as for every other check (metrics and
//! decision logs included). The tenant is named as for `/api/*`, by its client key.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, HOST, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde_json::{Value, json};
use tessera_core::authzen::{self, Endpoint, Failure, Request};
use tessera_core::{Authorizer, CheckRequest, ErrorReport, SearchRequest};
use tessera_runtime::{Guest, GuestError};

use super::model::{empty_tenant, refused, utf8};
use crate::app::App;
use crate::gate::ClientKey;
use crate::reply::ApiError;

type AppState = State<Arc<App>>;

/// Where a tenant's questions are answered: its guest, or, for a client key that
/// names no tenant yet, the core over an empty policy. Decisions are counted for
/// `/metrics`, as every check is.
enum TenantEngine<'a> {
    Guest(&'a mut Guest, &'a App),
    Empty(&'a Authorizer, &'a App),
}

/// A failure of the guest: a refusal of the request (`tessera_core::refusal`) keeps
/// its code; any other is the server's.
fn failure(error: GuestError) -> Failure<GuestError> {
    match tessera_core::refusal(error.code()) {
        Some(code) => Failure::Refused(ErrorReport::new(code, error.to_string())),
        None => Failure::Fault(error),
    }
}

impl authzen::Engine for TenantEngine<'_> {
    type Fault = GuestError;

    fn evaluate(&mut self, check: &CheckRequest) -> Result<Value, Failure<GuestError>> {
        let (decision, app) = match self {
            Self::Guest(guest, app) => (guest.evaluate(&check.to_json()).map_err(failure)?, app),
            Self::Empty(authz, app) => {
                let decision = authz.evaluate(&check.query()).map_err(|e| Failure::Refused(e.into()))?;
                (json!(decision), app)
            }
        };
        app.metrics.decision(decision["allowed"] == true);
        Ok(decision)
    }

    fn search(&mut self, search: &SearchRequest) -> Result<Value, Failure<GuestError>> {
        match self {
            Self::Guest(guest, _) => guest.search(&search.to_json()).map_err(failure),
            Self::Empty(authz, _) => {
                authz.search(search).map(|found| json!(found)).map_err(|e| Failure::Refused(e.into()))
            }
        }
    }
}

/// The answer to `body` sent to `endpoint`, from the tenant's engine: a refusal of
/// the request is 400, a server fault its own status.
async fn answered(
    app: &Arc<App>,
    key: &str,
    headers: &HeaderMap,
    bytes: &[u8],
    endpoint: Endpoint,
) -> Result<Response, ApiError> {
    // Read before the tenant's engine is taken: a malformed request costs none.
    let request = Request::read(endpoint, json_body(headers, bytes)?).map_err(refused)?;
    let answer = match app.tenant(key).await? {
        Some(tenant) => {
            tenant.authorizer.with(|guest| Ok(request.answer(&mut TenantEngine::Guest(guest, app))))?
        }
        None => request.answer(&mut TenantEngine::Empty(&empty_tenant(key)?, app)),
    };
    match answer {
        Ok(value) => Ok(Json(value).into_response()),
        Err(Failure::Refused(report)) => Err(refused(report)),
        Err(Failure::Fault(fault)) => Err(fault.into()),
    }
}

/// The body of an AuthZEN request: JSON, and said to be (`Content-Type:
/// application/json`, parameters such as `charset` allowed).
fn json_body<'b>(headers: &HeaderMap, bytes: &'b [u8]) -> Result<&'b str, ApiError> {
    let media = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = media.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::bad_request(
            "ERR_INVALID_BODY",
            "AuthZEN requests are JSON: send `Content-Type: application/json`",
        ));
    }
    utf8(bytes)
}

/// `POST /access/v1/evaluation`, `/evaluations` and `/search/*`: the endpoint's answer.
pub(crate) fn endpoint(endpoint: Endpoint) -> MethodRouter<Arc<App>> {
    post(
        move |State(app): AppState, ClientKey(key): ClientKey, headers: HeaderMap, bytes: Bytes| async move {
            answered(&app, &key, &headers, &bytes, endpoint).await
        },
    )
}

/// `GET /.well-known/authzen-configuration`: the PDP's metadata, its endpoints
/// under `AUTH_PUBLIC_URL`, or else under the address the request was sent to
/// (`https` when it came over TLS or through a proxy that says so).
pub(crate) fn configuration(app: &App, tls: bool, headers: &HeaderMap) -> Result<Response, ApiError> {
    let base = match &app.settings.public_url {
        Some(url) => url.clone(),
        None => {
            let host = headers.get(HOST).and_then(|v| v.to_str().ok()).filter(|host| {
                !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            });
            let host = host.ok_or_else(|| {
                ApiError::bad_request("ERR_INVALID_ARGUMENT", "The request names no usable `Host`")
            })?;
            let scheme = if tls || crate::layers::forwarded_https(headers) { "https" } else { "http" };
            format!("{scheme}://{host}")
        }
    };
    Ok(Json(authzen::configuration(&base)).into_response())
}
