//! The resource model over HTTP. Types, resources, groups, users' attributes, grants
//! and rules are written to the store, each write audited in its transaction and
//! refused whole when it would leave the policy invalid; checks and searches on
//! resources are answered by the guest from the tenant's snapshot, in the core's JSON.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_core::IdentifierKind::{self, Group, ResourceId, ResourceType, Role, RuleId, User};
use tessera_core::{
    Authorizer, CheckRequest, Effect, ErrorReport, GrantDocument, GroupDocument, PolicyDocument,
    ResourceDocument, RuleDocument, SearchRequest, TypeDocument, UserDocument,
};
use tessera_store::{EntryKind, ModelEntry, grant_key};

use super::{Caller, required_json, valid};
use crate::app::App;
use crate::gate::ClientKey;
use crate::reply::{ApiError, success};

type AppState = State<Arc<App>>;

/// An entry as the API shows it: `{kind, key, entry}`.
fn shown(entry: &ModelEntry) -> Value {
    json!({"kind": entry.kind().as_str(), "key": entry.key(), "entry": entry.body()})
}

async fn put(app: &Arc<App>, key: &str, actor: String, entry: ModelEntry) -> Result<Response, ApiError> {
    let answer = shown(&entry);
    let kind = entry.kind().as_str();
    let change = app.change(key, actor, move |store, scope| store.put_entry(scope, &entry)).await?;
    Ok(success(
        json!({"entry": answer, "changed": change.changed, "revision": change.revision}),
        format!("The {kind} was stored"),
    ))
}

async fn delete(
    app: &Arc<App>,
    key: &str,
    actor: String,
    kind: EntryKind,
    name: String,
) -> Result<Response, ApiError> {
    let change = app.change(key, actor, move |store, scope| store.delete_entry(scope, kind, &name)).await?;
    Ok(success(json!({"revision": change.revision}), format!("The {} was deleted", kind.as_str())))
}

async fn get_one(app: &Arc<App>, key: String, kind: EntryKind, name: String) -> Result<Response, ApiError> {
    let shown_name = name.clone();
    let entry = app.read_tenant(move |store| store.entry(&key, kind, &name)).await?;
    let entry = entry.ok_or_else(|| ApiError::not_found(format!("no {} `{shown_name}`", kind.as_str())))?;
    Ok(success(shown(&entry), format!("Retrieved the {}", kind.as_str())))
}

async fn list(
    app: &Arc<App>,
    key: String,
    kind: EntryKind,
    keep: impl Fn(&ModelEntry) -> bool + Send + 'static,
) -> Result<Response, ApiError> {
    let entries = app.read_tenant(move |store| store.entries(&key, kind)).await?;
    let rows: Vec<Value> = entries.iter().filter(|e| keep(e)).map(shown).collect();
    Ok(success(json!({"count": rows.len(), "entries": rows}), format!("Retrieved {}s", kind.as_str())))
}

/// A section whose entries the path names with one identifier.
pub(crate) trait Named: Send + 'static {
    const KIND: EntryKind;
    const IDENTIFIER: IdentifierKind;
}

macro_rules! named {
    ($($section:ident: $kind:ident, $identifier:ident;)*) => {$(
        pub(crate) struct $section;

        impl Named for $section {
            const KIND: EntryKind = EntryKind::$kind;
            const IDENTIFIER: IdentifierKind = $identifier;
        }
    )*};
}

named! {
    Types: Type, ResourceType;
    Groups: Group, Group;
    Users: User, User;
    Rules: Rule, RuleId;
}

/// `GET` of one entry of a [`Named`] section.
pub(crate) async fn get_named<S: Named>(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    valid(S::IDENTIFIER, &name)?;
    get_one(&app, key, S::KIND, name).await
}

/// `DELETE` of one entry of a [`Named`] section.
pub(crate) async fn delete_named<S: Named>(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    valid(S::IDENTIFIER, &name)?;
    delete(&app, &key, actor, S::KIND, name).await
}

/// `GET` of every entry of a [`Named`] section.
pub(crate) async fn list_named<S: Named>(
    State(app): AppState,
    ClientKey(key): ClientKey,
) -> Result<Response, ApiError> {
    list(&app, key, S::KIND, |_| true).await
}

