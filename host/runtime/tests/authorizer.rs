//! The embedding API: per-tenant authorizers over the guest, hot swap and its
//! refusals, use from many threads, the host services (storage, keys, audit, clock).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, json};
use tessera_core::{EncryptionKey, JwtAlgorithm, PolicyDocument, SigningKey, Snapshot, TokenSigner};
use tessera_runtime::{AuditChecks, GuestConfig, RuntimeConfig};

use common::{Fixture, NOW, TENANT, blog_policy, seal_with};

const CAROL: &str = r#", "carol": ["viewer"]"#;

#[test]
fn reload_swaps_in_a_newer_snapshot_and_refuses_rollbacks_forgeries_and_other_tenants() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();
    assert!(!authz.can("carol", "posts:read").unwrap());

    fixture.publish(&blog_policy(CAROL), 2);
    assert_eq!(authz.reload().unwrap().revision, 2);
    assert!(authz.can("carol", "posts:read").unwrap());
    assert_eq!(authz.reload().unwrap().revision, 2, "reloading an unchanged snapshot is harmless");

    let refusals = [
        (fixture.seal(&blog_policy(""), 1), "ERR_SNAPSHOT_ROLLBACK"),
        (seal_with(&SigningKey::generate().unwrap(), &blog_policy(""), 3), "ERR_SNAPSHOT_UNKNOWN_KEY_ID"),
        (
            fixture.seal(&blog_policy("").replace(TENANT, "9c5b94b1-35ad-49bb-b118-8e8fc24abf80"), 3),
            "ERR_SNAPSHOT_TENANT_MISMATCH",
        ),
    ];
    for (bytes, code) in refusals {
        assert_eq!(authz.replace(&bytes).unwrap_err().code(), code);
        assert_eq!(authz.info().revision, 2);
        assert!(authz.can("carol", "posts:read").unwrap());
    }
    fixture.store.put(TENANT, fixture.seal(&blog_policy(""), 1));
    assert_eq!(
        authz.reload().unwrap_err().code(),
        "ERR_SNAPSHOT_ROLLBACK",
        "the store cannot roll it back either"
    );
}

#[test]
fn storage_failures_and_missing_tenants_are_errors_that_change_nothing() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    let missing = runtime.authorizer(TENANT, GuestConfig::default()).unwrap_err();
    assert_eq!(missing.code(), "ERR_SNAPSHOT_NOT_FOUND");

    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();
    fixture.store.failing.store(true, Ordering::Relaxed);
    assert_eq!(authz.reload().unwrap_err().code(), "ERR_STORAGE_UNAVAILABLE");
    assert!(authz.can("alice", "posts:edit").unwrap());
}

