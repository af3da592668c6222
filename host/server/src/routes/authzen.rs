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
use tessera_core::authzen::{self, Evaluations, SearchKind};
use tessera_core::{Authorizer, CheckRequest, ErrorReport, SearchRequest};
use tessera_runtime::{Guest, GuestError};

use super::model::{empty_tenant, refused, utf8};
use crate::app::App;
use crate::gate::ClientKey;
use crate::reply::ApiError;

type AppState = State<Arc<App>>;

/// Where a tenant's questions are answered: its guest, or, for a client key that
/// names no tenant yet, the core over an empty policy.
enum Engine<'a> {
    Guest(&'a mut Guest),
    Empty(&'a Authorizer),
}

/// What an engine's failure is to the AuthZEN answer: a refusal of the request
/// (`tessera_core::refusal`) keeps its code and, in a batch, fails one
/// evaluation; any other fault is the server's: the first is kept to answer the
/// whole request with, and nothing more is asked of the engine.
struct Faults {
    server: Option<GuestError>,
}

impl Faults {
    fn report(&mut self, error: GuestError) -> ErrorReport {
        match tessera_core::refusal(error.code()) {
            Some(code) => ErrorReport::new(code, error.to_string()),
            None => {
                self.server.get_or_insert(error);
                Self::stopped()
            }
        }
    }

    fn stopped() -> ErrorReport {
        ErrorReport::new("ERR_INTERNAL", "An internal error occurred")
    }
}

impl Engine<'_> {
    fn evaluate(&mut self, check: &CheckRequest, faults: &mut Faults) -> Result<Value, ErrorReport> {
        match self {
            _ if faults.server.is_some() => Err(Faults::stopped()),
            Self::Guest(guest) => guest.evaluate(&check.to_json()).map_err(|e| faults.report(e)),
            Self::Empty(authz) => authz.evaluate(&check.query()).map(|d| json!(d)).map_err(ErrorReport::from),
        }
    }

    fn search(&mut self, search: &SearchRequest, faults: &mut Faults) -> Result<Value, ErrorReport> {
        match self {
            _ if faults.server.is_some() => Err(Faults::stopped()),
            Self::Guest(guest) => guest.search(&search.to_json()).map_err(|e| faults.report(e)),
            Self::Empty(authz) => authz.search(search).map(|found| json!(found)).map_err(ErrorReport::from),
        }
    }
}

/// Answers with the tenant's engine: `answer` gets it and the place to keep a
/// server fault; a refusal of the request is 400, a server fault its own status.
async fn answered(
    app: &Arc<App>,
    key: &str,
    answer: impl FnOnce(&mut Engine<'_>, &mut Faults) -> Result<Value, ErrorReport>,
) -> Result<Response, ApiError> {
    let mut faults = Faults { server: None };
    let answer = match app.tenant(key).await? {
        Some(tenant) => tenant.authorizer.with(|guest| Ok(answer(&mut Engine::Guest(guest), &mut faults)))?,
        None => answer(&mut Engine::Empty(&empty_tenant(key)?), &mut faults),
    };
    match (answer, faults.server) {
        // A server fault answers the whole request, batch or not: the evaluations
        // after it were never asked.
        (_, Some(fault)) => Err(fault.into()),
        (Ok(value), None) => Ok(Json(value).into_response()),
        (Err(report), None) => Err(refused(report)),
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

/// Counts a decision for `/metrics`, as every check is counted.
fn counted(app: &App, decision: Result<Value, ErrorReport>) -> Result<Value, ErrorReport> {
    if let Ok(decision) = &decision {
        app.metrics.decision(decision["allowed"] == true);
    }
    decision
}

/// `POST /access/v1/evaluation`: `{decision, context}`.
pub(crate) async fn evaluation(
    State(app): AppState,
    ClientKey(key): ClientKey,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let target = authzen::evaluation(json_body(&headers, &bytes)?).map_err(refused)?;
    answered(&app, &key, |engine, faults| {
        target.answer(|check| counted(&app, engine.evaluate(check, faults)))
    })
    .await
}

/// `POST /access/v1/evaluations`: `{evaluations: [...]}`, or one evaluation's
/// answer for a request without any.
pub(crate) async fn evaluations(
    State(app): AppState,
    ClientKey(key): ClientKey,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let batch = Evaluations::from_json(json_body(&headers, &bytes)?).map_err(refused)?;
    answered(&app, &key, |engine, faults| batch.answer(|check| counted(&app, engine.evaluate(check, faults))))
        .await
}

/// `POST /access/v1/search/subject`, `/search/resource` or `/search/action`, by `kind`.
pub(crate) fn search(kind: SearchKind) -> MethodRouter<Arc<App>> {
    post(
        move |State(app): AppState, ClientKey(key): ClientKey, headers: HeaderMap, bytes: Bytes| async move {
            let search = authzen::search(kind, json_body(&headers, &bytes)?).map_err(refused)?;
            answered(&app, &key, |engine, faults| search.answer(|request| engine.search(request, faults)))
                .await
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
