//! The routes, grouped as Auth groups them, and what they share: identifier checks
//! and who the audit log names for a request.

mod apikeys;
mod authzen;
mod model;
mod public;
mod rbac;
mod snapshot;
mod tenant;
mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use tessera_core::authzen::Endpoint;
use tessera_core::{IdentifierKind, validate_identifier};

use super::app::App;
use super::reply::ApiError;

/// The widest window `GET /api/audit?hours=` takes: a hundred years.
pub(crate) const MAX_AUDIT_HOURS: i64 = 876_000;

/// Every route, with the layers every response passes through.
pub(crate) fn router(app: Arc<App>, tls: bool) -> Router {
    let api = Router::new()
        .route("/api/role/{role}", post(rbac::create_role).delete(rbac::delete_role))
        .route("/api/roles", get(rbac::list_roles))
        .route(
            "/api/permission/{role}/{name}",
            get(rbac::check_permission).post(rbac::add_permission).delete(rbac::remove_permission),
        )
        .route("/api/deny/{role}/{name}", post(rbac::add_deny).delete(rbac::remove_deny))
        .route(
            "/api/membership/{user}/{role}",
            get(rbac::check_membership).post(rbac::add_membership).delete(rbac::remove_membership),
        )
        .route("/api/has_permission/{user}/{name}", get(rbac::has_permission))
        .route("/api/user_permissions/{user}", get(rbac::user_permissions))
        .route("/api/role_permissions/{role}", get(rbac::role_permissions))
        .route("/api/user_roles/{user}", get(rbac::user_roles))
        .route("/api/members/{role}", get(rbac::role_members))
        .route("/api/which_roles_can/{name}", get(rbac::which_roles_can))
        .route("/api/which_users_can/{name}", get(rbac::which_users_can))
        .route("/api/workflow/users/{workflow}", get(rbac::workflow_users))
        .route("/api/workflow/user/{user}/can_run/{workflow}", get(rbac::workflow_can_run))
        .route("/api/apikeys/user/{user}", post(apikeys::create).get(apikeys::list))
        .route(
            "/api/apikeys/user/{user}/{key_id}",
            axum::routing::delete(apikeys::revoke).patch(apikeys::set_expiry),
        )
        .route("/api/apikeys/validate", post(apikeys::validate))
        .route("/api/apikeys/check_permission", post(apikeys::check_permission))
        .route("/api/keys/rotate", post(tenant::rotate_key))
        .route("/api/settings", get(tenant::settings).put(tenant::update_settings))
        .route("/api/audit", get(tenant::audit))
        .route("/api/snapshot", get(snapshot::snapshot))
        .route("/api/snapshot/subject", get(snapshot::subject))
        .route("/api/token", post(tokens::token))
        .route("/api/token/refresh", post(tokens::refresh))
        .route("/api/token/revoke", post(tokens::revoke))
        .route("/api/authorize", post(tokens::authorize))
        .route(
            "/api/users/{user}/password",
            axum::routing::put(tokens::set_password).delete(tokens::delete_password),
        )
        .route("/api/types", get(model::list_named::<model::Types>))
        .route(
            "/api/types/{type}",
            put(model::put_type)
                .get(model::get_named::<model::Types>)
                .delete(model::delete_named::<model::Types>),
        )
        .route("/api/resources", get(model::list_resources))
        .route(
            "/api/resources/{type}/{id}",
            put(model::put_resource).get(model::get_resource).delete(model::delete_resource),
        )
        .route("/api/groups", get(model::list_named::<model::Groups>))
        .route(
            "/api/groups/{group}",
            put(model::put_group)
                .get(model::get_named::<model::Groups>)
                .delete(model::delete_named::<model::Groups>),
        )
        .route("/api/users", get(model::list_named::<model::Users>))
        .route(
            "/api/users/{user}/attributes",
            put(model::put_user)
                .get(model::get_named::<model::Users>)
                .delete(model::delete_named::<model::Users>),
        )
        .route("/api/grants", get(model::list_grants).post(model::add_grant).delete(model::delete_grant))
        .route("/api/rules", get(model::list_named::<model::Rules>))
        .route(
            "/api/rules/{rule}",
            put(model::put_rule)
                .get(model::get_named::<model::Rules>)
                .delete(model::delete_named::<model::Rules>),
        )
        .route("/api/check", post(model::check))
        .route("/api/search", post(model::search));
    let api = Endpoint::ALL.into_iter().fold(api, |api, e| api.route(e.path(), authzen::endpoint(e)));
    let public = Router::new()
        .route("/ping", get(public::ping))
        .route("/health", get(public::health))
        .route("/ready", get(public::ready))
        .route("/readyz", get(public::ready))
        .route("/metrics", get(public::metrics))
        .route("/openapi.json", get(public::openapi))
        .route("/.well-known/jwks.json", get(tokens::jwks))
        .route("/.well-known/tessera-snapshot-keys.json", get(snapshot::keys))
        .route(
            tessera_core::authzen::CONFIGURATION_PATH,
            get(move |State(app): State<Arc<App>>, headers| async move {
                authzen::configuration(&app, tls, &headers)
            }),
        );
    let router =
        api.merge(public).fallback(public::not_found).method_not_allowed_fallback(public::method_not_allowed);
    super::layers::apply(router.with_state(Arc::clone(&app)), &app, tls)
}

/// Who the audit log names for a change made over HTTP: the client's address (the
/// peer's, or the one a trusted proxy forwarded).
pub(crate) struct Caller(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<super::layers::ClientAddress>().map(|c| c.0.to_string());
        Ok(Self(format!("http:{}", peer.as_deref().unwrap_or("unknown"))))
    }
}

/// Refuses an identifier that breaks its rule, with Auth's message (`Invalid user
/// name: ...`) plus the rule.
pub(crate) fn valid(kind: IdentifierKind, value: &str) -> Result<(), ApiError> {
    validate_identifier(kind, value).map_err(|error| {
        let what = match kind {
            IdentifierKind::Role => "role name",
            IdentifierKind::User => "user name",
            IdentifierKind::Pattern | IdentifierKind::Permission => "permission name",
            IdentifierKind::ClientKey => "client key",
            IdentifierKind::ApiKeyLabel => "label",
            IdentifierKind::ResourceType => "resource type",
            IdentifierKind::Action => "action",
            IdentifierKind::ResourceId => "resource id",
            IdentifierKind::Group => "group name",
            IdentifierKind::RuleId => "rule id",
            IdentifierKind::Attribute => "attribute name",
        };
        let shown: String = value.chars().take(130).collect();
        ApiError::bad_request(error.code(), format!("Invalid {what}: {shown} ({error})"))
    })
}

/// A JSON object body that may be absent (Auth's clients send `Content-Type:
/// application/json` with an empty body): `None` when empty, 400 when not JSON of
/// the expected shape.
pub(crate) fn optional_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    let Some(&first) = body.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Ok(None);
    };
    // Serde's derive would also read a struct from an array of its fields in order.
    if first != b'{' {
        return Err(ApiError::bad_request(
            "ERR_INVALID_BODY",
            "Request body, when present, must be a JSON object of the documented fields",
        ));
    }
    serde_json::from_slice(body).map(Some).map_err(|e| {
        ApiError::bad_request(
            "ERR_INVALID_BODY",
            format!("Request body, when present, must be a JSON object of the documented fields: {e}"),
        )
    })
}

/// A JSON object body that must be there.
pub(crate) fn required_json<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, ApiError> {
    optional_json(body)?
        .ok_or_else(|| ApiError::bad_request("ERR_INVALID_BODY", format!("JSON body required: {shape}")))
}
