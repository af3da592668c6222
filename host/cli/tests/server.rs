//! `tessera serve` over real HTTP on loopback, on SQLite and on PostgreSQL (when
//! TEST_POSTGRES_URL is set): Auth's routes and shapes, the gate, API keys, strict
//! users, key rotation, snapshots with ETag, errors and limits, headers and CORS,
//! security events, two servers on one PostgreSQL staying consistent, and the
//! resource model's routes with the checks and searches over them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use std::time::{Duration, Instant};

use common::server::Server;
use serde_json::{Value, json};
use tessera_testkit::db::TestDb;

const KEY: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
const OTHER: &str = "6f1d9c3e-2b7a-4c5d-8e9f-0a1b2c3d4e5f";

fn each_backend(test: impl Fn(&TestDb)) {
    for db in TestDb::all() {
        eprintln!("--- {}", db.name);
        test(&db);
    }
}

fn result(server: &Server, method: &str, path: &str) -> Value {
    let answer = server.call(method, path, Some(KEY), None);
    assert_eq!(answer.status, 200, "{method} {path}: {}", answer.json);
    answer.json["result"].clone()
}

fn data(server: &Server, path: &str) -> Value {
    let answer = server.get(path, KEY);
    assert_eq!(answer.status, 200, "{path}: {}", answer.json);
    assert_eq!(answer.json["success"], true);
    assert_eq!(answer.json["code"], 200);
    assert!(answer.json["timestamp"].as_str().is_some_and(|t| t.len() >= 19 && !t.ends_with('Z')));
    answer.json["data"].clone()
}

/// A blog: viewers read, editors (children of viewers) edit but may not delete.
fn blog(server: &Server) {
    assert_eq!(result(server, "POST", "/api/role/viewer"), true);
    let editor = server.call(
        "POST",
        "/api/role/editor",
        Some(KEY),
        Some(&json!({"parents": ["viewer"], "description": "Edits"})),
    );
    assert_eq!(editor.status, 200, "{}", editor.json);
    assert_eq!(result(server, "POST", "/api/permission/viewer/posts:read"), true);
    assert_eq!(result(server, "POST", "/api/permission/editor/posts:*"), true);
    assert_eq!(result(server, "POST", "/api/deny/editor/posts:delete"), true);
    assert_eq!(result(server, "POST", "/api/membership/alice/editor"), true);
    assert_eq!(result(server, "POST", "/api/membership/bob/viewer"), true);
    assert_eq!(result(server, "POST", "/api/membership/carol@example.com/viewer"), true);
    assert_eq!(result(server, "POST", "/api/membership/carol@example.com/editor"), true);
}

