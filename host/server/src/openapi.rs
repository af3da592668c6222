//! `/openapi.json`: every route from one table (a test checks the router and this
//! table list the same routes), with its path parameters constrained by the core's
//! identifier rules, its body, its query and every status it can answer, so a
//! client generated from the document sends what the server accepts.

use serde_json::{Map, Value, json};
use tessera_core::IdentifierKind;

/// A request body: a JSON object schema, required or not.
#[derive(Clone, Copy)]
pub(crate) enum Body {
    None,
    /// Auth's clients send none; Tessera reads these fields when present.
    Optional(fn() -> Value),
    Required(fn() -> Value),
}

/// One operation.
pub(crate) struct Route {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    summary: &'static str,
    body: Body,
    /// Query parameters and their schemas.
    query: fn() -> Vec<(&'static str, Value)>,
    /// The query parameters that must be there.
    required_query: &'static [&'static str],
    /// Statuses beyond the ones every route of its kind answers.
    statuses: &'static [u16],
    /// Gated by a signed-in user's access token rather than the client key.
    signed_in: bool,
}

const fn route(method: &'static str, path: &'static str, summary: &'static str) -> Route {
    Route {
        method,
        path,
        summary,
        body: Body::None,
        query: Vec::new,
        required_query: &[],
        statuses: &[],
        signed_in: false,
    }
}

impl Route {
    const fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    const fn query(mut self, query: fn() -> Vec<(&'static str, Value)>) -> Self {
        self.query = query;
        self
    }

    const fn requires(mut self, names: &'static [&'static str]) -> Self {
        self.required_query = names;
        self
    }

    const fn statuses(mut self, statuses: &'static [u16]) -> Self {
        self.statuses = statuses;
        self
    }

