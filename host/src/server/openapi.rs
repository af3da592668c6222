//! `/openapi.json`: every route, from one table (a test checks the router and this
//! table list the same routes).

use serde_json::{Map, Value, json};

/// `(method, path, summary)` of every route.
pub(crate) const ROUTES: &[(&str, &str, &str)] = &[
    ("post", "/api/role/{role}", "Create a role (idempotent); optional body {description, parents}"),
    ("delete", "/api/role/{role}", "Delete a role with its grants, denies and memberships"),
    ("get", "/api/roles", "List the roles"),
    ("get", "/api/permission/{role}/{name}", "Whether the role allows the permission"),
    ("post", "/api/permission/{role}/{name}", "Grant a permission or pattern to a role"),
    ("delete", "/api/permission/{role}/{name}", "Take a grant away"),
    ("post", "/api/deny/{role}/{name}", "Deny a permission or pattern to a role (Tessera)"),
    ("delete", "/api/deny/{role}/{name}", "Take a deny away (Tessera)"),
    ("get", "/api/membership/{user}/{role}", "Whether the user is a direct member of the role"),
    ("post", "/api/membership/{user}/{role}", "Add the user to the role"),
    ("delete", "/api/membership/{user}/{role}", "Remove the user from the role"),
    ("get", "/api/has_permission/{user}/{name}", "Decide: does the user hold the permission"),
    ("get", "/api/user_permissions/{user}", "The user's effective grant patterns"),
    ("get", "/api/role_permissions/{role}", "The role's effective grant patterns"),
    ("get", "/api/user_roles/{user}", "The user's direct roles"),
    ("get", "/api/members/{role}", "The role's direct members"),
    ("get", "/api/which_roles_can/{name}", "Roles whose closure allows the permission"),
    ("get", "/api/which_users_can/{name}", "Users allowed the permission"),
    ("get", "/api/workflow/users/{workflow}", "Users who may run the workflow"),
    ("get", "/api/workflow/user/{user}/can_run/{workflow}", "Whether the user may run the workflow"),
    ("post", "/api/apikeys/user/{user}", "Create an API key; body {label?, expires_at?}"),
    ("get", "/api/apikeys/user/{user}", "List the user's API keys (no secrets)"),
    ("delete", "/api/apikeys/user/{user}/{key_id}", "Revoke an API key (idempotent)"),
    ("patch", "/api/apikeys/user/{user}/{key_id}", "Move an API key's expiry earlier; body {expires_at}"),
    ("post", "/api/apikeys/validate", "Validate a presented API key; body {api_key}"),
    ("post", "/api/apikeys/check_permission", "Validate an API key and decide; body {api_key, permission}"),
    ("post", "/api/keys/rotate", "Move the tenant to a new client key (returned once)"),
    ("get", "/api/settings", "The tenant's settings"),
    ("put", "/api/settings", "Update the settings; body {strict_users}"),
    ("get", "/api/audit", "The tenant's audit trail; query limit, offset, action"),
    ("get", "/api/snapshot", "The tenant's signed snapshot (ETag, If-None-Match → 304)"),
    (
        "post",
        "/api/token",
        "Tokens: grant password {username, password} or api_key {api_key} → access + refresh JWT",
    ),
    ("post", "/api/token/refresh", "Rotate a refresh token {refresh_token}; a reused one revokes its family"),
    ("post", "/api/token/revoke", "Revoke an access or refresh token {token} (RFC 7009)"),
    (
        "post",
        "/api/authorize",
        "Decide for a token's subject: {token, permission} → {allowed, reason, subject}",
    ),
    ("put", "/api/users/{user}/password", "Set a user's password {password} (argon2id)"),
    ("delete", "/api/users/{user}/password", "Remove a user's password"),
    ("get", "/.well-known/jwks.json", "The public token keys"),
    ("get", "/.well-known/tessera-snapshot-keys.json", "The public keys snapshots are signed with"),
    ("get", "/ping", "Liveness: {\"message\": \"PONG\"}"),
    ("get", "/health", "Health: round-trips the database"),
    ("get", "/ready", "Readiness"),
    ("get", "/readyz", "Readiness (Auth's name)"),
    ("get", "/metrics", "Prometheus metrics"),
    ("get", "/openapi.json", "This document"),
];

pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary) in ROUTES {
        let parameters: Vec<Value> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut operation = json!({
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "Answered"},
                "400": {"description": "Malformed input (a JSON error naming what was wrong)"},
                "401": {"description": "Missing or malformed Authorization header"},
                "429": {"description": "Rate limited (Retry-After)"},
            },
        });
        if path.starts_with("/api/") {
            operation["security"] = json!([{"clientKey": []}]);
        }
        let entry = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
        entry[*method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Tessera", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Auth-compatible authorization API; decisions by the Tessera engine."},
        "paths": paths,
        "components": {"securitySchemes": {"clientKey": {"type": "http", "scheme": "bearer",
            "description": "The tenant's client key (a UUID4), as in Auth"}}},
    })
}