#[test]
fn auth_routes_answer_with_auths_shapes() {
    each_backend(|db| {
        let server = Server::start(db, &[]);
        assert_eq!(server.call("GET", "/ping", None, None).json, json!({"message": "PONG"}));
        assert_eq!(server.call("GET", "/health", None, None).json, json!({"status": "healthy"}));
        assert_eq!(server.call("GET", "/ready", None, None).json["status"], "ready");
        // An unused client key: empty answers, not errors.
        assert_eq!(result(&server, "GET", "/api/roles"), json!([]));
        assert_eq!(data(&server, "/api/has_permission/alice/posts:edit")["has_permission"], false);
        blog(&server);

        // Idempotent writes answer true again; a grant on a missing role is Auth's false.
        assert_eq!(result(&server, "POST", "/api/role/viewer"), true);
        assert_eq!(result(&server, "POST", "/api/permission/ghost/posts:read"), false);
        assert_eq!(result(&server, "POST", "/api/membership/alice/ghost"), false);

        let roles = result(&server, "GET", "/api/roles");
        assert_eq!(roles.as_array().unwrap().len(), 2);
        assert_eq!(roles[0], json!({"role": "editor", "description": "Edits", "parents": ["viewer"]}));

        // Decisions: hierarchy, wildcard, deny.
        let allowed = data(&server, "/api/has_permission/alice/posts:read");
        assert_eq!(allowed["has_permission"], true);
        assert_eq!(allowed["decision"]["role"], "viewer");
        assert_eq!(data(&server, "/api/has_permission/alice/posts:edit")["has_permission"], true);
        let denied = data(&server, "/api/has_permission/alice/posts:delete");
        assert_eq!(denied["has_permission"], false);
        assert_eq!(denied["decision"]["reason"], "denied");
        // Denied checks reach the audit log through the server's queue.
        let queued = Instant::now();
        while data(&server, "/api/audit?action=check")["total"] == 0 {
            assert!(queued.elapsed() < Duration::from_secs(5), "the denied check was never audited");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(data(&server, "/api/has_permission/bob/posts:edit")["has_permission"], false);
        assert_eq!(data(&server, "/api/workflow/user/bob/can_run/posts:read")["has_permission"], true);

        assert_eq!(result(&server, "GET", "/api/permission/editor/posts:read"), true, "inherited");
        assert_eq!(result(&server, "GET", "/api/permission/editor/posts:delete"), false, "denied");
        assert_eq!(result(&server, "GET", "/api/permission/viewer/posts:edit"), false);
        assert_eq!(data(&server, "/api/membership/alice/editor")["has_permission"], true);
        assert_eq!(data(&server, "/api/membership/alice/viewer")["has_permission"], false, "direct only");

        let permissions = data(&server, "/api/user_permissions/alice");
        assert_eq!(permissions["count"], 2);
        assert_eq!(permissions["permissions"], json!([{"name": "posts:*"}, {"name": "posts:read"}]));
        assert_eq!(permissions["denies"], json!(["posts:delete"]));
        assert_eq!(data(&server, "/api/role_permissions/viewer"), json!([{"name": "posts:read"}]));
        assert_eq!(
            result(&server, "GET", "/api/user_roles/carol@example.com"),
            json!([{"user": "carol@example.com", "role": "editor"}, {"user": "carol@example.com", "role": "viewer"}])
        );
        assert_eq!(
            result(&server, "GET", "/api/members/viewer"),
            json!([{"user": "bob", "role": "viewer"}, {"user": "carol@example.com", "role": "viewer"}])
        );
        assert_eq!(result(&server, "GET", "/api/which_roles_can/posts:edit"), json!([{"role": "editor"}]));
        // Carol holds two roles that read: Auth lists her twice, Tessera once.
        let readers = result(&server, "GET", "/api/which_users_can/posts:read");
        let users: Vec<&str> =
            readers.as_array().unwrap().iter().map(|r| r["user"].as_str().unwrap()).collect();
        assert_eq!(users, ["alice", "bob", "carol@example.com"]);
        let workflow = data(&server, "/api/workflow/users/posts:edit");
        assert_eq!(workflow["count"], 2);
        assert_eq!(workflow["members"][0], json!({"user": "alice", "role": "editor"}));

        // Removing things, and deleting a role (Auth's envelope).
        assert_eq!(result(&server, "DELETE", "/api/deny/editor/posts:delete"), true);
        assert_eq!(data(&server, "/api/has_permission/alice/posts:delete")["has_permission"], true);
        assert_eq!(result(&server, "DELETE", "/api/membership/bob/viewer"), true);
        assert_eq!(result(&server, "DELETE", "/api/membership/bob/viewer"), true, "idempotent");
        assert_eq!(data(&server, "/api/has_permission/bob/posts:read")["has_permission"], false);
        assert_eq!(result(&server, "DELETE", "/api/permission/viewer/posts:read"), true);
        assert_eq!(data(&server, "/api/role_permissions/viewer"), json!([]));
        let deleted = server.delete("/api/role/viewer", KEY);
        assert_eq!(deleted.json["data"], json!({"result": true}));
        assert_eq!(server.delete("/api/role/viewer", KEY).json["data"], json!({"result": false}));

        // Auth 3.7's user names: namespace separators `|` and `:` (an Auth0 subject),
        // raw or percent-encoded in the path.
        assert_eq!(result(&server, "POST", "/api/membership/auth0%7C5f7c8ec7/editor"), true);
        assert_eq!(data(&server, "/api/has_permission/auth0|5f7c8ec7/posts:edit")["has_permission"], true);
        assert_eq!(result(&server, "POST", "/api/membership/ldap:bob/editor"), true);
        assert_eq!(data(&server, "/api/has_permission/ldap:bob/posts:edit")["has_permission"], true);
        assert_eq!(result(&server, "DELETE", "/api/membership/auth0%7C5f7c8ec7/editor"), true);
        assert_eq!(result(&server, "DELETE", "/api/membership/ldap:bob/editor"), true);

        // Another tenant sees none of it.
        assert_eq!(server.get("/api/roles", OTHER).json["result"], json!([]));

        // Every change is in the audit trail, newest first, with the peer as actor.
        let audit = data(&server, "/api/audit?limit=5");
        assert!(audit["total"].as_i64().unwrap() > 10, "{audit}");
        assert_eq!(audit["entries"].as_array().unwrap().len(), 5);
        let deletes = data(&server, "/api/audit?action=role.delete");
        assert_eq!(deletes["total"], 1);
        assert_eq!(deletes["entries"][0]["resource"], "viewer");
        assert_eq!(deletes["entries"][0]["user"], "http:127.0.0.1");
        // A refused write is audited too, with success false and the error's code.
        assert_eq!(server.call("POST", "/api/membership/bad%20user/editor", Some(KEY), None).status, 400);
        assert_eq!(server.call("POST", "/api/role/editor", Some(KEY), Some(&json!([1]))).status, 400);
        let refused = data(&server, "/api/audit?action=request.refused");
        assert_eq!(refused["total"], 2, "{refused}");
        let last = &refused["entries"][1];
        assert_eq!(
            (&last["success"], &last["resource"], &last["details"]["error"], &last["details"]["status"]),
            (
                &json!(false),
                &json!("POST /api/membership/{user}/{role}"),
                &json!("ERR_INVALID_IDENTIFIER"),
                &json!(400)
            ),
            "{refused}"
        );
        assert_eq!(refused["entries"][0]["details"]["error"], "ERR_INVALID_BODY");
        assert_eq!(refused["entries"][0]["resource"], "POST /api/role/{role}");
        // Auth's action names find the same events, in either case, as do `hours`.
        for auth in ["DELETE_ROLE", "delete_role"] {
            assert_eq!(data(&server, &format!("/api/audit?action={auth}"))["total"], 1, "{auth}");
        }
        let adds = data(&server, "/api/audit?action=add_membership&hours=24");
        assert_eq!(adds["total"], data(&server, "/api/audit?action=member.add")["total"]);
        assert!(adds["total"].as_i64().unwrap() >= 3, "{adds}");
        assert_eq!(
            data(&server, "/api/audit?action=CREATE_ROLE&hours=1")["entries"][0]["action"],
            "role.add"
        );
        assert_eq!(data(&server, "/api/audit?action=LIST_ROLES")["total"], 0, "reads are not audited");
        for bad in ["limit=0", "limit=501", "limit=x", "offset=-1", "hours=0", "hours=x", "hours=-3"] {
            assert_eq!(server.get(&format!("/api/audit?{bad}"), KEY).status, 400, "{bad}");
        }
    });
}

#[test]
fn the_gate_refuses_as_auth_does_and_writes_nothing() {
    each_backend(|db| {
        let server = Server::start(db, &[]);
        let with = |value: &str| {
            server.request("POST", "/api/role/admin", &[("Authorization", value.to_owned())], None)
        };
        assert_eq!(server.call("POST", "/api/role/admin", None, None).status, 401);
        assert_eq!(with(KEY).status, 401);
        assert_eq!(with(&format!("Basic {KEY}")).status, 401);
        assert_eq!(with("Bearer not-a-uuid").status, 400);
        assert_eq!(with("Bearer 0b5e7f2a-8c1d-1e3f-9a6b-2c4d6e8f0a1b").status, 400, "not version 4");
        let refused = with("Bearer nope");
        assert_eq!(refused.json["success"], false);
        assert_eq!(refused.json["error"], "ERR_INVALID_CLIENT_KEY");
        // Nothing was created by any of them.
        assert_eq!(server.get("/api/roles", KEY).json["result"], json!([]));
        assert_eq!(server.get("/api/audit", KEY).json["data"]["total"], 0);
        // The scheme and the key are case-insensitive: one tenant.
        assert_eq!(with(&format!("bearer {}", KEY.to_uppercase())).json["result"], true);
        assert_eq!(server.get("/api/roles", KEY).json["result"][0]["role"], "admin");
        // Invalid identifiers: 400 naming the field, before anything is touched.
        let bad = server.post("/api/membership/al%20ice/admin", KEY);
        assert_eq!(bad.status, 400);
        assert!(bad.json["message"].as_str().unwrap().starts_with("Invalid user name"), "{}", bad.json);
        assert_eq!(server.post("/api/role/a%2Fb", KEY).status, 400);
        assert_eq!(server.get("/api/has_permission/alice/posts%3Bdrop", KEY).status, 400);
    });
}

#[test]
fn api_keys_strict_users_and_key_rotation() {
    each_backend(|db| {
        let server = Server::start(db, &[]);
        blog(&server);
        let created =
            server.call("POST", "/api/apikeys/user/alice", Some(KEY), Some(&json!({"label": "ci job"})));
        assert_eq!(created.status, 200, "{}", created.json);
        let secret = created.json["data"]["api_key"].as_str().unwrap().to_owned();
        let key_id = created.json["data"]["key_id"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("rak_") && secret.len() == 47);
        assert_eq!(created.json["data"]["key_prefix"], &secret[..12]);
        // An empty body with Content-Type: application/json, as Auth's client sends it.
        let bare = server.request(
            "POST",
            "/api/apikeys/user/bob",
            &[("Authorization", format!("Bearer {KEY}")), ("Content-Type", "application/json".into())],
            None,
        );
        assert_eq!(bare.status, 200, "{}", bare.json);
        for body in [
            json!({"nope": 1}),
            json!({"label": "<b>"}),
            json!({"expires_at": "2001-01-01T00:00:00"}),
            json!({"expires_at": "tomorrow"}),
        ] {
            assert_eq!(
                server.call("POST", "/api/apikeys/user/alice", Some(KEY), Some(&body)).status,
                400,
                "{body}"
            );
        }

        let listed = data(&server, "/api/apikeys/user/alice");
        assert_eq!(listed["count"], 1);
        assert_eq!(listed["keys"][0]["label"], "ci job");
        assert_eq!(listed["keys"][0]["is_active"], true);
        assert!(!listed.to_string().contains(&secret[12..]), "listings never show the secret");

        let validate = |body: Value| server.call("POST", "/api/apikeys/validate", Some(KEY), Some(&body));
        let valid = validate(json!({"api_key": secret}));
        assert_eq!(valid.json["data"]["valid"], true);
        assert_eq!(valid.json["data"]["user"], "alice");
        assert_eq!(
            validate(json!({"api_key": format!("rak_{}", "0".repeat(43))})).json["data"]["reason"],
            "unknown_key"
        );
        assert_eq!(validate(json!({"api_key": "rak_short"})).status, 400);
        assert_eq!(validate(json!({})).status, 400);
        // Another tenant cannot see this tenant's key.
        let foreign =
            server.call("POST", "/api/apikeys/validate", Some(OTHER), Some(&json!({"api_key": secret})));
        assert_eq!(foreign.json["data"]["reason"], "unknown_key");
        let check = |permission: &str| {
            server.call(
                "POST",
                "/api/apikeys/check_permission",
                Some(KEY),
                Some(&json!({"api_key": secret, "permission": permission})),
            )
        };
        assert_eq!(check("posts:edit").json["data"]["has_permission"], true);
        assert_eq!(check("posts:delete").json["data"]["has_permission"], false);
        assert_eq!(check("bad perm").status, 400);

        // Expiry can move earlier only; a wrong user or unknown id is 404.
        let soon = "2099-01-01T00:00:00Z";
        let path = format!("/api/apikeys/user/alice/{key_id}");
        let later = server.call("PATCH", &path, Some(KEY), Some(&json!({"expires_at": soon})));
        assert_eq!(later.status, 400, "more than a year away: {}", later.json);
        let in_a_month = unix_iso(now() + 30 * 86_400);
        let patched = server.call("PATCH", &path, Some(KEY), Some(&json!({"expires_at": in_a_month})));
        assert_eq!(patched.status, 200, "{}", patched.json);
        assert_eq!(patched.json["data"]["expires_at"], in_a_month.trim_end_matches('Z'));
        assert_eq!(server.delete(&format!("/api/apikeys/user/bob/{key_id}"), KEY).status, 404);
        assert_eq!(
            server.delete("/api/apikeys/user/alice/0b5e7f2a-8c1d-4e3f-9a6b-000000000000", KEY).status,
            404
        );
        assert_eq!(server.delete("/api/apikeys/user/alice/nope", KEY).status, 400);

        // Strict users: alice has a key, carol has none.
        assert_eq!(data(&server, "/api/settings"), json!({"strict_users": false}));
        let strict = server.call("PUT", "/api/settings", Some(KEY), Some(&json!({"strict_users": true})));
        assert_eq!(strict.json["data"], json!({"strict_users": true}));
        assert_eq!(
            server.call("PUT", "/api/settings", Some(KEY), Some(&json!({"strict_users": "yes"}))).status,
            400
        );
        assert_eq!(data(&server, "/api/has_permission/alice/posts:edit")["has_permission"], true);
        let carol = data(&server, "/api/has_permission/carol@example.com/posts:read");
        assert_eq!(carol["has_permission"], false);
        assert_eq!(carol["reason"], "user_not_key_backed");
        let refused = server.post("/api/membership/dave/viewer", KEY);
        assert_eq!(refused.status, 409);
        assert_eq!(refused.json["reason"], "user_not_key_backed");
        // Revoking alice's only key makes her strict-blocked too; a repeat is idempotent.
        let revoked = server.delete(&path, KEY);
        assert_eq!(revoked.json["data"], json!({"revoked": true, "already_revoked": false}));
        assert_eq!(server.delete(&path, KEY).json["data"]["already_revoked"], true);
        assert_eq!(validate(json!({"api_key": secret})).json["data"]["reason"], "revoked");
        assert_eq!(data(&server, "/api/has_permission/alice/posts:edit")["reason"], "user_not_key_backed");
        server.call("PUT", "/api/settings", Some(KEY), Some(&json!({"strict_users": false})));

        // Rotation: the namespace moves to the new key; the old one owns nothing.
        let rotated = server.post("/api/keys/rotate", KEY);
        assert_eq!(rotated.status, 200, "{}", rotated.json);
        let new_key = rotated.json["data"]["new_key"].as_str().unwrap().to_owned();
        assert_eq!(rotated.json["data"]["migrated"]["roles"], 2);
        assert_eq!(rotated.json["data"]["migrated"]["api_keys"], 2);
        assert_eq!(server.get("/api/roles", KEY).json["result"], json!([]));
        assert_eq!(server.get("/api/roles", &new_key).json["result"].as_array().unwrap().len(), 2);
        let moved = server.get("/api/has_permission/alice/posts:edit", &new_key);
        assert_eq!(moved.json["data"]["has_permission"], true);
    });
}

#[test]
fn snapshots_carry_etags_and_follow_every_write() {
    each_backend(|db| {
        let server = Server::start(db, &[]);
        assert_eq!(server.get("/api/snapshot", KEY).status, 404, "no tenant yet");
        blog(&server);
        let first = server.get("/api/snapshot", KEY);
        assert_eq!(first.status, 200);
        assert_eq!(first.header("content-type"), Some("application/vnd.tessera.snapshot"));
        let etag = first.header("etag").unwrap().to_owned();
        let revision: u64 = first.header("x-tessera-revision").unwrap().parse().unwrap();
        // The snapshot verifies with the server's public key and holds the policy.
        let loader = snapshot_loader(&server);
        let (snapshot, info) = loader.open(&first.bytes, now()).unwrap();
        assert_eq!(info.revision, revision);
        assert_eq!(snapshot.policy.tenant(), KEY);
        // ...and with the keys the server publishes, without a client key.
        let published = server.request("GET", "/.well-known/tessera-snapshot-keys.json", &[], None);
        assert_eq!(published.status, 200);
        let published: Value = serde_json::from_slice(&published.bytes).unwrap();
        let keys = published["keys"].as_array().unwrap();
        assert!(keys.iter().all(|k| k.get("d").is_none() && k["kty"] == "OKP"), "public halves only");
        let loader = keys.iter().fold(tessera_core::SnapshotLoader::new(), |l, k| {
            l.trust(tessera_core::VerifyingKey::from_jwk(&k.to_string()).unwrap())
        });
        assert_eq!(loader.open(&first.bytes, now()).unwrap().1.signed_by, info.signed_by);

        let headers =
            |tag: &str| vec![("Authorization", format!("Bearer {KEY}")), ("If-None-Match", tag.to_owned())];
        let unchanged = server.request("GET", "/api/snapshot", &headers(&etag), None);
        assert_eq!(unchanged.status, 304);
        assert!(unchanged.bytes.is_empty());
        assert_eq!(server.request("GET", "/api/snapshot", &headers(&format!("W/{etag}")), None).status, 304);

        assert_eq!(result(&server, "POST", "/api/membership/dave/viewer"), true);
        let changed = server.request("GET", "/api/snapshot", &headers(&etag), None);
        assert_eq!(changed.status, 200, "a write bumps the revision");
        assert!(changed.header("x-tessera-revision").unwrap().parse::<u64>().unwrap() > revision);
        assert_ne!(changed.header("etag").unwrap(), etag);
    });
}

#[test]
fn errors_are_json_and_limits_hold() {
    let db = TestDb::sqlite();
    let server = Server::start(&db, &[("AUTH_RATE_LIMIT_PER_CLIENT", "20")]);
    let missing = server.get("/nope", KEY);
    assert_eq!((missing.status, missing.json["error"].as_str()), (404, Some("ERR_NOT_FOUND")));
    let method = server.call("PUT", "/api/roles", Some(KEY), None);
    assert_eq!(method.status, 405);
    assert_eq!(method.json["success"], false);
    // Without credentials every /api path answers as the gate does: an anonymous
    // caller cannot tell a route from no route.
    for (verb, path) in [("GET", "/api/nope"), ("GET", "/api"), ("PUT", "/api/roles"), ("GET", "/api/roles")]
    {
        let anonymous = server.call(verb, path, None, None);
        assert_eq!(
            (anonymous.status, anonymous.json["error"].as_str()),
            (401, Some("ERR_UNAUTHORIZED")),
            "{verb} {path}"
        );
    }
    assert_eq!(server.get("/api/nope", KEY).status, 404);
    // A settings body must be a JSON object: an array of the fields is refused too.
    let before = server.get("/api/settings", KEY).json["data"]["strict_users"].clone();
    for body in [json!([!before.as_bool().unwrap()]), json!(true), json!("strict"), json!(null)] {
        let refused = server.call("PUT", "/api/settings", Some(KEY), Some(&body));
        assert_eq!(
            (refused.status, refused.json["error"].as_str()),
            (400, Some("ERR_INVALID_BODY")),
            "{body}"
        );
    }
    assert_eq!(server.get("/api/settings", KEY).json["data"]["strict_users"], before, "nothing changed");
    let huge = server.request(
        "POST",
        "/api/apikeys/user/alice",
        &[("Authorization", format!("Bearer {OTHER}"))],
        Some(format!("{{\"label\": \"{}\"}}", "a".repeat(100_000)).into_bytes()),
    );
    assert_eq!(huge.status, 413, "{}", huge.json);
    assert_eq!(huge.json["error"], "ERR_BODY_TOO_LARGE");
    let big_header = server.request("GET", "/ping", &[("X-Filler", "x".repeat(20_000))], None);
    assert_eq!(big_header.status, 431);
    let malformed = server.call("PUT", "/api/settings", Some(OTHER), None);
    assert_eq!(malformed.status, 400);
    // Every answer carries the security headers, errors included.
    for answer in [&missing, &method, &huge, &malformed] {
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
        assert_eq!(
            answer.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
        assert!(answer.header("strict-transport-security").unwrap().starts_with("max-age="));
        assert!(!String::from_utf8_lossy(&answer.bytes).contains("panicked"));
    }
    // The rate limit per client key: 429 with Retry-After, other keys unaffected.
    let mut limited = None;
    for _ in 0..40 {
        let answer = server.get("/api/roles", KEY);
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.expect("the 20-a-minute limit is reached within 40 requests");
    assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(limited.json["error"], "ERR_RATE_LIMITED");
    assert_eq!(server.get("/api/roles", "3c9a7d41-5e2f-4b8c-9d6e-7f0a1b2c3d4e").status, 200);

    // Metrics name routes by their pattern and count decisions.
    let metrics = String::from_utf8(server.call("GET", "/metrics", None, None).bytes).unwrap();
    assert!(
        metrics.contains(r#"tessera_http_requests_total{route="/api/roles",method="GET",status="429"}"#),
        "{metrics}"
    );
    assert!(metrics.contains("tessera_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("tessera_decisions_total"));
}

#[test]
fn the_openapi_document_lists_every_route() {
    let db = TestDb::sqlite();
    let server = Server::start(&db, &[]);
    let document = server.call("GET", "/openapi.json", None, None).json;
    let paths = document["paths"].as_object().unwrap();
    let mut operations = 0;
    // Each documented route exists (a 404 here means the table and the router differ).
    for (path, methods) in paths {
        for method in methods.as_object().unwrap().keys() {
            let concrete = path
                .replace("{role}", "r")
                .replace("{user}", "u")
                .replace("{name}", "p")
                .replace("{workflow}", "w")
                .replace("{key_id}", KEY)
                .replace("{type}", "t")
                .replace("{id}", "i")
                .replace("{group}", "g")
                .replace("{rule}", "r");
            let answer = server.call(&method.to_uppercase(), &concrete, Some(OTHER), None);
            let unrouted = answer.status == 404
                && answer.json["message"].as_str().is_some_and(|m| m.starts_with("No such route"));
            assert!(!unrouted, "{method} {path} is documented but not routed");
            operations += 1;
            assert_ne!(answer.status, 405, "{method} {path}");
            let operation = &methods[method];
            assert!(
                operation["responses"].get(answer.status.to_string()).is_some(),
                "{method} {path} answered {} which it does not document",
                answer.status
            );
            for parameter in operation["parameters"].as_array().unwrap() {
                if parameter["in"] == "path" {
                    assert!(parameter["schema"]["pattern"].is_string(), "{method} {path}: {parameter}");
                }
            }
        }
    }
    assert_eq!(operations, 77, "every route is documented");
}

#[test]
fn cors_follows_the_settings() {
    let db = TestDb::sqlite();
    let preflight = |server: &Server, origin: &str| {
        server.request(
            "OPTIONS",
            "/api/roles",
            &[("Origin", origin.to_owned()), ("Access-Control-Request-Method", "GET".into())],
            None,
        )
    };
    let closed = Server::start(&db, &[]);
    assert_eq!(preflight(&closed, "https://app.example.com").header("access-control-allow-origin"), None);
    drop(closed);
    let listed =
        Server::start(&db, &[("AUTH_ALLOW_CORS", "true"), ("AUTH_CORS_ORIGINS", "https://app.example.com")]);
    let ok = preflight(&listed, "https://app.example.com");
    assert_eq!(ok.header("access-control-allow-origin"), Some("https://app.example.com"));
    assert_eq!(ok.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(preflight(&listed, "https://evil.example.com").header("access-control-allow-origin"), None);
    drop(listed);
    let any = Server::start(&db, &[("AUTH_ALLOW_CORS", "true"), ("AUTH_CORS_ORIGINS", "*")]);
    let open = preflight(&any, "https://anywhere.example.com");
    assert_eq!(open.header("access-control-allow-origin"), Some("*"));
    assert_eq!(open.header("access-control-allow-credentials"), None, "never * with credentials");
    // SIGTERM: a graceful stop, exit code 0.
    assert!(any.stop().success());
}

/// A new tenant is strict unless AUTH_STRICT_USERS_DEFAULT says otherwise (Auth 3.x);
/// strict users travel in the snapshot, so a snapshot answers as the server does, and
/// a key that expires takes its user out of both without any write.
#[test]
fn strict_users_by_default_and_decided_from_the_snapshot() {
    let db = TestDb::sqlite();
    let server = Server::start(&db, &[("AUTH_STRICT_USERS_DEFAULT", "true")]);
    assert_eq!(data(&server, "/api/settings"), json!({"strict_users": true}));
    for path in ["/api/role/viewer", "/api/permission/viewer/posts:read"] {
        assert_eq!(server.post(path, KEY).status, 200, "{path}");
    }
    let refused = server.post("/api/membership/alice/viewer", KEY);
    assert_eq!((refused.status, &refused.json["reason"]), (409, &json!("user_not_key_backed")));
    // Long enough for the writes and reads below on a stalled machine; the sleep
    // further down waits for exactly the rest.
    let expires = now() + 10;
    let key = server.call(
        "POST",
        "/api/apikeys/user/alice",
        Some(KEY),
        Some(&json!({"expires_at": unix_iso(expires)})),
    );
    assert_eq!(key.status, 200, "{}", key.json);
    assert_eq!(server.post("/api/membership/alice/viewer", KEY).status, 200);
    assert_eq!(data(&server, "/api/has_permission/alice/posts:read")["has_permission"], true);
    let bob = data(&server, "/api/has_permission/bob/posts:read");
    assert_eq!(
        (&bob["has_permission"], &bob["decision"]["reason"]),
        (&json!(false), &json!("user_not_key_backed"))
    );

    let loader = snapshot_loader(&server);
    let snapshot_says = |user: &str| {
        let served = server.get("/api/snapshot", KEY);
        let loaded = loader.load(&served.bytes, now(), None).unwrap();
        let reason = loaded.authorizer_at(now()).unwrap().check(user, "posts:read").unwrap().reason().name();
        (reason, served.header("etag").unwrap().to_owned())
    };
    let (alice, before) = snapshot_says("alice");
    assert_eq!(alice, "granted");
    assert_eq!(snapshot_says("bob").0, "user_not_key_backed");

    // The key expires: no write, yet alice is strict-blocked, here and in the snapshot.
    std::thread::sleep(Duration::from_secs(u64::try_from(expires - now()).unwrap_or(0) + 1));
    let alice = data(&server, "/api/has_permission/alice/posts:read");
    assert_eq!(alice["reason"], "user_not_key_backed", "{alice}");
    let (reason, after) = snapshot_says("alice");
    assert_eq!(reason, "user_not_key_backed");
    assert_ne!(before, after, "a changed snapshot has a new entity tag");

    // A stored setting wins over the default.
    server.call("PUT", "/api/settings", Some(KEY), Some(&json!({"strict_users": false})));
    assert_eq!(data(&server, "/api/has_permission/alice/posts:read")["has_permission"], true);
    assert_eq!(snapshot_says("alice").0, "granted");
    drop(server);
    let lenient = Server::start(&db, &[]);
    assert_eq!(data(&lenient, "/api/settings"), json!({"strict_users": false}));
    let other = lenient.get("/api/settings", OTHER);
    assert_eq!(other.json["data"], json!({"strict_users": false}), "AUTH_STRICT_USERS_DEFAULT=false");
}

/// `AUTH_AUDIT_DURABLE`: an audited decision is answered only after its record
/// commits, and withheld (503, not a decision) when the record cannot be written.
#[test]
fn durable_decision_records_come_before_the_answer() {
    let db = TestDb::sqlite();
    let server = Server::start(&db, &[("AUTH_AUDIT_DURABLE", "true")]);
    for path in ["/api/role/editor", "/api/permission/editor/posts:edit", "/api/membership/alice/editor"] {
        assert_eq!(server.post(path, KEY).status, 200, "{path}");
    }
    // Denied checks are audited: each is in the log by the time it is answered.
    let users: Vec<String> = (0..16).map(|i| format!("user-{i}")).collect();
    std::thread::scope(|scope| {
        for user in &users {
            let server = &server;
            scope.spawn(move || {
                let denied = data(server, &format!("/api/has_permission/{user}/posts:edit"));
                assert_eq!(denied["has_permission"], false);
                let audit = data(server, "/api/audit?action=check&limit=100");
                let entities = audit["entries"].to_string();
                assert!(
                    entities.contains(&format!("\"{user}\"")),
                    "{user}'s check is not in the log: {audit}"
                );
            });
        }
    });
    db.sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
    let withheld = server.get("/api/has_permission/mallory/posts:edit", KEY);
    assert_eq!(
        (withheld.status, &withheld.json["error"]),
        (503, &json!("ERR_AUDIT_UNAVAILABLE")),
        "{}",
        withheld.json
    );
    // An allowed check is not audited (AUTH_AUDIT_CHECKS is off): it is answered.
    assert_eq!(data(&server, "/api/has_permission/alice/posts:edit")["has_permission"], true);
    db.sql("DROP TRIGGER refuse_audit;");
    assert_eq!(data(&server, "/api/has_permission/mallory/posts:edit")["has_permission"], false);
}

#[test]
fn suspicious_input_becomes_a_security_event_only_when_authenticated() {
    let db = TestDb::sqlite();
    let server = Server::start(&db, &[]);
    assert_eq!(result(&server, "POST", "/api/role/viewer"), true);
    let attack = "/api/has_permission/alice/%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    assert_eq!(server.call("GET", attack, None, None).status, 401);
    assert_eq!(server.get(attack, KEY).status, 400);
    assert_eq!(server.get("/api/user_roles/..%2F..%2Fetc%2Fpasswd", KEY).status, 400);
    let events = data(&server, "/api/audit?action=security.suspicious_input");
    assert_eq!(events["total"], 2, "{events}");
    assert_eq!(events["entries"][1]["success"], false);
    assert!(events["entries"][1]["details"]["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

#[test]
fn two_servers_on_one_postgres_agree_within_a_second() {
    let Some(db) = TestDb::postgres() else { return };
    let first = Server::start(&db, &[]);
    // The same keyring, as a deployment shares its keys.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(first.dir.path().join("keyring.json"), dir.path().join("keyring.json")).unwrap();
    let second = Server::start_in(&db, dir, &[]);
    blog(&first);
    assert_eq!(second.get("/api/has_permission/dave/posts:read", KEY).json["data"]["has_permission"], false);
    let before: u64 = second.get("/api/snapshot", KEY).header("x-tessera-revision").unwrap().parse().unwrap();

    assert_eq!(result(&first, "POST", "/api/membership/dave/viewer"), true);
    let written = Instant::now();
    loop {
        let answer = second.get("/api/has_permission/dave/posts:read", KEY);
        if answer.json["data"]["has_permission"] == true {
            break;
        }
        // Propagation takes milliseconds (printed below); the limit only catches a
        // server that never sees the write, with room for a stalled 2-core machine.
        assert!(written.elapsed() < Duration::from_secs(10), "the second server still denies after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let seen = written.elapsed();
    let after: u64 = second.get("/api/snapshot", KEY).header("x-tessera-revision").unwrap().parse().unwrap();
    assert!(after > before);
    eprintln!("the second server saw the write after {seen:?}");
    // And the other way round, for a removal.
    assert_eq!(result(&second, "DELETE", "/api/membership/dave/viewer"), true);
    let written = Instant::now();
    while first.get("/api/has_permission/dave/posts:read", KEY).json["data"]["has_permission"] == true {
        assert!(written.elapsed() < Duration::from_secs(10), "the first server still allows after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Graceful shutdown on SIGTERM.
    assert!(second.stop().success());
}

/// A loader trusting the server's snapshot keys, read from its keyring.
fn snapshot_loader(server: &Server) -> tessera_core::SnapshotLoader {
    let keyring = tessera_store::keyring::Keyring::load(&server.dir.path().join("keyring.json")).unwrap();
    keyring.snapshot_keys().unwrap().into_iter().fold(tessera_core::SnapshotLoader::new(), |l, k| l.trust(k))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// `2026-12-01T09:30:00Z` for `time` (seconds since the epoch).
fn unix_iso(time: i64) -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{time}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn post_json(server: &Server, path: &str, body: Value) -> common::server::Answer {
    server.call("POST", path, Some(KEY), Some(&body))
}

#[test]
fn tokens_password_and_api_key_grants_refresh_rotation_and_revocation() {
    each_backend(|db| {
        let server = Server::start(db, &[("AUTH_LOGIN_MAX_ATTEMPTS", "3")]);
        blog(&server);
        // Passwords follow the seed's rule.
        for weak in ["short1A", "alllowercase1", "ALLUPPERCASE1", "NoDigitsHere"] {
            let refused =
                server.call("PUT", "/api/users/alice/password", Some(KEY), Some(&json!({"password": weak})));
            assert_eq!(
                (refused.status, refused.json["error"].as_str()),
                (400, Some("ERR_WEAK_PASSWORD")),
                "{weak}"
            );
        }
        let set = server.call(
            "PUT",
            "/api/users/alice/password",
            Some(KEY),
            Some(&json!({"password": "Correct1horse"})),
        );
        assert_eq!(set.status, 200, "{}", set.json);

        let login = |password: &str| {
            post_json(
                &server,
                "/api/token",
                json!({"grant_type": "password", "username": "alice", "password": password}),
            )
        };
        let tokens = login("Correct1horse");
        assert_eq!(tokens.status, 200, "{}", tokens.json);
        assert_eq!(tokens.json["token_type"], "Bearer");
        assert_eq!(tokens.json["expires_in"], 900);
        assert_eq!(tokens.json["refresh_expires_in"], 7 * 86_400);
        let access = tokens.json["access_token"].as_str().unwrap().to_owned();
        let refresh = tokens.json["refresh_token"].as_str().unwrap().to_owned();

        // The access token decides through the guest; the JWKS verifies it.
        let authorize = |token: &str, permission: &str| {
            post_json(&server, "/api/authorize", json!({"token": token, "permission": permission})).json
        };
        let allowed = authorize(&access, "posts:edit");
        assert_eq!(
            (allowed["allowed"].as_bool(), allowed["subject"].as_str()),
            (Some(true), Some("alice")),
            "{allowed}"
        );
        assert_eq!(authorize(&access, "posts:delete")["reason"], "denied");
        assert!(
            authorize(&refresh, "posts:edit")["reason"].as_str().unwrap().starts_with("ERR_"),
            "a refresh token is no access token"
        );
        assert!(authorize("not.a.token", "posts:edit")["reason"].as_str().unwrap().starts_with("ERR_"));
        // Another tenant refuses this tenant's token (its audience is the tenant's).
        let foreign = server.call("POST", "/api/role/viewer", Some(OTHER), None);
        assert_eq!(foreign.status, 200);
        let elsewhere = server.call(
            "POST",
            "/api/authorize",
            Some(OTHER),
            Some(&json!({"token": access, "permission": "posts:read"})),
        );
        assert_eq!(elsewhere.json["allowed"], false);
        assert_eq!(elsewhere.json["reason"], "ERR_TOKEN_WRONG_AUDIENCE", "{}", elsewhere.json);
        let jwks = server.call("GET", "/.well-known/jwks.json", None, None).json;
        let keys = tessera_core::KeySet::from_jwks(&jwks.to_string()).unwrap();
        let options = tessera_core::ValidationOptions {
            issuers: vec!["tessera".into()],
            audiences: vec!["tessera".into()],
            ..Default::default()
        };
        assert_eq!(
            tessera_core::verify_token(&access, &keys, &options, now()).unwrap().subject.as_deref(),
            Some("alice")
        );
        assert!(!jwks.to_string().contains("\"d\""), "no private parts in the JWKS");

        // Refresh rotation: the new pair works, the old refresh token is used up, and
        // presenting it again revokes the whole family (the new one too).
        let rotate = |token: &str| post_json(&server, "/api/token/refresh", json!({"refresh_token": token}));
        let second = rotate(&refresh);
        assert_eq!(second.status, 200, "{}", second.json);
        let refresh2 = second.json["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(refresh2, refresh);
        assert_eq!(authorize(second.json["access_token"].as_str().unwrap(), "posts:edit")["allowed"], true);
        let reuse = rotate(&refresh);
        assert_eq!((reuse.status, reuse.json["error"].as_str()), (401, Some("ERR_TOKEN_REUSED")));
        assert_eq!(rotate(&refresh2).status, 401, "the family is revoked");
        assert_eq!(rotate("garbage").status, 401);

        // Revocation: a refresh token's family; an access token until it expires.
        let fresh = login("Correct1horse");
        let (access3, refresh3) = (
            fresh.json["access_token"].as_str().unwrap().to_owned(),
            fresh.json["refresh_token"].as_str().unwrap().to_owned(),
        );
        assert_eq!(post_json(&server, "/api/token/revoke", json!({"token": refresh3})).status, 200);
        assert_eq!(rotate(&refresh3).status, 401);
        assert_eq!(post_json(&server, "/api/token/revoke", json!({"token": access3})).status, 200);
        assert_eq!(authorize(&access3, "posts:edit")["reason"], "ERR_TOKEN_REVOKED");
        assert_eq!(
            post_json(&server, "/api/token/revoke", json!({"token": "whatever"})).status,
            200,
            "RFC 7009"
        );

        // API-key grant.
        let created = server.call("POST", "/api/apikeys/user/bob", Some(KEY), Some(&json!({})));
        let secret = created.json["data"]["api_key"].as_str().unwrap();
        let by_key = post_json(&server, "/api/token", json!({"grant_type": "api_key", "api_key": secret}));
        assert_eq!(by_key.status, 200, "{}", by_key.json);
        assert_eq!(authorize(by_key.json["access_token"].as_str().unwrap(), "posts:read")["subject"], "bob");
        let bad_key = post_json(
            &server,
            "/api/token",
            json!({"grant_type": "api_key", "api_key": format!("rak_{}", "1".repeat(43))}),
        );
        assert_eq!(bad_key.status, 401);
        assert_eq!(
            post_json(&server, "/api/token", json!({"grant_type": "magic"})).json["error"],
            "ERR_UNSUPPORTED_GRANT_TYPE"
        );

        // Lockout after 3 wrong passwords (set for this test); even the right one is
        // refused while it lasts; unknown users get the same answer as wrong passwords.
        assert_eq!(login("Wrong1pass").status, 401);
        assert_eq!(login("Wrong1pass").status, 401);
        let locked = login("Wrong1pass");
        assert_eq!(
            (locked.status, locked.json["error"].as_str()),
            (403, Some("ERR_ACCOUNT_LOCKED")),
            "{}",
            locked.json
        );
        assert!(locked.header("retry-after").unwrap().parse::<i64>().unwrap() > 1700);
        assert_eq!(login("Correct1horse").json["error"], "ERR_ACCOUNT_LOCKED");
        let nobody = post_json(
            &server,
            "/api/token",
            json!({"grant_type": "password", "username": "nobody", "password": "Correct1horse"}),
        );
        assert_eq!((nobody.status, nobody.json["error"].as_str()), (401, Some("ERR_INVALID_GRANT")));
        // A new password lifts the lockout.
        server.call(
            "PUT",
            "/api/users/alice/password",
            Some(KEY),
            Some(&json!({"password": "Another1horse"})),
        );
        assert_eq!(login("Another1horse").status, 200);

        // Removing the password ends password logins.
        assert_eq!(server.delete("/api/users/alice/password", KEY).json["result"], true);
        assert_eq!(login("Another1horse").status, 401);
        assert_eq!(server.delete("/api/users/alice/password", KEY).json["result"], false);

        // Audited, and counted.
        let audit = data(&server, "/api/audit?action=login.locked");
        assert_eq!(audit["total"], 1);
        assert_eq!(data(&server, "/api/audit?action=token.reuse")["total"], 1);
        let metrics = String::from_utf8(server.call("GET", "/metrics", None, None).bytes).unwrap();
        assert!(metrics.contains(r#"tessera_token_failures_total{code="ERR_TOKEN_REUSED"} 1"#), "{metrics}");
        assert!(metrics.contains(r#"tessera_token_failures_total{code="ERR_ACCOUNT_LOCKED"}"#));
    });
}

#[test]
fn hs256_tokens_from_auth_jwt_secret_key() {
    let db = TestDb::sqlite();
    let secret = "q8Vt3rN1xW7zK2mP5sY9bC4fH6jL0aE3";
    let server =
        Server::start(&db, &[("AUTH_JWT_SECRET_KEY", secret), ("AUTH_JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "5")]);
    blog(&server);
    server.call("PUT", "/api/users/bob/password", Some(KEY), Some(&json!({"password": "Correct1horse"})));
    let tokens = post_json(
        &server,
        "/api/token",
        json!({"grant_type": "password", "username": "bob", "password": "Correct1horse"}),
    );
    assert_eq!(tokens.json["expires_in"], 300);
    let access = tokens.json["access_token"].as_str().unwrap();
    let header = String::from_utf8(base64url(access.split('.').next().unwrap())).unwrap();
    assert!(header.contains(r#""alg":"HS256""#), "{header}");
    let decided = post_json(&server, "/api/authorize", json!({"token": access, "permission": "posts:read"}));
    assert_eq!(decided.json["allowed"], true, "{}", decided.json);
    // The secret is never published.
    let jwks = server.call("GET", "/.well-known/jwks.json", None, None);
    assert!(!String::from_utf8_lossy(&jwks.bytes).contains("oct"));
}

fn base64url(text: &str) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode_vec(text).unwrap()
}

#[test]
fn native_tls_with_a_certificate_made_here_and_https_required_behind_a_proxy() {
    let db = TestDb::sqlite();
    let secure = Server::start_tls(&db, &[("AUTH_REQUIRE_HTTPS", "true")]);
    assert!(secure.base.starts_with("https://localhost:"), "{}", secure.base);
    assert_eq!(secure.call("GET", "/ping", None, None).json, json!({"message": "PONG"}));
    assert_eq!(result(&secure, "POST", "/api/role/viewer"), true, "HTTPS is HTTPS: allowed");
    // Plain HTTP to the TLS port is no request at all.
    let plain = secure.base.replace("https://", "http://");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let answered = agent.get(&format!("{plain}/ping")).call();
    assert!(answered.map_or(true, |r| !r.status().is_success()), "plain HTTP on the TLS port gets no answer");
    drop(secure);

    // Behind a proxy: plain HTTP, trusted only with X-Forwarded-Proto: https.
    let proxied = Server::start(&db, &[("AUTH_REQUIRE_HTTPS", "true")]);
    let bare = proxied.get("/api/roles", KEY);
    assert_eq!((bare.status, bare.json["error"].as_str()), (403, Some("ERR_HTTPS_REQUIRED")));
    let forwarded = proxied.request(
        "GET",
        "/api/roles",
        &[("Authorization", format!("Bearer {KEY}")), ("X-Forwarded-Proto", "https".into())],
        None,
    );
    assert_eq!(forwarded.status, 200, "{}", forwarded.json);
    assert_eq!(proxied.call("GET", "/health", None, None).status, 200, "probes stay on plain HTTP");
}

#[test]
fn served_snapshots_can_be_encrypted_with_the_data_key() {
    let db = TestDb::sqlite();
    let key_b64 = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=";
    let server =
        Server::start(&db, &[("AUTH_SNAPSHOT_ENCRYPTION", "true"), ("AUTH_ENCRYPTION_KEY", key_b64)]);
    blog(&server);
    // Decisions are unaffected (the guest's own copy is only signed).
    assert_eq!(data(&server, "/api/has_permission/alice/posts:edit")["has_permission"], true);
    let served = server.get("/api/snapshot", KEY);
    assert_eq!(served.status, 200);
    let keyring = tessera_store::keyring::Keyring::load(&server.dir.path().join("keyring.json")).unwrap();
    let trusting = || {
        keyring
            .snapshot_keys()
            .unwrap()
            .into_iter()
            .fold(tessera_core::SnapshotLoader::new(), |l, k| l.trust(k))
    };
    let refused = trusting().open(&served.bytes, now()).unwrap_err();
    assert!(
        format!("{refused:?}").to_lowercase().contains("encrypt") || format!("{refused}").contains("key"),
        "{refused}"
    );
    let data_key = tessera_core::EncryptionKey::from_base64(key_b64).unwrap();
    let (snapshot, info) = trusting().decrypt_with(data_key).open(&served.bytes, now()).unwrap();
    assert_eq!(snapshot.policy.tenant(), KEY);
    assert!(info.encrypted_with.is_some());
    // Without a data key the server refuses to start rather than serve in the clear.
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("AUTH_DATA_DIR", dir.path())
        .env("AUTH_SNAPSHOT_ENCRYPTION", "true")
        .env_remove("AUTH_ENCRYPTION_KEY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("AUTH_SNAPSHOT_ENCRYPTION"));
}

#[test]
fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let db = TestDb::sqlite();
    let via = |server: &Server, client: &str, path: &str| {
        server.request(
            "POST",
            path,
            &[
                ("Authorization", format!("Bearer {KEY}")),
                ("X-Forwarded-For", format!("{client}, 127.0.0.1")),
            ],
            None,
        )
    };
    // Not trusted: the header is ignored, the peer is the client.
    let direct = Server::start(&db, &[]);
    assert_eq!(via(&direct, "203.0.113.7", "/api/role/spoofed").status, 200);
    let actor = data(&direct, "/api/audit?action=role.add")["entries"][0]["user"].clone();
    assert_eq!(actor, "http:127.0.0.1");
    drop(direct);

    // Trusted: the forwarded client is named in the audit log and rate-limited alone.
    let proxied =
        Server::start(&db, &[("AUTH_TRUSTED_PROXIES", "127.0.0.1"), ("AUTH_RATE_LIMIT_PER_IP", "5")]);
    assert_eq!(via(&proxied, "203.0.113.7", "/api/role/forwarded").status, 200);
    let actor = data(&proxied, "/api/audit?action=role.add")["entries"][0]["user"].clone();
    assert_eq!(actor, "http:203.0.113.7");
    let statuses: Vec<u16> = (0..6).map(|_| via(&proxied, "203.0.113.7", "/api/role/again").status).collect();
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert_eq!(
        via(&proxied, "203.0.113.8", "/api/role/other").status,
        200,
        "another client has its own bucket"
    );
}

/// No secret reaches the audit log, the process log or the database: the client keys
/// (old and rotated), an API key, a password (right and wrong) and the tokens are
/// used in every way the API offers, then searched for in the audit API's answers,
/// everything the server logged at debug level, and the SQLite files.
#[test]
fn no_secret_reaches_the_audit_log_the_process_log_or_the_database() {
    each_backend(|db| {
        let server = Server::start(db, &[("RUST_LOG", "debug"), ("AUTH_AUDIT_CHECKS", "true")]);
        blog(&server);
        let created =
            server.call("POST", "/api/apikeys/user/alice", Some(KEY), Some(&json!({"label": "scan"})));
        let api_key = created.json["data"]["api_key"].as_str().unwrap().to_owned();
        for body in [json!({"api_key": api_key}), json!({"api_key": api_key, "permission": "posts:edit"})] {
            assert_eq!(server.call("POST", "/api/apikeys/validate", Some(KEY), Some(&body)).status, 200);
        }
        let check = json!({"api_key": api_key, "permission": "posts:edit"});
        assert_eq!(server.call("POST", "/api/apikeys/check_permission", Some(KEY), Some(&check)).status, 200);
        let (password, wrong) = ("Correct1horse", "Wrong1horse99");
        let set = json!({"password": password});
        assert_eq!(server.call("PUT", "/api/users/alice/password", Some(KEY), Some(&set)).status, 200);
        let login = |password: &str| {
            post_json(
                &server,
                "/api/token",
                json!({"grant_type": "password", "username": "alice", "password": password}),
            )
        };
        assert_eq!(login(wrong).status, 401);
        let tokens = login(password).json;
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(
            post_json(&server, "/api/authorize", json!({"token": access, "permission": "posts:edit"})).status,
            200
        );
        let forged = format!("{access}x");
        post_json(&server, "/api/authorize", json!({"token": forged, "permission": "posts:edit"}));
        let refreshed = post_json(&server, "/api/token/refresh", json!({"refresh_token": refresh})).json;
        let refresh2 = refreshed["refresh_token"].as_str().unwrap_or_default().to_owned();
        post_json(&server, "/api/token/refresh", json!({"refresh_token": refresh}));
        let rotated = server.call("POST", "/api/keys/rotate", Some(KEY), None);
        let new_key = rotated.json["data"]["new_key"].as_str().unwrap().to_owned();
        assert_eq!(server.call("POST", "/api/role/auditor", Some(&new_key), None).status, 200);
        assert_eq!(
            server.call("POST", "/api/role/again", Some(KEY), None).status,
            200,
            "the old key is a new namespace"
        );

        // The failed sign-in and the refused token are security events in the log. The
        // decision events are written by a queue: wait for them. They were made under the
        // old key and land in the tenant's chain all the same.
        let start = std::time::Instant::now();
        let mut events = Value::Null;
        while start.elapsed() < Duration::from_secs(10) {
            events = server.get("/api/audit?limit=500", &new_key).json["data"]["entries"].clone();
            let failed = |action: &str| {
                events.as_array().unwrap().iter().any(|e| e["action"] == action && e["success"] == false)
            };
            if failed("login.refused") && failed("authorize") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let failed = |action: &str| {
            events.as_array().unwrap().iter().any(|e| e["action"] == action && e["success"] == false)
        };
        assert!(failed("login.refused") && failed("authorize"), "{events}");
        let mut seen = String::new();
        for key in [KEY, new_key.as_str()] {
            let audit = server.get("/api/audit?limit=500", key);
            assert_eq!(audit.status, 200);
            assert!(audit.json["data"]["total"].as_i64().unwrap() > 1, "{}", audit.json);
            seen.push_str(&audit.json.to_string());
        }
        let snapshot = server.get("/api/snapshot", &new_key);
        seen.push_str(snapshot.header("etag").unwrap_or_default());
        seen.push_str(&server.stop_with_log());
        assert!(seen.contains("role.add"), "the log and the audit were read");
        let mut files = Vec::new();
        if let Some(path) = db.sqlite_path() {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = path.clone().into_os_string();
                name.push(suffix);
                files.extend(std::fs::read(&name).unwrap_or_default());
            }
            assert!(files.len() > 4096, "the database was read");
        }
        let secrets = [
            KEY,
            new_key.as_str(),
            api_key.as_str(),
            password,
            wrong,
            access.as_str(),
            refresh.as_str(),
            refresh2.as_str(),
        ];
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(
                !seen.contains(secret),
                "{}: `{secret}` is in the audit API's answers, the ETag or the log",
                db.name
            );
            let found = files.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{}: `{secret}` is in the database files", db.name);
        }
    });
}

fn send(server: &Server, method: &str, path: &str, body: Value) -> common::server::Answer {
    server.call(method, path, Some(KEY), Some(&body))
}

/// The shared drive of examples/shared-drive, written route by route.
#[test]
fn the_resource_model_is_managed_and_decided_over_http() {
    each_backend(|db| {
        let server = Server::start(db, &[]);
        blog(&server);
        let ok = |answer: common::server::Answer| {
            assert_eq!(answer.status, 200, "{}", answer.json);
            answer.json["data"].clone()
        };
        ok(send(&server, "PUT", "/api/types/folder", json!({"actions": ["read", "write"]})));
        ok(send(&server, "PUT", "/api/types/document", json!({"actions": ["read", "edit", "delete"]})));
        ok(send(&server, "PUT", "/api/resources/folder/eng", json!({"attributes": {"archived": false}})));
        ok(send(&server, "PUT", "/api/resources/folder/old", json!({"attributes": {"archived": true}})));
        let roadmap = json!({"parents": ["folder:eng"], "attributes": {"owner": "dave", "pages": 12}});
        let stored = ok(send(&server, "PUT", "/api/resources/document/roadmap", roadmap.clone()));
        assert_eq!(stored["changed"], true);
        let again = ok(send(&server, "PUT", "/api/resources/document/roadmap", roadmap.clone()));
        assert_eq!((&again["changed"], &again["revision"]), (&json!(false), &stored["revision"]));
        ok(send(
            &server,
            "PUT",
            "/api/resources/document/notes",
            json!({"parents": ["folder:old"], "attributes": {"archived": true}}),
        ));
        ok(send(&server, "PUT", "/api/groups/eng", json!({"members": ["dave", "erin"]})));
        ok(send(&server, "PUT", "/api/users/erin/attributes", json!({"attributes": {"level": 3}})));
        ok(send(
            &server,
            "POST",
            "/api/grants",
            json!({"group": "eng", "role": "viewer", "on": "folder:eng"}),
        ));
        ok(send(
            &server,
            "POST",
            "/api/grants",
            json!({"user": "erin", "role": "editor", "on": "folder:old"}),
        ));
        ok(send(&server, "POST", "/api/permission/viewer/document:read", json!({})));
        ok(send(&server, "POST", "/api/permission/editor/document:edit", json!({})));
        let owners =
            json!({"effect": "permit", "actions": ["document:edit"], "when": "resource.owner == subject.id"});
        ok(send(&server, "PUT", "/api/rules/owners-edit", owners));
        let archived = json!({"effect": "forbid", "actions": ["document:edit", "document:delete"],
                              "when": "resource.archived == true"});
        ok(send(&server, "PUT", "/api/rules/archived-frozen", archived));
        assert_eq!(ok(server.get("/api/resources/document/roadmap", KEY))["entry"], roadmap);
        let documents = ok(server.get("/api/resources?type=document", KEY));
        let keys: Vec<&str> =
            documents["entries"].as_array().unwrap().iter().map(|e| e["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["document:notes", "document:roadmap"]);
        assert_eq!(ok(server.get("/api/grants?user=erin", KEY))["count"], 1);

        // Decisions come from the snapshot, which follows every write.
        let check = |subject: &str, action: &str, id: &str| {
            let request =
                json!({"subject": subject, "action": action, "resource": {"type": "document", "id": id}});
            ok(send(&server, "POST", "/api/check", request))
        };
        let dave = check("dave", "edit", "roadmap");
        assert_eq!(
            (&dave["allowed"], &dave["reason"], &dave["rule"]),
            (&json!(true), &json!("permitted"), &json!("owners-edit"))
        );
        let erin = check("erin", "read", "roadmap");
        assert_eq!(
            (&erin["reason"], &erin["role"], &erin["on"]),
            (&json!("granted"), &json!("viewer"), &json!("folder:eng"))
        );
        let frozen = check("erin", "edit", "notes");
        assert_eq!((&frozen["allowed"], &frozen["rule"]), (&json!(false), &json!("archived-frozen")));
        let found = ok(send(
            &server,
            "POST",
            "/api/search",
            json!({"search": "resources", "subject": "erin", "action": "read", "type": "document", "page": {"limit": 1}}),
        ));
        assert_eq!(found, json!({"items": ["notes"], "next": "notes"}));
        let found = ok(send(
            &server,
            "POST",
            "/api/search",
            json!({"search": "subjects", "action": "edit", "resource": {"type": "document", "id": "roadmap"}}),
        ));
        assert_eq!(
            found["items"],
            json!(["alice", "carol@example.com", "dave"]),
            "editors tenant-wide; dave owns it"
        );

        // Refusals name the problem and change nothing.
        let revision = server.get("/api/snapshot", KEY).header("x-tessera-revision").unwrap().to_owned();
        let refused = [
            (
                send(
                    &server,
                    "POST",
                    "/api/grants",
                    json!({"user": "erin", "role": "viewer", "on": "document:nowhere"}),
                ),
                400,
                "ERR_POLICY_UNKNOWN_RESOURCE",
            ),
            (send(&server, "PUT", "/api/resources/video/intro", json!({})), 400, "ERR_POLICY_UNKNOWN_TYPE"),
            (
                send(&server, "PUT", "/api/resources/folder/eng", json!({"parents": ["document:roadmap"]})),
                400,
                "ERR_POLICY_CYCLE",
            ),
            (
                send(
                    &server,
                    "PUT",
                    "/api/rules/bad",
                    json!({"effect": "permit", "actions": ["document:edit"], "when": "resource.pages > 3 && \"many\" == 3"}),
                ),
                400,
                "ERR_POLICY_CONDITION",
            ),
            (
                send(
                    &server,
                    "PUT",
                    "/api/rules/bad",
                    json!({"id": "other", "effect": "permit", "actions": ["*"]}),
                ),
                400,
                "ERR_INVALID_BODY",
            ),
            (send(&server, "PUT", "/api/types/folder", json!({"actions": "read"})), 400, "ERR_INVALID_BODY"),
            (
                send(&server, "PUT", "/api/groups/eng", json!({"members": ["dave"], "colour": "red"})),
                400,
                "ERR_INVALID_BODY",
            ),
            (send(&server, "DELETE", "/api/types/document", json!({})), 409, "ERR_IN_USE"),
            (send(&server, "DELETE", "/api/resources/folder/eng", json!({})), 409, "ERR_IN_USE"),
            (server.delete("/api/rules/nothing", KEY), 404, "ERR_NOT_FOUND"),
            (
                send(
                    &server,
                    "PUT",
                    "/api/rules/twice",
                    json!({"effect": "permit", "actions": ["*"], "id": "twice"}),
                ),
                400,
                "ERR_INVALID_BODY",
            ),
            (
                server.request(
                    "PUT",
                    "/api/rules/twice",
                    &[("Authorization", format!("Bearer {KEY}"))],
                    Some(br#"{"effect": "forbid", "actions": ["*"], "effect": "permit"}"#.to_vec()),
                ),
                400,
                "ERR_INVALID_BODY",
            ),
            (server.delete("/api/grants?role=viewer&on=folder:eng", KEY), 400, "ERR_INVALID_REQUEST"),
            (
                server.delete("/api/grants?user=erin&group=eng&role=viewer&on=folder:eng", KEY),
                400,
                "ERR_INVALID_REQUEST",
            ),
            (server.get("/api/grants?on=Folder:eng", KEY), 400, "ERR_INVALID_IDENTIFIER"),
            (server.get("/api/resources/document/nothing", KEY), 404, "ERR_NOT_FOUND"),
            (
                send(
                    &server,
                    "POST",
                    "/api/check",
                    json!({"subject": "dave", "action": "edit", "attributes": {"context": {"mfa": true}}}),
                ),
                400,
                "ERR_INVALID_ARGUMENT",
            ),
            (
                send(
                    &server,
                    "POST",
                    "/api/search",
                    json!({"search": "resources", "subject": "dave", "type": "document"}),
                ),
                400,
                "ERR_INVALID_ARGUMENT",
            ),
            (
                send(&server, "POST", "/api/check", json!({"subject": "da ve", "action": "edit"})),
                400,
                "ERR_INVALID_IDENTIFIER",
            ),
        ];
        for (answer, status, code) in refused {
            assert_eq!(
                (answer.status, answer.json["error"].as_str()),
                (status, Some(code)),
                "{}",
                answer.json
            );
            assert!(!answer.json["message"].as_str().unwrap().is_empty());
        }
        assert_eq!(server.get("/api/snapshot", KEY).header("x-tessera-revision").unwrap(), revision);
        let role = server.delete("/api/role/viewer", KEY);
        assert_eq!((role.status, role.json["error"].as_str()), (409, Some("ERR_IN_USE")), "{}", role.json);

        // Deleting in order works; each write is in the audit log.
        for path in [
            "/api/grants?user=erin&role=editor&on=folder:old",
            "/api/resources/document/notes",
            "/api/resources/folder/old",
        ] {
            assert_eq!(server.delete(path, KEY).status, 200, "{path}");
        }
        let erin = check("erin", "edit", "roadmap");
        assert_eq!(erin["allowed"], false);
        // Another client key sees none of it, and an unused one is answered as empty.
        let unused = server.call("POST", "/api/check", Some(OTHER),
            Some(&json!({"subject": "dave", "action": "read", "resource": {"type": "document", "id": "roadmap"}})));
        assert_eq!(unused.json["data"], json!({"allowed": false, "reason": "no_matching_grant"}));
        let unused = server.call(
            "POST",
            "/api/search",
            Some(OTHER),
            Some(&json!({"search": "resources", "subject": "dave", "action": "read", "type": "document"})),
        );
        assert_eq!(unused.json["data"], json!({"items": []}));
        assert_eq!(server.get("/api/resources", OTHER).json["data"]["count"], 0);
        // And still refuses what breaks a rule.
        let refused = server.call(
            "POST",
            "/api/check",
            Some(OTHER),
            Some(&json!({"subject": "da ve", "action": "read"})),
        );
        assert_eq!((refused.status, refused.json["error"].as_str()), (400, Some("ERR_INVALID_IDENTIFIER")));
        let audit = data(&server, "/api/audit?action=resource.delete");
        let deleted: Vec<&str> =
            audit["entries"].as_array().unwrap().iter().map(|e| e["resource"].as_str().unwrap()).collect();
        assert_eq!(deleted, ["folder:old", "document:notes"], "{audit}");
    });
}

/// `GET /api/snapshot/subject`: a signed-in user gets their own slice, bound to them
/// and short-lived, with the user's access token and never the client key; nothing in
/// it (or in the token) names the client key or another user.
#[test]
fn signed_in_users_get_their_own_subject_snapshot() {
    each_backend(|db| {
        let server = Server::start(
            db,
            &[
                ("AUTH_SUBJECT_SNAPSHOT_TTL", "120"),
                ("AUTH_ALLOW_CORS", "true"),
                ("AUTH_CORS_ORIGINS", "https://app.example.com"),
            ],
        );
        blog(&server);
        for user in ["alice", "bob"] {
            let path = format!("/api/users/{user}/password");
            let set = server.call("PUT", &path, Some(KEY), Some(&json!({"password": "Correct1horse"})));
            assert_eq!(set.status, 200, "{}", set.json);
        }
        let login = |user: &str| {
            let body = json!({"grant_type": "password", "username": user, "password": "Correct1horse"});
            let tokens = post_json(&server, "/api/token", body).json;
            (
                tokens["access_token"].as_str().unwrap().to_owned(),
                tokens["refresh_token"].as_str().unwrap().to_owned(),
            )
        };
        let (alice, alice_refresh) = login("alice");
        // The token names its tenant by the key's digest, never by the key.
        let payload = alice.split('.').nth(1).unwrap();
        use base64ct::Encoding as _;
        let claims = String::from_utf8(base64ct::Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap();
        assert!(!claims.contains(KEY), "{claims}");
        assert!(
            claims.contains(&format!("urn:tessera:tenant:{}", tessera_store::key_digest(KEY))),
            "{claims}"
        );

        let fetch = |token: &str, tag: Option<&str>| {
            let mut headers = vec![("Authorization", format!("Bearer {token}"))];
            headers.extend(tag.map(|t| ("If-None-Match", t.to_owned())));
            headers.push(("Origin", "https://app.example.com".into()));
            server.request("GET", "/api/snapshot/subject", &headers, None)
        };
        let first = fetch(&alice, None);
        assert_eq!(first.status, 200, "{}", first.json);
        assert_eq!(first.header("content-type"), Some("application/vnd.tessera.snapshot"));
        assert_eq!(first.header("cache-control"), Some("private, no-cache"));
        assert_eq!(first.header("access-control-allow-origin"), Some("https://app.example.com"));
        let etag = first.header("etag").unwrap().to_owned();
        for absent in [KEY.as_bytes(), b"bob", b"carol@example.com"] {
            assert!(
                !first.bytes.windows(absent.len()).any(|w| w == absent),
                "{}",
                String::from_utf8_lossy(absent)
            );
        }
        let loaded = snapshot_loader(&server).load(&first.bytes, now(), None).unwrap();
        assert_eq!(loaded.info.subject.as_deref(), Some("alice"));
        assert_ne!(loaded.info.tenant, KEY);
        let expires = loaded.info.expires_at.unwrap();
        assert!(expires - now() <= 120 && expires - now() >= 59, "{expires}");
        let authz = loaded.authorizer_at(now()).unwrap();
        assert_eq!(authz.check("alice", "posts:edit").unwrap().reason().name(), "granted");
        assert_eq!(authz.check("alice", "posts:delete").unwrap().reason().name(), "denied");
        assert_eq!(authz.check("bob", "posts:read").unwrap_err().code(), "ERR_SNAPSHOT_SUBJECT");

        // Unchanged: 304 for its tag (once more if a validity window opened between
        // the two requests, which changes the bytes). Bob's token gets Bob's snapshot.
        let mut tag = etag.clone();
        let again = fetch(&alice, Some(&tag));
        if again.status == 200 {
            tag = again.header("etag").unwrap().to_owned();
            assert_eq!(fetch(&alice, Some(&tag)).status, 304);
        } else {
            assert_eq!(again.status, 304);
        }
        let (bob, _) = login("bob");
        let theirs = fetch(&bob, Some(&etag));
        assert_eq!(theirs.status, 200);
        assert!(!theirs.bytes.windows(5).any(|w| w == b"alice"));
        // A change to Alice's roles is in her next snapshot.
        assert_eq!(result(&server, "DELETE", "/api/membership/alice/editor"), true);
        let changed = fetch(&alice, Some(&etag));
        assert_eq!(changed.status, 200);
        let loaded = snapshot_loader(&server).load(&changed.bytes, now(), None).unwrap();
        assert_eq!(
            loaded.authorizer_at(now()).unwrap().check("alice", "posts:edit").unwrap().reason().name(),
            "unknown_user"
        );

        // Only a valid, unrevoked access token of a live tenant opens it.
        for (credential, why) in [
            (KEY.to_owned(), "the client key"),
            (alice_refresh.clone(), "a refresh token"),
            ("a.b.c".into(), "garbage"),
        ] {
            let refused = fetch(&credential, None);
            assert_eq!(refused.status, 401, "{why}: {}", refused.json);
            assert_eq!(refused.header("www-authenticate"), Some(r#"Bearer error="invalid_token""#), "{why}");
        }
        assert_eq!(server.request("GET", "/api/snapshot/subject", &[], None).status, 401);
        assert_eq!(post_json(&server, "/api/token/revoke", json!({"token": bob})).status, 200);
        assert_eq!(fetch(&bob, None).status, 401, "revoked");

        // Each snapshot issued (not a 304) is audited, naming the user.
        let audit = data(&server, "/api/audit?action=snapshot.subject");
        assert_eq!(audit["total"], 3, "{audit}");
        assert!(audit["entries"].as_array().unwrap().iter().any(|e| e["resource"] == "bob"), "{audit}");
    });
}
