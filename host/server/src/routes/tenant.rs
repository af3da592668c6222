//! Tenant-level routes: client-key rotation, settings (strict users), the audit trail.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Caller, required_json};
use crate::app::App;
use crate::gate::ClientKey;
use crate::reply::{ApiError, success};
use crate::time::naive_iso;
use tessera_store::Filter;

type AppState = State<Arc<App>>;

/// Moves the tenant to a fresh client key; the old key owns nothing afterwards. The
/// new key is in `data.new_key`, the only copy (Auth's client switches to it).
pub(crate) async fn rotate_key(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    let new_key = tessera_store::new_client_key()?;
    let target = new_key.clone();
    let migrated =
        app.change(&key, actor, move |store, scope| store.rotate_client_key(scope, &target)).await?;
    app.tenants.forget(&key);
    Ok(success(json!({"new_key": new_key, "migrated": migrated}), "Client key rotated"))
}

pub(crate) async fn settings(State(app): AppState, ClientKey(key): ClientKey) -> Result<Response, ApiError> {
    let settings = app.blocking(move |store| store.settings(&key)).await?;
    Ok(success(settings, "Tenant settings"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsBody {
    strict_users: Option<Value>,
}

pub(crate) async fn update_settings(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    const SHAPE: &str = r#"{"strict_users": true|false}"#;
    let body: SettingsBody = required_json(&body, SHAPE)?;
    let Some(Value::Bool(enabled)) = body.strict_users else {
        return Err(ApiError::bad_request("ERR_INVALID_BODY", format!("JSON body required: {SHAPE}")));
    };
    let settings =
        app.change(&key, actor, move |store, scope| store.set_strict_users(scope, enabled)).await?;
    Ok(success(settings, "Tenant settings updated"))
}

/// The tenant's own audit trail, newest first (`limit` 1–500, default 50; `offset`;
/// `action`: a Tessera action, or an Auth action name such as `create_role` or
/// `CREATE_API_KEY`; `hours`: only the last so many hours, as Auth's
/// `query_audit_logs(hours=...)`).
pub(crate) async fn audit(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let number = |name: &str, default: i64| -> Result<i64, ApiError> {
        query.get(name).map_or(Ok(default), |v| {
            v.trim()
                .parse()
                .map_err(|_| ApiError::bad_request("ERR_INVALID_QUERY", "limit and offset must be integers"))
        })
    };
    let (limit, offset) = (number("limit", 50)?, number("offset", 0)?);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("ERR_INVALID_QUERY", "limit must be between 1 and 500"));
    }
    if offset < 0 {
        return Err(ApiError::bad_request("ERR_INVALID_QUERY", "offset must be >= 0"));
    }
    let since = match query.get("hours") {
        None => None,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(hours) if (1..=super::MAX_AUDIT_HOURS).contains(&hours) => {
                Some(tessera_store::now() - hours * 3600)
            }
            _ => return Err(ApiError::bad_request("ERR_INVALID_QUERY", "hours must be a positive integer")),
        },
    };
    let action = query.get("action").cloned();
    if action.as_ref().is_some_and(|action| action.chars().count() > 64) {
        return Err(ApiError::bad_request("ERR_INVALID_QUERY", "action may have at most 64 characters"));
    }
    let filter = Filter { action, since, limit, offset, ..Filter::default() };
    let (total, records) = app
        .read_tenant(move |store| Ok((store.audit_count(&key, &filter)?, store.audit_query(&key, &filter)?)))
        .await?;
    let entries: Vec<Value> = records
        .into_iter()
        .map(|r| {
            json!({
                "id": r.seq, "timestamp": naive_iso(r.time, 0), "action": r.action, "resource": r.entity,
                "entity_type": r.entity_type, "details": r.details, "success": r.success, "user": r.actor,
                "ip_address": Value::Null, "user_agent": Value::Null,
            })
        })
        .collect();
    Ok(success(
        json!({"total": total, "limit": limit, "offset": offset, "entries": entries}),
        "Audit trail retrieved",
    ))
}