    const fn signed_in(mut self) -> Self {
        self.signed_in = true;
        self
    }
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn identifier(kind: IdentifierKind) -> Value {
    json!({"type": "string", "pattern": kind.regex(), "minLength": 1, "maxLength": kind.max_len()})
}

/// Free text as role descriptions allow it: tab and newline, no other control character.
fn description() -> Value {
    json!({"type": "string", "description": "at most 1,024 bytes of UTF-8",
           "pattern": "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"})
}

/// A token (any text: an unknown or malformed one is answered, not refused).
fn token() -> Value {
    json!({"type": "string"})
}

/// An API key as Auth issues them; anything else is refused as malformed.
fn api_key() -> Value {
    json!({"type": "string", "pattern": "^rak_[0-9A-Za-z]{43}$"})
}

fn role_body() -> Value {
    object(
        json!({"description": {"anyOf": [description(), {"type": "null"}]},
               "parents": {"type": "array", "items": identifier(IdentifierKind::Role)}}),
        &[],
    )
}

fn api_key_body() -> Value {
    object(
        json!({"label": {"anyOf": [identifier(IdentifierKind::ApiKeyLabel), {"type": "null"}], "description": "null or absent: no label"},
               "expires_at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}], "description": "in the future, at most 365 days away; null: never"}}),
        &[],
    )
}

fn expiry_body() -> Value {
    object(json!({"expires_at": {"type": "string", "format": "date-time"}}), &["expires_at"])
}

fn api_key_only() -> Value {
    object(json!({"api_key": api_key()}), &["api_key"])
}

fn api_key_check() -> Value {
    object(
        json!({"api_key": api_key(), "permission": identifier(IdentifierKind::Permission)}),
        &["api_key", "permission"],
    )
}

fn settings_body() -> Value {
    object(json!({"strict_users": {"type": "boolean"}}), &["strict_users"])
}

fn token_body() -> Value {
    json!({"oneOf": [
        object(json!({"grant_type": {"const": "password"}, "username": identifier(IdentifierKind::User), "password": token()}),
               &["grant_type", "username", "password"]),
        object(json!({"grant_type": {"const": "api_key"}, "api_key": api_key()}), &["grant_type", "api_key"]),
    ]})
}

fn refresh_body() -> Value {
    object(json!({"refresh_token": token()}), &["refresh_token"])
}

fn revoke_body() -> Value {
    object(
        json!({"token": token(), "token_type_hint": {"anyOf": [{"type": "string"}, {"type": "null"}],
                  "description": "access_token or refresh_token; both kinds are looked up whatever it says (RFC 7009)"}}),
        &["token"],
    )
}

fn authorize_body() -> Value {
    object(
        json!({"token": token(), "permission": identifier(IdentifierKind::Permission)}),
        &["token", "permission"],
    )
}

fn password_body() -> Value {
    object(
        json!({"password": {"type": "string", "minLength": 8,
                  "description": "at least 8 and at most 1,024 characters, with a lower-case letter, an upper-case letter and a digit"}}),
        &["password"],
    )
}

fn identifiers(kind: IdentifierKind) -> Value {
    json!({"type": "array", "items": identifier(kind), "uniqueItems": true})
}

/// A resource as `type:id`, each part by its rule.
fn resource_name() -> Value {
    let part = |kind: IdentifierKind| kind.regex().trim_start_matches('^').trim_end_matches('$');
    let pattern = format!("^{}:{}$", part(IdentifierKind::ResourceType), part(IdentifierKind::ResourceId));
    json!({"type": "string", "pattern": pattern, "description": "type:id"})
}

/// Attributes: names to a string, an integer, a boolean or a list of strings.
fn attributes() -> Value {
    json!({"type": "object", "propertyNames": identifier(IdentifierKind::Attribute),
           "additionalProperties": attribute_value()})
}

/// An attribute's value: a string, a 64-bit integer, a boolean or a list of strings.
fn attribute_value() -> Value {
    json!({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX},
                     {"type": "boolean"}, {"type": "array", "items": {"type": "string"}}]})
}

fn type_body() -> Value {
    object(json!({"actions": identifiers(IdentifierKind::Action)}), &[])
}

fn resource_body() -> Value {
    object(
        json!({"parents": {"type": "array", "items": resource_name(), "uniqueItems": true}, "attributes": attributes()}),
        &[],
    )
}

fn group_body() -> Value {
    object(
        json!({"members": identifiers(IdentifierKind::User), "parents": identifiers(IdentifierKind::Group),
               "roles": identifiers(IdentifierKind::Role)}),
        &[],
    )
}

fn user_body() -> Value {
    object(json!({"attributes": attributes()}), &[])
}

fn grant_body() -> Value {
    let holder = |field: &str, kind| {
        let mut properties = json!({"role": identifier(IdentifierKind::Role), "on": resource_name()});
        properties[field] = identifier(kind);
        object(properties, &[field, "role", "on"])
    };
    json!({"oneOf": [holder("user", IdentifierKind::User), holder("group", IdentifierKind::Group)]})
}

fn rule_body() -> Value {
    object(
        json!({"effect": {"enum": ["permit", "forbid"]},
               "actions": identifiers(IdentifierKind::Pattern), "roles": identifiers(IdentifierKind::Role),
               "when": {"type": "string", "description": "a condition (DESIGN.md, Resources, rules and search)"}}),
        &["effect", "actions"],
    )
}

fn resource_key() -> Value {
    object(
        json!({"type": identifier(IdentifierKind::ResourceType), "id": identifier(IdentifierKind::ResourceId)}),
        &["type", "id"],
    )
}

/// Attributes a request brings (AuthZEN's properties and context): any names, since
/// a client may send more than conditions read; only the values' types are checked.
fn request_attributes() -> Value {
    let map = json!({"type": "object", "additionalProperties": attribute_value()});
    object(json!({"subject": map, "resource": map, "action": map, "context": map}), &[])
}

fn check_body() -> Value {
    object(
        json!({"subject": identifier(IdentifierKind::User), "action": {"type": "string", "minLength": 1},
               "resource": {"anyOf": [resource_key(), {"type": "null"}]}, "attributes": request_attributes()}),
        &["subject", "action"],
    )
}

fn search_body() -> Value {
    let page = object(
        json!({"after": {"type": ["string", "null"]},
               "limit": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": u32::MAX}, {"type": "null"}]}}),
        &[],
    );
    let search = |kind: &str, fields: Value, required: &[&str]| {
        let mut properties = fields;
        properties["search"] = json!({"const": kind});
        properties["attributes"] = request_attributes();
        properties["page"] = page.clone();
        let mut required = required.to_vec();
        required.push("search");
        object(properties, &required)
    };
    let user = identifier(IdentifierKind::User);
    let action = identifier(IdentifierKind::Action);
    json!({"oneOf": [
        search("actions", json!({"subject": user, "resource": resource_key()}), &["subject", "resource"]),
        search("resources", json!({"subject": user, "action": action, "type": identifier(IdentifierKind::ResourceType)}),
               &["subject", "action", "type"]),
        search("subjects", json!({"action": action, "resource": resource_key()}), &["action", "resource"]),
    ]})
}

/// An optional AuthZEN object (`properties`, `context`, `page`, `options`): absent,
/// null or an object.
fn optional_object() -> Value {
    json!({"type": ["object", "null"]})
}

/// An AuthZEN subject or resource: `{type, id, properties}` (fields it does not know
/// are ignored, as the specification asks). `id` is optional where a search ignores it.
/// A subject's `type` is free (only `user` names a user); its `id` a user's name.
fn authzen_entity(name: &str, id_required: bool) -> Value {
    let required: &[&str] = if id_required { &["type", "id"] } else { &["type"] };
    let ignored = || json!({"type": ["string", "null"], "description": "ignored"});
    if name == "subject" {
        let mut subject = json!({"type": "object", "required": required, "properties": {
            "type": {"type": "string", "description": "`user` names a user; any other type is no user"},
            "id": if id_required { json!({"type": "string"}) } else { ignored() },
            "properties": optional_object()}});
        if id_required {
            subject["if"] = json!({"properties": {"type": {"const": "user"}}, "required": ["type"]});
            subject["then"] = json!({"properties": {"id": identifier(IdentifierKind::User)}});
        }
        return subject;
    }
    let id = if id_required { identifier(IdentifierKind::ResourceId) } else { ignored() };
    json!({"type": "object", "required": required,
           "properties": {"type": identifier(IdentifierKind::ResourceType), "id": id, "properties": optional_object()}})
}

fn authzen_action() -> Value {
    json!({"type": "object", "required": ["name"],
           "properties": {"name": identifier(IdentifierKind::Action), "properties": optional_object()}})
}

/// An AuthZEN request with the entities `required` names (each entity's own `id`
/// required or not), `context` and, for searches, `page`.
fn authzen_request(entities: &[(&str, bool)], required: &[&str], page: bool) -> Value {
    let mut properties = json!({"context": optional_object()});
    for &(name, id_required) in entities {
        properties[name] =
            if name == "action" { authzen_action() } else { authzen_entity(name, id_required) };
    }
    if page {
        properties["page"] = json!({"type": ["object", "null"], "properties": {
            "token": {"type": ["string", "null"], "description": "a next_token this PDP issued"},
            "limit": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": u32::MAX}, {"type": "null"}]}}});
    }
    json!({"type": "object", "required": required, "properties": properties})
}

fn evaluation_body() -> Value {
    authzen_request(
        &[("subject", true), ("action", false), ("resource", true)],
        &["subject", "action", "resource"],
        false,
    )
}

/// A batch: evaluations (each defaulted by the top level), or without any, one
/// evaluation at the top level.
fn evaluations_body() -> Value {
    let mut body = authzen_request(&[("subject", true), ("action", false), ("resource", true)], &[], false);
    body["properties"]["evaluations"] = json!({"type": ["array", "null"],
        "description": "each evaluation's subject, action, resource and context default to the top level's; an evaluation that cannot be read is answered `false` with its error, the others go on"});
    body["properties"]["options"] = json!({"type": ["object", "null"], "properties": {"evaluations_semantic":
        {"enum": ["execute_all", "deny_on_first_deny", "permit_on_first_permit", null]}}});
    body["anyOf"] = json!([
        {"required": ["evaluations"], "properties": {"evaluations": {"type": "array", "minItems": 1}}},
        {"required": ["subject", "action", "resource"]},
    ]);
    body
}

fn search_subject_body() -> Value {
    authzen_request(
        &[("subject", false), ("action", false), ("resource", true)],
        &["subject", "action", "resource"],
        true,
    )
}

fn search_resource_body() -> Value {
    authzen_request(
        &[("subject", true), ("action", false), ("resource", false)],
        &["subject", "action", "resource"],
        true,
    )
}

fn search_action_body() -> Value {
    authzen_request(&[("subject", true), ("resource", true)], &["subject", "resource"], true)
}

fn resource_query() -> Vec<(&'static str, Value)> {
    vec![("type", identifier(IdentifierKind::ResourceType))]
}

fn grant_query() -> Vec<(&'static str, Value)> {
    vec![
        ("user", identifier(IdentifierKind::User)),
        ("group", identifier(IdentifierKind::Group)),
        ("role", identifier(IdentifierKind::Role)),
        ("on", resource_name()),
    ]
}

fn audit_query() -> Vec<(&'static str, Value)> {
    vec![
        ("limit", json!({"type": "integer", "minimum": 1, "maximum": 500})),
        ("offset", json!({"type": "integer", "minimum": 0, "maximum": i64::MAX})),
        (
            "action",
            json!({"type": "string", "maxLength": 64,
                          "description": "a Tessera action (`role.add`) or an Auth action name (`CREATE_ROLE`)"}),
        ),
        ("hours", json!({"type": "integer", "minimum": 1, "maximum": crate::routes::MAX_AUDIT_HOURS})),
    ]
}

/// Every operation.
pub(crate) const ROUTES: &[Route] = &[
    route("post", "/api/role/{role}", "Create a role (idempotent); optional body {description, parents}")
        .body(Body::Optional(role_body)),
    route("delete", "/api/role/{role}", "Delete a role with its grants, denies and memberships"),
    route("get", "/api/roles", "List the roles"),
    route("get", "/api/permission/{role}/{name}", "Whether the role allows the permission"),
    route("post", "/api/permission/{role}/{name}", "Grant a permission or pattern to a role"),
    route("delete", "/api/permission/{role}/{name}", "Take a grant away"),
    route("post", "/api/deny/{role}/{name}", "Deny a permission or pattern to a role (Tessera)"),
    route("delete", "/api/deny/{role}/{name}", "Take a deny away (Tessera)"),
    route("get", "/api/membership/{user}/{role}", "Whether the user is a direct member of the role"),
    route("post", "/api/membership/{user}/{role}", "Add the user to the role").statuses(&[409]),
    route("delete", "/api/membership/{user}/{role}", "Remove the user from the role"),
    route("get", "/api/has_permission/{user}/{name}", "Decide: does the user hold the permission"),
    route("get", "/api/user_permissions/{user}", "The user's effective grant patterns"),
    route("get", "/api/role_permissions/{role}", "The role's effective grant patterns"),
    route("get", "/api/user_roles/{user}", "The user's direct roles"),
    route("get", "/api/members/{role}", "The role's direct members"),
    route("get", "/api/which_roles_can/{name}", "Roles whose closure allows the permission"),
    route("get", "/api/which_users_can/{name}", "Users allowed the permission"),
    route("get", "/api/workflow/users/{workflow}", "Users who may run the workflow"),
    route("get", "/api/workflow/user/{user}/can_run/{workflow}", "Whether the user may run the workflow"),
    route("post", "/api/apikeys/user/{user}", "Create an API key; body {label?, expires_at?}")
        .body(Body::Optional(api_key_body)),
    route("get", "/api/apikeys/user/{user}", "List the user's API keys (no secrets)"),
    route("delete", "/api/apikeys/user/{user}/{key_id}", "Revoke an API key (idempotent)"),
    route(
        "patch",
        "/api/apikeys/user/{user}/{key_id}",
        "Move an API key's expiry earlier; body {expires_at}",
    )
    .body(Body::Required(expiry_body)),
    route("post", "/api/apikeys/validate", "Validate a presented API key; body {api_key}")
        .body(Body::Required(api_key_only)),
    route(
        "post",
        "/api/apikeys/check_permission",
        "Validate an API key and decide; body {api_key, permission}",
    )
    .body(Body::Required(api_key_check)),
    route("post", "/api/keys/rotate", "Move the tenant to a new client key (returned once)"),
    route("get", "/api/settings", "The tenant's settings"),
    route("put", "/api/settings", "Update the settings; body {strict_users}")
        .body(Body::Required(settings_body)),
    route("get", "/api/audit", "The tenant's audit trail, newest first").query(audit_query),
    route("get", "/api/snapshot", "The tenant's signed snapshot (ETag, If-None-Match → 304)")
        .statuses(&[304]),
    route(
        "get",
        "/api/snapshot/subject",
        "The signed-in user's own subject-scoped snapshot, short-lived (ETag, If-None-Match → 304)",
    )
    .statuses(&[304])
    .signed_in(),
    route(
        "post",
        "/api/token",
        "Tokens: grant password {username, password} or api_key {api_key} → access + refresh JWT",
    )
    .body(Body::Required(token_body))
    .statuses(&[423]),
    route(
        "post",
        "/api/token/refresh",
        "Rotate a refresh token {refresh_token}; a reused one revokes its family",
    )
    .body(Body::Required(refresh_body)),
    route("post", "/api/token/revoke", "Revoke an access or refresh token {token} (RFC 7009)")
        .body(Body::Required(revoke_body)),
    route(
        "post",
        "/api/authorize",
        "Decide for a token's subject: {token, permission} → {allowed, reason, subject}",
    )
    .body(Body::Required(authorize_body)),
    route("put", "/api/users/{user}/password", "Set a user's password {password} (argon2id)")
        .body(Body::Required(password_body)),
    route("delete", "/api/users/{user}/password", "Remove a user's password"),
    route("get", "/api/types", "The resource types"),
    route("put", "/api/types/{type}", "Declare a resource type {actions}")
        .body(Body::Required(type_body))
        .statuses(&[409]),
    route("get", "/api/types/{type}", "A resource type"),
    route("delete", "/api/types/{type}", "Remove a resource type no resource uses").statuses(&[409]),
    route("get", "/api/resources", "The stored resources (of one type)").query(resource_query),
    route("put", "/api/resources/{type}/{id}", "Store a resource {parents, attributes}")
        .body(Body::Required(resource_body))
        .statuses(&[409]),
    route("get", "/api/resources/{type}/{id}", "A stored resource"),
    route("delete", "/api/resources/{type}/{id}", "Remove a resource nothing refers to").statuses(&[409]),
    route("get", "/api/groups", "The groups"),
    route("put", "/api/groups/{group}", "Store a group {members, parents, roles}")
        .body(Body::Required(group_body))
        .statuses(&[409]),
    route("get", "/api/groups/{group}", "A group"),
    route("delete", "/api/groups/{group}", "Remove a group nothing refers to").statuses(&[409]),
    route("get", "/api/users", "The users with stored attributes"),
    route("put", "/api/users/{user}/attributes", "Store a user's attributes {attributes}")
        .body(Body::Required(user_body))
        .statuses(&[409]),
    route("get", "/api/users/{user}/attributes", "A user's stored attributes"),
    route("delete", "/api/users/{user}/attributes", "Remove a user's stored attributes").statuses(&[409]),
    route("get", "/api/grants", "Roles held on resources, filtered by the query").query(grant_query),
    route("post", "/api/grants", "Grant a role on a resource {user | group, role, on}")
        .body(Body::Required(grant_body))
        .statuses(&[409]),
    route("delete", "/api/grants", "Take a role on a resource away (?user|group, role, on)")
        .query(grant_query)
        .requires(&["role", "on"])
        .statuses(&[409]),
    route("get", "/api/rules", "The permit and forbid rules"),
    route("put", "/api/rules/{rule}", "Store a rule {effect, actions, roles?, when?}")
        .body(Body::Required(rule_body))
        .statuses(&[409]),
    route("get", "/api/rules/{rule}", "A rule"),
    route("delete", "/api/rules/{rule}", "Remove a rule").statuses(&[409]),
    route("post", "/api/check", "Decide a check on a resource (or tenant-wide), with its reason")
        .body(Body::Required(check_body)),
    route("post", "/api/search", "Which actions, resources or subjects: one sorted page")
        .body(Body::Required(search_body)),
    route("post", "/access/v1/evaluation", "AuthZEN 1.0: may the subject do the action on the resource")
        .body(Body::Required(evaluation_body)),
    route("post", "/access/v1/evaluations", "AuthZEN 1.0: many evaluations, with defaults and a semantic")
        .body(Body::Required(evaluations_body)),
    route(
        "post",
        "/access/v1/search/subject",
        "AuthZEN 1.0: the users who may do the action on the resource",
    )
    .body(Body::Required(search_subject_body)),
    route(
        "post",
        "/access/v1/search/resource",
        "AuthZEN 1.0: the resources of a type the subject may act on",
    )
    .body(Body::Required(search_resource_body)),
    route("post", "/access/v1/search/action", "AuthZEN 1.0: the actions the subject may do on the resource")
        .body(Body::Required(search_action_body)),
    route("get", "/.well-known/authzen-configuration", "AuthZEN 1.0: the PDP's metadata and endpoints")
        .statuses(&[400]),
    route("get", "/.well-known/jwks.json", "The public token keys"),
    route("get", "/.well-known/tessera-snapshot-keys.json", "The public keys snapshots are signed with"),
    route("get", "/ping", "Liveness: {\"message\": \"PONG\"}"),
    route("get", "/health", "Health: round-trips the database"),
    route("get", "/ready", "Readiness"),
    route("get", "/readyz", "Readiness (Auth's name)"),
    route("get", "/metrics", "Prometheus metrics"),
    route("get", "/openapi.json", "This document"),
];

/// The schema of a path parameter, by its name.
fn parameter(method: &str, path: &str, name: &str) -> Value {
    let kind = match name {
        "role" => IdentifierKind::Role,
        "user" => IdentifierKind::User,
        // Grants and denies take patterns (`posts:*`); checks and queries take names.
        "name"
            if method != "get"
                && (path.starts_with("/api/permission/") || path.starts_with("/api/deny/")) =>
        {
            IdentifierKind::Pattern
        }
        "key_id" => IdentifierKind::ClientKey,
        "type" => IdentifierKind::ResourceType,
        "id" => IdentifierKind::ResourceId,
        "group" => IdentifierKind::Group,
        "rule" => IdentifierKind::RuleId,
        _ => IdentifierKind::Permission,
    };
    identifier(kind)
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "Answered",
        304 => "Not modified (If-None-Match matched the ETag)",
        400 => {
            "Malformed input: a JSON error naming what was wrong (an identifier breaking its rule, a body of the wrong shape, a client key that is not a UUID4)"
        }
        401 => "Missing or malformed Authorization header, or refused credentials",
        403 => "Refused by the tenant's policy or settings",
        404 => "No such thing (a role, a key, a grant), or no snapshot yet",
        405 => "The route does not take this method",
        408 => "The request took too long",
        409 => "Conflicts with the current state (strict users, an existing name, a concurrent write)",
        413 => "Body too large",
        415 => "Body is not JSON",
        423 => "Locked: too many failed sign-ins",
        429 => "Rate limited (Retry-After)",
        503 => "The database is unavailable; nothing was changed",
        _ => "See the error code",
    }
}

pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let api = route.path.starts_with("/api/") || route.path.starts_with("/access/");
        let mut parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": parameter(route.method, route.path, name)}))
            .collect();
        parameters.extend((route.query)().into_iter().map(|(name, schema)| {
            let required = route.required_query.contains(&name);
            json!({"name": name, "in": "query", "required": required, "schema": schema})
        }));
        let mut statuses: Vec<u16> =
            if api { vec![200, 400, 401, 404, 408, 413, 429, 503] } else { vec![200, 503] };
        if route.body.is_some() {
            statuses.push(415);
        }
        statuses.extend_from_slice(route.statuses);
        statuses.sort_unstable();
        statuses.dedup();
        let responses: Map<String, Value> = statuses
            .iter()
            .map(|status| (status.to_string(), json!({"description": status_text(*status)})))
            .collect();
        let mut operation =
            json!({"summary": route.summary, "parameters": parameters, "responses": responses});
        match route.body {
            Body::None => {}
            Body::Optional(schema) | Body::Required(schema) => {
                operation["requestBody"] = json!({
                    "required": matches!(route.body, Body::Required(_)),
                    "content": {"application/json": {"schema": schema()}},
                });
            }
        }
        operation["security"] = match (route.signed_in, api) {
            (true, _) => json!([{"userToken": []}]),
            (false, true) => json!([{"clientKey": []}]),
            (false, false) => json!([]),
        };
        let entry = paths.entry(route.path.to_owned()).or_insert_with(|| json!({}));
        entry[route.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Tessera", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Auth-compatible authorization API; decisions by the Tessera engine."},
        "paths": paths,
        "components": {"securitySchemes": {
            "clientKey": {"type": "http", "scheme": "bearer",
                "description": "The tenant's client key (a UUID4), as in Auth"},
            "userToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A user's access token from POST /api/token"},
        }},
    })
}

impl Body {
    fn is_some(self) -> bool {
        !matches!(self, Self::None)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "test code: a failed unwrap is a failed test"
    )]

