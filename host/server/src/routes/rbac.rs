//! Roles, grants, denies, memberships and the queries over them: Auth's routes with
//! its shapes. Writes go to the store; every answer comes from the guest.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_core::IdentifierKind::{Pattern, Permission, Role, User};
use tessera_core::{Decision, Reason};

use super::{Caller, valid};
use crate::app::App;
use crate::gate::ClientKey;
use crate::reply::{ApiError, result, success};
use crate::tenants::Tenant;
use tessera_runtime::{Guest, GuestError};
use tessera_store::StoreError;

type AppState = State<Arc<App>>;

/// Optional body of `POST /api/role/{role}` (Auth sends none): Tessera's role fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    description: Option<String>,
    #[serde(default)]
    parents: Vec<String>,
}

/// Auth answers a repeated create with `true` (an idempotent upsert).
pub(crate) async fn create_role(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(role): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    valid(Role, &role)?;
    let body: RoleBody = super::optional_json(&body)?.unwrap_or_default();
    for parent in &body.parents {
        valid(Role, parent)?;
    }
    app.change(&key, actor, move |store, scope| {
        match store.add_role(scope, &role, body.description.as_deref(), &body.parents) {
            Ok(_) | Err(StoreError::Exists { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await?;
    Ok(result(true))
}

pub(crate) async fn delete_role(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(role): Path<String>,
) -> Result<Response, ApiError> {
    valid(Role, &role)?;
    let name = role.clone();
    let deleted = app
        .change(&key, actor, move |store, scope| match store.delete_role(scope, &name) {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        })
        .await?;
    Ok(success(json!({ "result": deleted }), format!("Role '{role}' deletion completed")))
}

pub(crate) async fn list_roles(
    State(app): AppState,
    ClientKey(key): ClientKey,
) -> Result<Response, ApiError> {
    let roles = app.read_tenant(move |store| store.roles(&key));
    let rows: Vec<Value> = roles
        .await?
        .into_iter()
        .map(|r| json!({"role": r.name, "description": r.description, "parents": r.parents}))
        .collect();
    Ok(result(rows))
}

/// Whether the role allows the permission (through its parents, wildcards and denies).
pub(crate) async fn check_permission(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path((role, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    valid(Role, &role)?;
    valid(Permission, &name)?;
    let allowed = guest_list(&app, &key, |g| g.which_roles_can(&name)).await?.contains(&role);
    Ok(result(allowed))
}

/// A grant (`deny` false) or deny added: `true`, or Auth's `false` when the role does
/// not exist.
async fn add_rule(
    app: Arc<App>,
    key: String,
    actor: String,
    role: String,
    name: String,
    deny: bool,
) -> Result<Response, ApiError> {
    valid(Role, &role)?;
    valid(Pattern, &name)?;
    let added = app
        .change(&key, actor, move |store, scope| {
            let outcome =
                if deny { store.deny(scope, &role, &name) } else { store.grant(scope, &role, &name) };
            match outcome {
                Ok(_) => Ok(true),
                Err(StoreError::NotFound { kind: "role", .. }) => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await?;
    Ok(result(added))
}

/// A grant or deny taken away: always `true` (Auth's idempotent delete).
async fn remove_rule(
    app: Arc<App>,
    key: String,
    actor: String,
    role: String,
    name: String,
    deny: bool,
) -> Result<Response, ApiError> {
    valid(Role, &role)?;
    valid(Pattern, &name)?;
    app.change(&key, actor, move |store, scope| match store.revoke(scope, &role, &name, deny) {
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    })
    .await?;
    Ok(result(true))
}

pub(crate) async fn add_permission(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((role, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    add_rule(app, key, actor, role, name, false).await
}

pub(crate) async fn remove_permission(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((role, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    remove_rule(app, key, actor, role, name, false).await
}

/// Tessera's addition: `POST /api/deny/{role}/{name}` (a deny beats any grant).
pub(crate) async fn add_deny(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((role, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    add_rule(app, key, actor, role, name, true).await
}

pub(crate) async fn remove_deny(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((role, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    remove_rule(app, key, actor, role, name, true).await
}

/// The strict-users reason for a negative answer about `user`, if it applies (the
/// snapshot in force decides it).
fn strict_reason(tenant: &Tenant, user: &str) -> Result<Option<&'static str>, ApiError> {
    let blocked = tenant.authorizer.with(|g| g.strict_blocks(user))?;
    Ok(blocked.then(|| Reason::UserNotKeyBacked.name()))
}

/// Auth's membership check: `{"has_permission": ...}` in the envelope (sic).
pub(crate) async fn check_membership(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path((user, role)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    valid(Role, &role)?;
    let mut data = json!({"has_permission": false});
    if let Some(tenant) = app.tenant(&key).await? {
        match strict_reason(&tenant, &user)? {
            Some(reason) => data["reason"] = reason.into(),
            None => {
                data["has_permission"] =
                    tenant.authorizer.with(|g| g.user_roles(&user))?.contains(&role).into()
            }
        }
    }
    Ok(success(data, format!("Membership check for user '{user}' and group '{role}' completed")))
}

pub(crate) async fn add_membership(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((user, role)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    valid(Role, &role)?;
    if let Some(tenant) = app.tenant(&key).await?
        && strict_reason(&tenant, &user)?.is_some()
    {
        // Auth's 409: a refused grant must not pass as a 200.
        let hint = format!(
            "strict_users is enabled and user '{user}' has no API key. Either create one with \
             POST /api/apikeys/user/{user}, or opt this namespace out with PUT /api/settings {{\"strict_users\": false}}."
        );
        let body = json!({"result": false, "reason": Reason::UserNotKeyBacked, "hint": hint});
        return Ok((StatusCode::CONFLICT, Json(body)).into_response());
    }
    let added = app
        .change(&key, actor, move |store, scope| match store.add_member(scope, &user, &role) {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { kind: "role", .. }) => Ok(false),
            Err(e) => Err(e),
        })
        .await?;
    Ok(result(added))
}

pub(crate) async fn remove_membership(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((user, role)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    valid(Role, &role)?;
    app.change(&key, actor, move |store, scope| match store.remove_member(scope, &user, &role) {
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    })
    .await?;
    Ok(result(true))
}

/// The decision for `user` and `permission` as Auth's envelope data, with Tessera's
/// reason (and the granting or denying role) under `decision`.
pub(crate) async fn decision_data(
    app: &Arc<App>,
    key: &str,
    user: &str,
    permission: &str,
) -> Result<Value, ApiError> {
    let Some(tenant) = app.tenant(key).await? else {
        return Ok(json!({"has_permission": false, "decision": Decision::UnknownUser}));
    };
    let decision = tenant.authorizer.check(user, permission)?;
    app.metrics.decision(decision.allowed());
    let mut why = json!(decision);
    why["revision"] = tenant.view().revision.into();
    let mut data = json!({"has_permission": decision.allowed(), "decision": why});
    // Auth names this one reason beside the answer too.
    if decision.reason() == Reason::UserNotKeyBacked {
        data["reason"] = json!(decision.reason());
    }
    Ok(data)
}

pub(crate) async fn has_permission(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path((user, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    valid(Permission, &name)?;
    let data = decision_data(&app, &key, &user, &name).await?;
    Ok(success(data, format!("Permission check for user '{user}' and permission '{name}' completed")))
}

pub(crate) async fn workflow_can_run(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path((user, workflow)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    valid(Permission, &workflow)?;
    let data = decision_data(&app, &key, &user, &workflow).await?;
    Ok(success(
        data,
        format!("Workflow permission check for user '{user}' and workflow '{workflow}' completed"),
    ))
}

/// A list the guest answers from the tenant's snapshot; an unused client key has
/// empty lists.
async fn guest_list(
    app: &Arc<App>,
    key: &str,
    query: impl FnOnce(&mut Guest) -> Result<Vec<String>, GuestError>,
) -> Result<Vec<String>, ApiError> {
    match app.tenant(key).await? {
        Some(tenant) => Ok(tenant.authorizer.with(query)?),
        None => Ok(Vec::new()),
    }
}

/// `[{"name": ...}]` rows.
fn names(list: Vec<String>) -> Vec<Value> {
    list.into_iter().map(|name| json!({ "name": name })).collect()
}

pub(crate) async fn user_permissions(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(user): Path<String>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let mut data = json!({"count": 0, "permissions": []});
    if let Some(tenant) = app.tenant(&key).await? {
        match strict_reason(&tenant, &user)? {
            Some(reason) => data["reason"] = reason.into(),
            None => {
                let (grants, denies) =
                    tenant.authorizer.with(|g| Ok((g.user_permissions(&user)?, g.user_denies(&user)?)))?;
                data = json!({"count": grants.len(), "permissions": names(grants), "denies": denies});
            }
        }
    }
    Ok(success(data, format!("Retrieved permissions for user '{user}'")))
}

pub(crate) async fn role_permissions(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(role): Path<String>,
) -> Result<Response, ApiError> {
    valid(Role, &role)?;
    let grants = guest_list(&app, &key, |g| g.role_permissions(&role)).await?;
    Ok(success(names(grants), format!("Retrieved permissions for role '{role}'")))
}

pub(crate) async fn user_roles(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(user): Path<String>,
) -> Result<Response, ApiError> {
    valid(User, &user)?;
    let roles = guest_list(&app, &key, |g| g.user_roles(&user)).await?;
    Ok(result(roles.into_iter().map(|role| json!({"user": user, "role": role})).collect::<Vec<_>>()))
}

pub(crate) async fn role_members(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(role): Path<String>,
) -> Result<Response, ApiError> {
    valid(Role, &role)?;
    let users = guest_list(&app, &key, |g| g.role_members(&role)).await?;
    Ok(result(users.into_iter().map(|user| json!({"user": user, "role": role})).collect::<Vec<_>>()))
}

pub(crate) async fn which_roles_can(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    valid(Permission, &name)?;
    let roles = guest_list(&app, &key, |g| g.which_roles_can(&name)).await?;
    Ok(result(roles.into_iter().map(|role| json!({ "role": role })).collect::<Vec<_>>()))
}

/// `[{"user", "role"}]`, one row per user (Auth lists a user once per role), naming
/// the role the decision found.
async fn users_who_can(app: &Arc<App>, key: &str, permission: &str) -> Result<Vec<Value>, ApiError> {
    let Some(tenant) = app.tenant(key).await? else { return Ok(Vec::new()) };
    tenant
        .authorizer
        .with(|g| {
            let mut rows = Vec::new();
            for user in g.which_users_can(permission)? {
                let decision = g.check(&user, permission)?;
                rows.push(json!({"user": user, "role": decision.role()}));
            }
            Ok(rows)
        })
        .map_err(ApiError::from)
}

pub(crate) async fn which_users_can(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    valid(Permission, &name)?;
    Ok(result(users_who_can(&app, &key, &name).await?))
}

pub(crate) async fn workflow_users(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(workflow): Path<String>,
) -> Result<Response, ApiError> {
    valid(Permission, &workflow)?;
    let rows = users_who_can(&app, &key, &workflow).await?;
    Ok(success(
        json!({"count": rows.len(), "members": rows}),
        format!("Retrieved users who can run workflow '{workflow}'"),
    ))
}