#[test]
fn many_threads_share_one_authorizer_while_it_swaps() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig { pool_size: 3, ..RuntimeConfig::default() });
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();
    let done = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (authz, done) = (authz.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut calls = 0;
                while !done.load(Ordering::Relaxed) || calls < 500 {
                    // True in every revision: the answers may never waver.
                    assert!(authz.can("alice", "posts:edit").unwrap());
                    assert!(!authz.can("alice", "posts:delete").unwrap());
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    for revision in 2..=20 {
        let member = if revision % 2 == 0 { CAROL } else { "" };
        authz.replace(&fixture.seal(&blog_policy(member), revision)).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for worker in workers {
        assert!(worker.join().unwrap() >= 500);
    }
    // The last accepted revision (20, with carol) is what every instance now runs.
    for _ in 0..10 {
        assert!(authz.can("carol", "posts:read").unwrap());
    }
    assert_eq!(authz.info().revision, 20);
}

#[test]
fn denied_checks_are_audited_and_a_failing_sink_withholds_the_decision() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();
    fixture.audit.events.lock().unwrap().clear();

    assert!(authz.can("alice", "posts:edit").unwrap());
    assert!(fixture.audit.events.lock().unwrap().is_empty(), "allowed checks are not audited by default");
    assert!(!authz.can("alice", "posts:delete").unwrap());
    let event = fixture.audit.events.lock().unwrap().pop().unwrap();
    assert_eq!(
        (event.action.as_str(), event.actor.as_deref(), event.entity.as_str()),
        ("check", Some("alice"), "posts:delete")
    );
    assert!(!event.success);
    assert_eq!(event.time, NOW, "the host stamps events with its clock");
    assert_eq!(event.tenant, TENANT);
    assert_eq!(event.details["reason"], "denied");
    assert_eq!(event.details["pattern"], "posts:delete");
    assert_eq!(event.details["revision"], 1);
    assert_eq!(event.details["decision_id"].as_str().unwrap().len(), 32);

    fixture.audit.refusing.store(true, Ordering::Relaxed);
    assert_eq!(authz.can("alice", "posts:delete").unwrap_err().code(), "ERR_AUDIT_UNAVAILABLE");
    assert!(authz.can("alice", "posts:edit").unwrap(), "decisions that need no record still flow");
    fixture.audit.refusing.store(false, Ordering::Relaxed);

    let all =
        runtime.authorizer(TENANT, GuestConfig { audit_checks: AuditChecks::All, ..GuestConfig::default() });
    all.unwrap().can("bob", "posts:read").unwrap();
    assert_eq!(fixture.audit.actions().last().map(String::as_str), Some("check"));
}

#[test]
fn loads_and_suspicious_input_are_audited() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();
    let _ = authz.replace(&fixture.seal(&blog_policy(""), 0));
    let findings = authz.with(|guest| guest.inspect("<script>alert(1)</script>")).unwrap();
    assert!(!findings.is_empty());

    let events = fixture.audit.events.lock().unwrap();
    let loads: Vec<_> = events.iter().filter(|e| e.action == "snapshot.load").collect();
    assert!(loads[0].success);
    assert_eq!(loads[0].details["revision"], 1);
    assert_eq!(loads[0].entity, "1", "the revision, never the tenant's client key");
    assert!(events.iter().all(|e| !e.entity.contains(TENANT) && !e.details.to_string().contains(TENANT)));
    let refused = loads.iter().find(|e| !e.success).unwrap();
    assert_eq!(refused.details["error"]["code"], "ERR_SNAPSHOT_ROLLBACK");
    let security = events.iter().find(|e| e.action == "security.suspicious_input").unwrap();
    assert_eq!(security.details["findings"][0]["kind"], findings[0].kind);
}

#[test]
fn encrypted_snapshots_need_the_decryption_key_from_the_key_provider() {
    let mut fixture = Fixture::new();
    let secret = [7u8; 32];
    let encryption = EncryptionKey::new("data-2026", secret).unwrap();
    let policy = PolicyDocument::from_json(&blog_policy("")).unwrap().into_policy().unwrap();
    let snapshot = Snapshot { revision: 1, issued_at: NOW, expires_at: None, policy };
    let sealed = snapshot.seal_encrypted(&fixture.keys.signing, &encryption).unwrap();

    let runtime = fixture.runtime(RuntimeConfig::default());
    let mut guest = runtime.guest().unwrap();
    assert_eq!(guest.load_bytes(&sealed).unwrap_err().code(), "ERR_SNAPSHOT_UNKNOWN_DECRYPTION_KEY");
    drop((guest, runtime));

    Arc::get_mut(&mut fixture.keys).unwrap().decryption = Some(("data-2026".into(), secret));
    let runtime = fixture.runtime(RuntimeConfig::default());
    let mut guest = runtime.guest().unwrap();
    let info = guest.load_bytes(&sealed).unwrap();
    assert_eq!(info.encrypted_with.as_deref(), Some("data-2026"));
    assert!(guest.can("alice", "posts:edit").unwrap());
}