    use super::*;

    /// The regular expressions the document publishes accept exactly what the core
    /// accepts, on every identifier vector.
    #[test]
    fn published_identifier_rules_match_the_core() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/identifiers.json");
        let vectors: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut checked = 0;
        for vector in &vectors {
            let kind = IdentifierKind::from_code(vector["kind"].as_str().unwrap()).unwrap();
            let value = vector["value"].as_str().unwrap();
            let regex = regex::Regex::new(kind.regex()).unwrap();
            let published = regex.is_match(value) && value.len() <= kind.max_len();
            let enforced = tessera_core::validate_identifier(kind, value).is_ok();
            assert_eq!(published, enforced, "{kind:?} {value:?}");
            checked += 1;
        }
        // Edges of the wildcard, label and key rules, in every kind.
        let probes = [
            "*",
            "a:*",
            ":*",
            "a::*",
            "*:a",
            "a*",
            "a:*:b",
            "**",
            " a",
            "a ",
            "a b",
            "é",
            "",
            "a\n",
            "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
            "0B5E7F2A-8C1D-4E3F-9A6B-2C4D6E8F0A1B",
            "auth0|5f7c",
            "ldap:bob",
        ];
        for kind in ["role", "user", "permission", "pattern", "client_key", "api_key_label"] {
            let kind = IdentifierKind::from_code(kind).unwrap();
            let regex = regex::Regex::new(kind.regex()).unwrap();
            for value in probes {
                let published = regex.is_match(value) && value.len() <= kind.max_len();
                assert_eq!(
                    published,
                    tessera_core::validate_identifier(kind, value).is_ok(),
                    "{kind:?} {value:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 150, "{checked} cases");
    }
}
