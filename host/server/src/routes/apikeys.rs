//! Per-user API keys (Auth's SPEC 0004): create, list, revoke, shorten the expiry,
//! validate a presented secret, and validate-and-check in one call. Secrets travel in
//! JSON bodies only, never in a URL, a log line or an error.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_core::IdentifierKind::{ApiKeyLabel, Permission, User};
use zeroize::Zeroizing;

use super::{Caller, optional_json, required_json, valid};
use crate::app::App;
use crate::gate::{ClientKey, is_uuid4};
use crate::reply::{ApiError, success};
use crate::time::{naive_iso, parse_iso};
use tessera_store::{ApiKeyInfo, KeyStatus, Revoked, StoreError, now};

type AppState = State<Arc<App>>;

/// Auth's cap on a user's live keys.
const KEYS_PER_USER: usize = 25;
/// Auth's longest key lifetime.
const MAX_LIFETIME: i64 = 365 * 86_400;

fn iso(time: Option<i64>) -> Value {
    time.map_or(Value::Null, |t| naive_iso(t, 0).into())
}

/// A key as Auth lists it (never its secret or digest).
fn meta(key: &ApiKeyInfo) -> Value {
    json!({
        "key_id": key.id, "key_prefix": key.prefix, "label": key.label,
        "is_active": key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > now()),
        "created": iso(Some(key.created_at)), "revoked_at": iso(key.revoked_at),
        "expires_at": iso(key.expires_at), "last_used_at": Value::Null,
    })
}

/// An `expires_at` in the future and at most a year away.
fn expiry(text: &str) -> Result<i64, ApiError> {
    let at = parse_iso(text).ok_or_else(|| {
        ApiError::bad_request(
            "ERR_INVALID_BODY",
            format!("expires_at is not an ISO-8601 date-time: {text:?}"),
        )
    })?;
    if at <= now() {
        return Err(ApiError::bad_request("ERR_INVALID_BODY", "expires_at must be in the future"));
    }
    if at > now() + MAX_LIFETIME {
        return Err(ApiError::bad_request("ERR_INVALID_BODY", "expires_at may be at most 365 days from now"));
    }
    Ok(at)
}

fn key_id(id: &str) -> Result<String, ApiError> {
    if !is_uuid4(id) {
        return Err(ApiError::bad_request(
            "ERR_INVALID_KEY_ID",
            format!("Invalid key id: {id}. Must be a UUID4."),
        ));
    }
    Ok(id.to_ascii_lowercase())
}