#[test]
fn expiry_is_judged_by_the_host_clock() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    let policy = PolicyDocument::from_json(&blog_policy("")).unwrap().into_policy().unwrap();
    let snapshot = Snapshot { revision: 1, issued_at: NOW - 100, expires_at: Some(NOW + 60), policy };
    let sealed = snapshot.seal(&fixture.keys.signing).unwrap();
    let mut guest = runtime.guest().unwrap();
    assert_eq!(guest.load_bytes(&sealed).unwrap().expires_at, Some(NOW + 60));
    fixture.clock.0.store(NOW + 60, Ordering::Relaxed);
    assert_eq!(runtime.guest().unwrap().load_bytes(&sealed).unwrap_err().code(), "ERR_SNAPSHOT_EXPIRED");

    // Loaded before it expired, it answers no decision after: every call that decides
    // or reads the policy is refused until a fresh snapshot replaces it.
    let signer = TokenSigner::generate("k1", JwtAlgorithm::EdDsa).unwrap();
    *fixture.keys.jwks.lock().unwrap() = Some(json!({"keys": [signer.public_jwk().unwrap()]}).to_string());
    let mut claims = Map::new();
    claims.insert("sub".into(), "alice".into());
    claims.insert("exp".into(), (NOW + 300).into());
    let token = signer.sign(&claims, "at+jwt");
    let check = r#"{"subject": "alice", "action": "posts:edit"}"#;
    let search = r#"{"search": "actions", "subject": "alice", "resource": {"type": "post", "id": "1"}}"#;
    let expired = |guest: &mut tessera_runtime::Guest| {
        [
            guest.check("alice", "posts:edit").map(|_| ()),
            guest.check_many("alice", &["posts:edit"]).map(|_| ()),
            guest.evaluate(check).map(|_| ()),
            guest.search(search).map(|_| ()),
            guest.user_roles("alice").map(|_| ()),
            guest.has_role("alice", "editor").map(|_| ()),
            guest.authorize(&token, "posts:edit", None).map(|_| ()),
        ]
        .map(|result| result.err().map(|e| e.code().to_string()))
    };
    fixture.clock.0.store(NOW + 59, Ordering::Relaxed);
    assert_eq!(expired(&mut guest), [(); 7].map(|()| None), "in force a second before it expires");
    fixture.clock.0.store(NOW + 60, Ordering::Relaxed);
    assert_eq!(expired(&mut guest), [(); 7].map(|()| Some("ERR_SNAPSHOT_EXPIRED".to_string())));
    assert_eq!(guest.info().unwrap().revision, 1, "what is loaded can still be told");
    // A time the caller gives judges the token, never the snapshot: it stays expired.
    assert_eq!(
        guest.authorize(&token, "posts:edit", Some(NOW + 59)).unwrap_err().code(),
        "ERR_SNAPSHOT_EXPIRED"
    );
    let policy = PolicyDocument::from_json(&blog_policy("")).unwrap().into_policy().unwrap();
    let fresh = Snapshot { revision: 2, issued_at: NOW + 60, expires_at: Some(NOW + 120), policy };
    guest.load_bytes(&fresh.seal(&fixture.keys.signing).unwrap()).unwrap();
    assert!(guest.can("alice", "posts:edit").unwrap());
}

#[test]
fn a_subject_snapshot_answers_in_the_guest_for_its_subject_only() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    let policy = PolicyDocument::from_json(&blog_policy(CAROL)).unwrap().into_policy().unwrap();
    let slice = policy.for_subject("alice").unwrap();
    let snapshot = Snapshot { revision: 1, issued_at: NOW, expires_at: Some(NOW + 300), policy: slice };
    let mut guest = runtime.guest().unwrap();
    guest.load_bytes(&snapshot.seal(&fixture.keys.signing).unwrap()).unwrap();
    assert!(guest.can("alice", "posts:edit").unwrap());
    let signer = TokenSigner::generate("k1", JwtAlgorithm::EdDsa).unwrap();
    *fixture.keys.jwks.lock().unwrap() = Some(json!({"keys": [signer.public_jwk().unwrap()]}).to_string());
    let token = |sub: &str| {
        let mut claims = Map::new();
        claims.insert("sub".into(), sub.into());
        claims.insert("exp".into(), (NOW + 300).into());
        signer.sign(&claims, "at+jwt")
    };
    assert!(guest.authorize(&token("alice"), "posts:edit", None).unwrap().allowed);
    let check = r#"{"subject": "carol", "action": "posts:edit"}"#;
    let search = r#"{"search": "subjects", "action": "edit", "resource": {"type": "post", "id": "1"}}"#;
    let refused = [
        guest.check("carol", "posts:edit").map(|_| ()),
        guest.check_many("carol", &["posts:edit"]).map(|_| ()),
        guest.evaluate(check).map(|_| ()),
        guest.search(search).map(|_| ()),
        guest.user_roles("carol").map(|_| ()),
        guest.which_users_can("posts:edit").map(|_| ()),
        guest.authorize(&token("carol"), "posts:edit", None).map(|_| ()),
    ]
    .map(|result| result.err().map(|e| e.code().to_string()));
    assert_eq!(refused, [(); 7].map(|()| Some("ERR_SNAPSHOT_SUBJECT".to_string())));
}