pub(crate) async fn put_type(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    valid(ResourceType, &name)?;
    let document: TypeDocument = required_json(&bytes, r#"{"actions": ["read", ...]}"#)?;
    put(&app, &key, actor, ModelEntry::Type(name, document)).await
}

/// `type:id`, each part checked.
fn resource_key(kind: &str, id: &str) -> Result<String, ApiError> {
    valid(ResourceType, kind)?;
    valid(ResourceId, id)?;
    Ok(format!("{kind}:{id}"))
}

pub(crate) async fn put_resource(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((kind, id)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let name = resource_key(&kind, &id)?;
    let document: ResourceDocument =
        required_json(&bytes, r#"{"parents": ["type:id", ...], "attributes": {...}}"#)?;
    put(&app, &key, actor, ModelEntry::Resource(name, document)).await
}

pub(crate) async fn get_resource(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let name = resource_key(&kind, &id)?;
    get_one(&app, key, EntryKind::Resource, name).await
}

pub(crate) async fn delete_resource(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let name = resource_key(&kind, &id)?;
    delete(&app, &key, actor, EntryKind::Resource, name).await
}

/// `GET /api/resources?type=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceFilter {
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub(crate) async fn list_resources(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Query(filter): Query<ResourceFilter>,
) -> Result<Response, ApiError> {
    let prefix = match filter.kind {
        Some(kind) => {
            valid(ResourceType, &kind)?;
            format!("{kind}:")
        }
        None => String::new(),
    };
    list(&app, key, EntryKind::Resource, move |entry| entry.key().starts_with(&prefix)).await
}

pub(crate) async fn put_group(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    valid(Group, &name)?;
    let document: GroupDocument =
        required_json(&bytes, r#"{"members": [...], "parents": [...], "roles": [...]}"#)?;
    put(&app, &key, actor, ModelEntry::Group(name, document)).await
}

pub(crate) async fn put_user(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    valid(User, &name)?;
    let document: UserDocument = required_json(&bytes, r#"{"attributes": {...}}"#)?;
    put(&app, &key, actor, ModelEntry::User(name, document)).await
}

/// A grant named in the query (`DELETE`), or the fields a listing keeps (`GET`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantQuery {
    user: Option<String>,
    group: Option<String>,
    role: Option<String>,
    on: Option<String>,
}

impl GrantQuery {
    /// Refuses a field that breaks its identifier rule.
    fn checked(self) -> Result<Self, ApiError> {
        for (kind, value) in [(User, &self.user), (Group, &self.group), (Role, &self.role)] {
            if let Some(value) = value {
                valid(kind, value)?;
            }
        }
        if let Some(on) = &self.on {
            let (kind, id) = on.split_once(':').unwrap_or((on.as_str(), ""));
            resource_key(kind, id)?;
        }
        Ok(self)
    }

    fn keeps(&self, grant: &GrantDocument) -> bool {
        let matches = |wanted: &Option<String>, value: Option<&String>| {
            wanted.as_ref().is_none_or(|w| value == Some(w))
        };
        matches(&self.user, grant.user.as_ref())
            && matches(&self.group, grant.group.as_ref())
            && matches(&self.role, Some(&grant.role))
            && matches(&self.on, Some(&grant.on))
    }
}

pub(crate) async fn add_grant(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let document: GrantDocument =
        required_json(&bytes, r#"{"user" or "group": "...", "role": "...", "on": "type:id"}"#)?;
    put(&app, &key, actor, ModelEntry::Grant(document)).await
}

pub(crate) async fn delete_grant(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Query(query): Query<GrantQuery>,
) -> Result<Response, ApiError> {
    let query = query.checked()?;
    let (Some(role), Some(on), true) = (query.role, query.on, query.user.is_some() != query.group.is_some())
    else {
        return Err(ApiError::bad_request(
            "ERR_INVALID_REQUEST",
            "DELETE /api/grants needs `role`, `on` and exactly one of `user` or `group` in the query",
        ));
    };
    let grant = GrantDocument { user: query.user, group: query.group, role, on };
    delete(&app, &key, actor, EntryKind::Grant, grant_key(&grant)).await
}

pub(crate) async fn list_grants(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Query(query): Query<GrantQuery>,
) -> Result<Response, ApiError> {
    let query = query.checked()?;
    list(&app, key, EntryKind::Grant, move |entry| matches!(entry, ModelEntry::Grant(g) if query.keeps(g)))
        .await
}

/// The body of `PUT /api/rules/{rule}`: a rule without its id, which is the path's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleBody {
    effect: Effect,
    actions: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    when: Option<String>,
}

pub(crate) async fn put_rule(
    State(app): AppState,
    ClientKey(key): ClientKey,
    Caller(actor): Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    valid(RuleId, &id)?;
    let shape = r#"{"effect": "permit" | "forbid", "actions": [...], "roles"?: [...], "when"?: "..."}"#;
    let RuleBody { effect, actions, roles, when } = required_json(&bytes, shape)?;
    put(&app, &key, actor, ModelEntry::Rule(RuleDocument { id, effect, actions, roles, when })).await
}

/// A request the core refused to read: 400 with its code and message.
pub(super) fn refused(report: ErrorReport) -> ApiError {
    ApiError::bad_request(report.code, report.message)
}

pub(super) fn utf8(bytes: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("ERR_INVALID_BODY", "The request body is not UTF-8 JSON"))
}

/// The core over an empty policy: what a client key that names no tenant yet is
/// answered from (it holds nobody, and still refuses what breaks a rule).
pub(super) fn empty_tenant(key: &str) -> Result<Authorizer, ApiError> {
    let policy =
        PolicyDocument::new(key).into_policy().map_err(|e| ApiError::internal("ERR_INTERNAL", &e))?;
    Ok(Authorizer::new(policy))
}

/// `POST /api/check`: a check on a resource, or tenant-wide without one
/// (`tessera_core::CheckRequest`); the decision with its reason.
pub(crate) async fn check(
    State(app): AppState,
    ClientKey(key): ClientKey,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let text = utf8(&bytes)?;
    let request = CheckRequest::from_json(text).map_err(refused)?;
    let decision = match app.tenant(&key).await? {
        Some(tenant) => tenant.authorizer.with(|guest| guest.evaluate(text))?,
        None => json!(empty_tenant(&key)?.evaluate(&request.query()).map_err(|e| refused(e.into()))?),
    };
    let allowed = decision["allowed"] == true;
    app.metrics.decision(allowed);
    Ok(success(decision, "Check completed"))
}

/// `POST /api/search`: which actions, resources or subjects
/// (`tessera_core::SearchRequest`); one sorted page `{items, next?}`.
pub(crate) async fn search(
    State(app): AppState,
    ClientKey(key): ClientKey,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let text = utf8(&bytes)?;
    let request = SearchRequest::from_json(text).map_err(refused)?;
    let found = match app.tenant(&key).await? {
        Some(tenant) => tenant.authorizer.with(|guest| guest.search(text))?,
        None => json!(empty_tenant(&key)?.search(&request).map_err(|e| refused(e.into()))?),
    };
    Ok(success(found, "Search completed"))
}