/// Auth's 404 for a key that is not this user's in this tenant (whichever it is).
fn key_not_found(id: &str) -> impl FnOnce(ApiError) -> ApiError + '_ {
    move |error| {
        if error.status() == axum::http::StatusCode::NOT_FOUND {
            ApiError::not_found(format!("API key with ID {id} not found"))
        } else {
            error
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    label: Option<String>,
    expires_at: Option<String>,
}

pub(crate) async fn create(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let body: Option<CreateBody> = optional_json(&body)?;
    let (label, expires_at) = body.map_or((None, None), |b| (b.label, b.expires_at));
    if let Some(label) = &label {
        valid(ApiKeyLabel, label)?;
    }
    let expires_at = expires_at.as_deref().map(expiry).transpose()?;
    let owner = user.clone();
    let created = app
        .change(&key, actor, move |store, scope| {
            let live = store.api_keys(&scope.tenant, Some(&owner))?.iter().filter(|k| k.revoked_at.is_none()).count();
            if live >= KEYS_PER_USER {
                return Err(StoreError::Invalid(format!(
                    "Active API-key limit reached for user '{owner}' ({KEYS_PER_USER}). Revoke an existing key first."
                )));
            }
            store.create_api_key(scope, &owner, label.as_deref(), expires_at)
        })
        .await?;
    let (info, secret): (ApiKeyInfo, Zeroizing<String>) = created;
    let data = json!({
        "api_key": secret.as_str(), "key_id": info.id, "user": info.user, "label": info.label,
        "key_prefix": info.prefix, "created": iso(Some(info.created_at)), "expires_at": iso(info.expires_at),
    });
    Ok(success(
        data,
        format!("API key created for user '{user}'. The api_key value is shown only once — store it now."),
    ))
}

pub(crate) async fn list(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(user): Path<String>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let owner = user.clone();
    let keys = app.read_tenant(move |store| store.api_keys(&key, Some(&owner))).await?;
    let keys: Vec<Value> = keys.iter().map(meta).collect();
    Ok(success(json!({"count": keys.len(), "keys": keys}), format!("API keys for user '{user}'")))
}

pub(crate) async fn revoke(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((user, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let id = key_id(&id)?;
    let (owner, which) = (user.clone(), id.clone());
    let outcome =
        app.change(&key, actor, move |store, scope| store.revoke_user_api_key(scope, &owner, &which)).await;
    let outcome = outcome.map_err(key_not_found(&id))?;
    Ok(success(
        json!({"revoked": true, "already_revoked": outcome == Revoked::Already}),
        format!("API key {id} revoked for user '{user}'"),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpiryBody {
    expires_at: String,
}

pub(crate) async fn set_expiry(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((user, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let id = key_id(&id)?;
    let body: ExpiryBody = required_json(&body, r#"{"expires_at": "<ISO-8601 date-time>"}"#)?;
    let at = expiry(&body.expires_at)?;
    let (owner, which) = (user.clone(), id.clone());
    let info = app
        .change(&key, actor, move |store, scope| store.set_api_key_expiry(scope, &owner, &which, at))
        .await;
    let info = info.map_err(key_not_found(&id))?;
    Ok(success(meta(&info), format!("API key {id} expiry set for user '{user}'")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateBody {
    api_key: Option<Value>,
    permission: Option<Value>,
}

/// The presented secret, which must have the shape of a key.
fn presented(body: &ValidateBody) -> Result<Zeroizing<String>, ApiError> {
    match &body.api_key {
        Some(Value::String(secret))
            if secret.len() == 47
                && secret.starts_with("rak_")
                && secret[4..].bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            Ok(Zeroizing::new(secret.clone()))
        }
        _ => Err(ApiError::bad_request(
            "ERR_INVALID_API_KEY",
            "api_key must be a string matching rak_[0-9A-Za-z]{43}",
        )),
    }
}

/// Auth's validate answer for a status, and the key's user when it is live.
fn status_json(status: &KeyStatus) -> (Value, Option<String>) {
    match status {
        KeyStatus::Valid(info) => (
            json!({"valid": true, "user": info.user, "key_id": info.id, "label": info.label, "expires_at": iso(info.expires_at)}),
            Some(info.user.clone()),
        ),
        KeyStatus::Revoked(_) => (json!({"valid": false, "reason": "revoked"}), None),
        KeyStatus::Expired(_) => (json!({"valid": false, "reason": "expired"}), None),
        KeyStatus::Unknown => (json!({"valid": false, "reason": "unknown_key"}), None),
    }
}

async fn status_of(app: &Arc<App>, key: String, secret: Zeroizing<String>) -> Result<KeyStatus, ApiError> {
    app.blocking(move |store| store.api_key_status(&key, &secret)).await
}

pub(crate) async fn validate(
    State(app): AppState,
    ClientKey(key): ClientKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: ValidateBody = required_json(&body, r#"{"api_key": "rak_..."}"#)?;
    let status = status_of(&app, key, presented(&body)?).await?;
    Ok(success(status_json(&status).0, "API key validation completed"))
}

pub(crate) async fn check_permission(
    State(app): AppState,
    ClientKey(key): ClientKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: ValidateBody = required_json(&body, r#"{"api_key": "rak_...", "permission": "<name>"}"#)?;
    let secret = presented(&body)?;
    let permission = match &body.permission {
        Some(Value::String(p)) => p.clone(),
        other => {
            let shown = other.as_ref().map_or_else(|| "None".to_owned(), Value::to_string);
            return Err(ApiError::bad_request(
                "ERR_INVALID_IDENTIFIER",
                format!("Invalid permission name: {shown}"),
            ));
        }
    };
    valid(Permission, &permission)?;
    let status = status_of(&app, key.clone(), secret).await?;
    let (mut data, user) = status_json(&status);
    if let (Some(user), KeyStatus::Valid(info)) = (user, &status) {
        let decided = super::rbac::decision_data(&app, &key, &user, &permission).await?;
        data = json!({"valid": true, "user": user, "key_id": info.id, "has_permission": decided["has_permission"], "decision": decided["decision"]});
    }
    Ok(success(data, "API-key permission check completed"))
}