#[test]
fn token_keys_come_from_the_key_provider_and_are_fetched_again_after_rotation() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    fixture.publish(&blog_policy(""), 1);
    let old = TokenSigner::generate("k1", JwtAlgorithm::EdDsa).unwrap();
    let new = TokenSigner::generate("k2", JwtAlgorithm::EdDsa).unwrap();
    let jwks = |signers: &[&TokenSigner]| {
        json!({"keys": signers.iter().map(|s| s.public_jwk().unwrap()).collect::<Vec<_>>()}).to_string()
    };
    let token = |signer: &TokenSigner, sub: &str| {
        let mut claims = Map::new();
        claims.insert("sub".into(), sub.into());
        claims.insert("exp".into(), (NOW + 300).into());
        signer.sign(&claims, "at+jwt")
    };
    *fixture.keys.jwks.lock().unwrap() = Some(jwks(&[&old]));
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();

    let answer = authz.authorize(&token(&old, "alice"), "posts:edit", None).unwrap();
    assert!(answer.allowed);
    assert_eq!((answer.subject.as_deref(), answer.role.as_deref()), (Some("alice"), Some("editor")));
    assert_eq!(
        authz.authorize(&token(&new, "alice"), "posts:edit", None).unwrap().reason,
        "ERR_TOKEN_UNKNOWN_KID"
    );

    *fixture.keys.jwks.lock().unwrap() = Some(jwks(&[&old, &new]));
    assert!(
        authz.authorize(&token(&new, "alice"), "posts:edit", None).unwrap().allowed,
        "k2 is fetched on first sight"
    );
    let denied = authz.authorize(&token(&new, "bob"), "posts:edit", None).unwrap();
    assert_eq!((denied.allowed, denied.reason.as_str()), (false, "no_matching_grant"));
    let claims = authz.with(|guest| guest.verify_token(&token(&new, "bob"), Some(NOW))).unwrap();
    assert_eq!(claims["sub"], "bob");
    assert_eq!(
        authz.with(|guest| guest.verify_token(&token(&new, "bob"), Some(NOW + 400))).unwrap_err().code(),
        "ERR_TOKEN_EXPIRED"
    );
}

#[test]
fn bad_arguments_are_refused_with_the_rule_they_break() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    let mut guest = runtime.guest().unwrap();
    assert_eq!(guest.can("alice", "posts:read").unwrap_err().code(), "ERR_NOT_LOADED");
    guest.compile_policy(&blog_policy("")).unwrap();
    let error = guest.check("alice", "posts read").unwrap_err();
    assert_eq!(error.code(), "ERR_INVALID_IDENTIFIER");
    assert!(error.to_string().contains("permission"), "{error}");
    assert_eq!(
        guest.check_many("alice", &["posts:read", "a b"]).unwrap_err().code(),
        "ERR_INVALID_IDENTIFIER"
    );
    assert_eq!(guest.check_many("alice", &["posts:read", "posts:delete"]).unwrap(), [true, false]);
    assert_eq!(guest.validate_identifier("colour", "red").unwrap_err().code(), "ERR_INVALID_ARGUMENT");
    assert!(!guest.is_poisoned(), "refusals do not retire the instance");
    assert_eq!(guest.escape("<b>hi</b>", Some(4)).unwrap(), "&lt;b&gt;h");
}

#[test]
fn a_swap_is_audited_once_however_many_instances_pick_it_up() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig { pool_size: 4, ..RuntimeConfig::default() });
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();
    // Calls nested three deep hold three instances at once: the pool grows past one.
    let nested = |user: &str, permission: &str| {
        authz.with(|_| authz.with(|_| authz.with(|guest| guest.can(user, permission)))).unwrap()
    };
    assert!(nested("alice", "posts:edit"));
    authz.replace(&fixture.seal(&blog_policy(CAROL), 2)).unwrap();
    assert!(nested("carol", "posts:read"), "every instance runs revision 2");
    let loads: Vec<u64> = fixture
        .audit
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.action == "snapshot.load")
        .map(|e| e.details["revision"].as_u64().unwrap())
        .collect();
    assert_eq!(loads, [1, 2], "one event per accepted snapshot, not one per instance");
}
