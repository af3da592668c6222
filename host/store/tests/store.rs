//! The storage suite: every test runs on SQLite and on PostgreSQL (when
//! TEST_POSTGRES_URL is set; scripts/test.sh sets it when the local server answers).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use serde_json::json;
use tessera_core::{
    Effect, EncryptionKey, GrantDocument, GroupDocument, PolicyDocument, ResourceDocument, RuleDocument,
    TypeDocument, UserDocument,
};
use tessera_store::{
    AuditKey, AuditKeys, Entry, EntryKind, FieldKeys, Filter, ModelEntry, Scope, Store, StoreError, TenantId,
    grant_key,
};
use tessera_testkit::db::TestDb;

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
const OTHER: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

fn scope(tenant: &str) -> Scope {
    Scope { tenant: tenant.into(), actor: "cli:tester".into() }
}

fn key(kid: &str, byte: u8) -> EncryptionKey {
    let mut bytes = [byte; 32];
    bytes[0] = 0x5a;
    bytes[31] = byte.wrapping_mul(7);
    EncryptionKey::new(kid, bytes).unwrap()
}

/// A store with one tenant holding the blog policy.
fn blog(db: &TestDb, keys: FieldKeys) -> Store {
    let store = db.open(keys);
    store.create_tenant(Some(TENANT), "cli:tester").unwrap();
    let s = scope(TENANT);
    store.add_role(&s, "viewer", Some("Reads posts"), &[]).unwrap();
    store.add_role(&s, "editor", None, &["viewer".into()]).unwrap();
    store.grant(&s, "viewer", "posts:read").unwrap();
    store.grant(&s, "editor", "posts:*").unwrap();
    store.deny(&s, "editor", "posts:delete").unwrap();
    store.add_member(&s, "alice", "editor").unwrap();
    store.add_member(&s, "bob", "viewer").unwrap();
    store
}

fn blog_document() -> PolicyDocument {
    PolicyDocument::from_json(&format!(
        r#"{{"tenant": "{TENANT}", "roles": {{
            "editor": {{"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}},
            "viewer": {{"description": "Reads posts", "grants": ["posts:read"]}}}},
           "members": {{"alice": ["editor"], "bob": ["viewer"]}}}}"#
    ))
    .unwrap()
}

fn for_each_backend(test: impl Fn(&TestDb)) {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.name);
        test(&db);
    }
}

#[test]
fn edits_build_the_policy_they_describe() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let (document, revision) = store.policy(TENANT).unwrap();
        assert_eq!(document, blog_document(), "{}", db.name);
        assert_eq!(revision, 7);
        let roles = store.roles(TENANT).unwrap();
        assert_eq!(roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["editor", "viewer"]);
        assert_eq!(roles[0].parents, ["viewer"]);
        assert_eq!(roles[1].description.as_deref(), Some("Reads posts"));

        // Doing again what is done changes nothing, not even the revision.
        let s = scope(TENANT);
        assert!(!store.grant(&s, "viewer", "posts:read").unwrap().changed);
        assert!(!store.add_member(&s, "bob", "viewer").unwrap().changed);
        assert_eq!(store.revision(TENANT).unwrap(), 7);

        store.revoke(&s, "editor", "posts:delete", true).unwrap();
        store.revoke(&s, "viewer", "posts:read", false).unwrap();
        store.remove_member(&s, "bob", "viewer").unwrap();
        let (document, revision) = store.policy(TENANT).unwrap();
        assert_eq!(revision, 10);
        let editor = &document.roles.0.iter().find(|(n, _)| n == "editor").unwrap().1;
        assert!(editor.denies.is_empty());
        assert_eq!(document.members.0, [("alice".to_string(), vec!["editor".to_string()])]);

        // Deleting a role takes its memberships and unlinks its children.
        store.delete_role(&s, "viewer").unwrap();
        let (document, _) = store.policy(TENANT).unwrap();
        assert_eq!(document.roles.0.len(), 1);
        assert!(document.roles.0[0].1.parents.is_empty());
        document.into_policy().unwrap();
    });
}

#[test]
fn rejected_writes_change_nothing() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let s = scope(TENANT);
        let before = (store.policy(TENANT).unwrap(), store.audit_query(TENANT, &all()).unwrap().len());
        let code = |e: StoreError| e.code();
        assert_eq!(code(store.add_role(&s, "viewer", None, &[]).unwrap_err()), "ERR_ALREADY_EXISTS");
        assert_eq!(code(store.add_role(&s, "bad name", None, &[]).unwrap_err()), "ERR_INVALID_IDENTIFIER");
        assert_eq!(
            code(store.add_role(&s, "x", Some("a\u{7}b"), &[]).unwrap_err()),
            "ERR_POLICY_INVALID_DESCRIPTION"
        );
        assert_eq!(
            code(store.add_role(&s, "x", None, &["ghost".into()]).unwrap_err()),
            "ERR_POLICY_UNKNOWN_PARENT"
        );
        assert_eq!(code(store.grant(&s, "ghost", "posts:read").unwrap_err()), "ERR_NOT_FOUND");
        assert_eq!(code(store.grant(&s, "viewer", "po*sts").unwrap_err()), "ERR_INVALID_IDENTIFIER");
        assert_eq!(code(store.add_member(&s, "al ice", "viewer").unwrap_err()), "ERR_INVALID_IDENTIFIER");
        assert_eq!(code(store.remove_member(&s, "carol", "viewer").unwrap_err()), "ERR_NOT_FOUND");
        assert_eq!(code(store.revoke(&s, "viewer", "posts:write", false).unwrap_err()), "ERR_NOT_FOUND");
        assert_eq!(code(store.grant(&scope(OTHER), "viewer", "x").unwrap_err()), "ERR_UNKNOWN_TENANT");
        // A cyclic import is refused whole.
        let mut cyclic = blog_document();
        cyclic.roles.0[1].1.parents = vec!["editor".into()];
        cyclic.members.0.push(("carol".into(), vec!["viewer".into()]));
        assert_eq!(code(store.import(&s, &cyclic, &|_| {}).unwrap_err()), "ERR_POLICY_CYCLE");
        let mut foreign = blog_document();
        foreign.tenant = OTHER.into();
        assert_eq!(code(store.import(&s, &foreign, &|_| {}).unwrap_err()), "ERR_POLICY_DOCUMENT");
        // A model that does not hold together is refused whole too.
        let mut with_model = blog_document();
        with_model.grants.push(GrantDocument {
            user: Some("alice".into()),
            role: "editor".into(),
            on: "document:nowhere".into(),
            ..Default::default()
        });
        assert_eq!(code(store.import(&s, &with_model, &|_| {}).unwrap_err()), "ERR_POLICY_UNKNOWN_RESOURCE");
        let after = (store.policy(TENANT).unwrap(), store.audit_query(TENANT, &all()).unwrap().len());
        assert_eq!(before, after, "{}", db.name);
    });
}

#[test]
fn a_change_whose_audit_row_fails_is_rolled_back() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let trigger = match db.name {
            "sqlite" => "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit disk full'); END;",
            _ => {
                "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit disk full'; END $$;
                 CREATE TRIGGER no_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION no_audit();"
            }
        };
        db.sql(trigger);
        let s = scope(TENANT);
        assert!(store.add_member(&s, "carol", "viewer").is_err());
        assert!(store.add_role(&s, "admin", None, &[]).is_err());
        assert!(store.import(&s, &blog_document(), &|_| {}).is_err());
        let (document, revision) = store.policy(TENANT).unwrap();
        assert_eq!(revision, 7, "{}", db.name);
        assert_eq!(document, blog_document());
    });
}

fn all() -> Filter {
    Filter { limit: 1000, ..Filter::default() }
}

#[test]
fn the_audit_log_records_every_change_newest_first() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let rows = store.audit_query(TENANT, &all()).unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "member.add",
                "member.add",
                "permission.deny",
                "permission.grant",
                "permission.grant",
                "role.add",
                "role.add",
                "tenant.create"
            ]
        );
        assert_eq!(rows[0].entity, "bob");
        assert_eq!(rows[0].details, json!({"role": "viewer"}));
        assert_eq!(rows[0].actor.as_deref(), Some("cli:tester"));
        assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), (1..=8).rev().collect::<Vec<_>>());
        let filter = |f: Filter| store.audit_query(TENANT, &Filter { limit: 100, ..f }).unwrap();
        assert_eq!(filter(Filter { action: Some("role.add".into()), ..Filter::default() }).len(), 2);
        assert_eq!(filter(Filter { entity_type: Some("permission".into()), ..Filter::default() }).len(), 3);
        assert_eq!(filter(Filter { actor: Some("cli:tester".into()), ..Filter::default() }).len(), 8);
        assert_eq!(filter(Filter { actor: Some("cli:nobody".into()), ..Filter::default() }).len(), 0);
        assert_eq!(filter(Filter { since: Some(tessera_now() + 3600), ..Filter::default() }).len(), 0);
        assert_eq!(filter(Filter { since: Some(tessera_now() - 3600), ..Filter::default() }).len(), 8);
        let page = store.audit_query(TENANT, &Filter { limit: 3, offset: 2, ..Filter::default() }).unwrap();
        assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [6, 5, 4]);
        // Tenants have separate chains.
        store.create_tenant(Some(OTHER), "cli:tester").unwrap();
        assert_eq!(store.audit_query(OTHER, &all()).unwrap().len(), 1);
        assert!(store.audit_verify(TENANT).unwrap().broken.is_none());
        assert!(store.audit_verify(OTHER).unwrap().broken.is_none());
    });
}

fn tessera_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Each tampering, done directly in the database, and the row `audit verify` must name.
#[test]
fn audit_tampering_is_detected_and_located() {
    let cases: &[(&str, &str, i64)] = &[
        ("modify", "UPDATE audit SET action = 'role.delete' WHERE seq = 3", 3),
        ("modify success", "UPDATE audit SET success = 0 WHERE seq = 5", 5),
        ("modify time", "UPDATE audit SET time = time - 86400 WHERE seq = 2", 2),
        ("delete", "DELETE FROM audit WHERE seq = 4", 5),
        ("delete first", "DELETE FROM audit WHERE seq = 1", 2),
        ("delete last", "DELETE FROM audit WHERE seq = 8", 8),
        (
            "insert",
            "UPDATE audit SET seq = seq + 100 WHERE seq >= 4; UPDATE audit SET seq = seq - 99 WHERE seq >= 104;
             INSERT INTO audit (tenant, seq, time, actor, actor_index, action, entity_type, entity, success, details, key_id, prev_hash, hash)
               SELECT tenant, 4, time, actor, actor_index, 'role.add', 'role', entity, 1, details, key_id, prev_hash, hash FROM audit WHERE seq = 3",
            4,
        ),
        (
            "reorder",
            "UPDATE audit SET seq = 100 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = 100",
            3,
        ),
    ];
    for db in TestDb::all() {
        for (name, tamper, first_bad) in cases {
            let fresh = db.same_kind();
            let audit_key = AuditKeys::new(AuditKey::new("audit-test", [3; 32]), vec![]);
            let store = blog(&fresh, FieldKeys::plain().with_audit_keys(audit_key));
            assert!(store.audit_verify(TENANT).unwrap().broken.is_none());
            let tenant_clause = format!(
                "tenant = (SELECT id FROM tenants WHERE key_digest = '{}') AND ",
                tessera_store::key_digest(TENANT)
            );
            let scoped = tamper.replace("WHERE seq", &format!("WHERE {tenant_clause}seq"));
            fresh.sql(&scoped);
            let verification = store.audit_verify(TENANT).unwrap();
            let broken =
                verification.broken.unwrap_or_else(|| panic!("{}: `{name}` went unnoticed", db.name));
            assert_eq!(broken.seq, *first_bad, "{}: {name}: {}", db.name, broken.problem);
        }
    }
}

#[test]
fn nothing_sensitive_is_stored_in_the_clear_with_encryption_on() {
    for_each_backend(|db| {
        let keys = FieldKeys::new(&[key("data-1", 1)], true).unwrap();
        let store = db.open(keys);
        store.create_tenant(Some(TENANT), "admin-zq7x9k@example.org").unwrap();
        let s = Scope { tenant: TENANT.into(), actor: "admin-zq7x9k@example.org".into() };
        store.add_role(&s, "viewer", Some("Sees the quarterly-figures-zq7x9k"), &[]).unwrap();
        store.grant(&s, "viewer", "ledger-zq7x9k:read").unwrap();
        store.deny(&s, "viewer", "ledger-zq7x9k:purge").unwrap();
        store.add_member(&s, "carol-zq7x9k@example.org", "viewer").unwrap();
        let mut document = blog_document();
        document.members.0.push(("dave-zq7x9k".into(), vec!["viewer".into()]));
        document.roles.0[1].1.grants.push("vault-zq7x9k:open".into());
        store.import(&s, &document, &|_| {}).unwrap();
        store.add_member(&s, "carol-zq7x9k@example.org", "viewer").unwrap();
        let (_, secret) =
            store.create_api_key(&s, "erin-zq7x9k", Some("billing export zq7x9k"), None).unwrap();
        // The resource model: names, attributes and grantees are personal data.
        let attributes = |value: &str| {
            let value = tessera_core::AttributeValue::Str(value.into());
            tessera_core::Entries(vec![("department".into(), value)])
        };
        let model = [
            ModelEntry::Type("vault-zq7x9k".into(), TypeDocument { actions: vec!["open".into()] }),
            ModelEntry::Resource(
                "vault-zq7x9k:cellar".into(),
                ResourceDocument { attributes: attributes("legal-zq7x9k"), ..Default::default() },
            ),
            ModelEntry::User("frank-zq7x9k".into(), UserDocument { attributes: attributes("legal-zq7x9k") }),
            ModelEntry::Grant(GrantDocument {
                user: Some("grace-zq7x9k".into()),
                role: "viewer".into(),
                on: "vault-zq7x9k:cellar".into(),
                ..Default::default()
            }),
        ];
        for entry in &model {
            store.put_entry(&s, entry).unwrap();
        }
        for table in ["roles", "rules", "members", "audit", "api_keys", "model_entries"] {
            let bytes = db.dump(table);
            // The marker is six bytes: a shorter one turns up by chance in the random bytes
            // of ciphertexts and hashes (three bytes did, about once in a dozen runs).
            for secret in ["zq7x9k", "alice", "posts:read", "Reads posts"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{}: `{secret}` in {table}",
                    db.name
                );
            }
        }
        // Every query still works: lookups through the blind index, reads through decryption.
        assert!(!store.add_member(&s, "carol-zq7x9k@example.org", "viewer").unwrap().changed);
        store.remove_member(&s, "dave-zq7x9k", "viewer").unwrap();
        store.revoke(&s, "viewer", "vault-zq7x9k:open", false).unwrap();
        let (policy, _) = store.policy(TENANT).unwrap();
        let users: Vec<&str> = policy.members.0.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(users, ["alice", "bob", "carol-zq7x9k@example.org"]);
        let by_actor =
            Filter { actor: Some("admin-zq7x9k@example.org".into()), limit: 100, ..Filter::default() };
        assert_eq!(store.audit_query(TENANT, &by_actor).unwrap().len(), 14);
        assert_eq!(store.entry(TENANT, EntryKind::User, "frank-zq7x9k").unwrap().as_ref(), Some(&model[2]));
        assert_eq!(store.policy(TENANT).unwrap().0.grants.len(), 1);
        assert_eq!(store.validate_api_key(&secret).unwrap().unwrap().user, "erin-zq7x9k");
        assert_eq!(
            store.api_keys(TENANT, Some("erin-zq7x9k")).unwrap()[0].label.as_deref(),
            Some("billing export zq7x9k")
        );
        assert!(store.audit_verify(TENANT).unwrap().broken.is_none());
        // Without the key nothing opens; a modified ciphertext does not decrypt.
        drop(store);
        let keyless = db.open(FieldKeys::plain());
        assert_eq!(keyless.policy(TENANT).unwrap_err().code(), "ERR_DATA_KEY_UNKNOWN");
        db.sql(match db.name {
            "sqlite" => "UPDATE members SET user_name = CAST(user_name || X'00' AS BLOB) WHERE id = (SELECT MIN(id) FROM members)",
            _ => "UPDATE members SET user_name = user_name || '\\x00'::bytea WHERE id = (SELECT MIN(id) FROM members)",
        });
        let keyed = db.open(FieldKeys::new(&[key("data-1", 1)], true).unwrap());
        assert_eq!(keyed.policy(TENANT).unwrap_err().code(), "ERR_FIELD_DECRYPT");
    });
}

#[test]
fn reencrypt_moves_every_row_to_the_new_key_and_resumes_after_interruption() {
    for_each_backend(|db| {
        let (old, new) = (key("data-old", 1), key("data-new", 2));
        let store = blog(db, FieldKeys::plain());
        let folder = ModelEntry::Type("folder".into(), TypeDocument { actions: vec!["read".into()] });
        store.put_entry(&scope(TENANT), &folder).unwrap();
        drop(store);
        // Encryption switched on: new rows sealed under the old key; old rows still plain.
        let store = db.open(FieldKeys::new(&[key("data-old", 1)], true).unwrap());
        store.add_member(&scope(TENANT), "erin", "viewer").unwrap();
        assert_eq!(store.rows_using("data-old").unwrap(), 2, "{}", db.name);
        assert_eq!(store.reencrypt(1000, &|_| {}).unwrap().key_id, "data-old");
        assert_eq!(store.rows_to_reencrypt().unwrap(), 0);
        drop(store);

        // Rotation: the new key encrypts, the old one still decrypts.
        let both = || FieldKeys::new(&[key("data-new", 2), key("data-old", 1)], true).unwrap();
        let store = db.open(both());
        let total = store.rows_to_reencrypt().unwrap();
        assert!(total > 15, "{total}");
        // Interrupted after the second batch (a crash of the process, as far as the
        // database can tell): what was committed stays, a second run does the rest.
        let interrupted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.reencrypt(3, &|done| assert!(done < 6, "interrupted")).unwrap();
        }));
        assert!(interrupted.is_err());
        let left = store.rows_to_reencrypt().unwrap();
        assert!(left < total && left > 0, "{left} of {total}");
        store.reencrypt(3, &|_| {}).unwrap();
        assert_eq!(store.rows_using("data-old").unwrap(), 0);
        drop(store);

        // The old key can go: everything opens with the new one alone.
        let store = db.open(FieldKeys::new(&[new], true).unwrap());
        let (document, _) = store.policy(TENANT).unwrap();
        assert_eq!(document.members.0.len(), 3);
        assert_eq!(store.entries(TENANT, EntryKind::Type).unwrap(), [folder]);
        assert!(store.audit_verify(TENANT).unwrap().broken.is_none());
        assert!(!store.add_member(&scope(TENANT), "erin", "viewer").unwrap().changed);
        drop(old);
    });
}

#[test]
fn concurrent_writers_keep_the_chain_and_every_write() {
    for_each_backend(|db| {
        let store = std::sync::Arc::new(blog(db, FieldKeys::plain()));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        store.add_member(&scope(TENANT), &format!("user-{t}-{i}"), "viewer").unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let (document, revision) = store.policy(TENANT).unwrap();
        assert_eq!(document.members.0.len(), 102, "{}", db.name);
        assert_eq!(revision, 107);
        let verification = store.audit_verify(TENANT).unwrap();
        assert_eq!((verification.rows, verification.broken), (108, None));
    });
}

/// Concurrent first writes of one new client key each create its tenant or find it
/// created: none fails on the key's uniqueness (a 409 under load on PostgreSQL).
#[test]
fn concurrent_creations_of_one_tenant_agree() {
    for_each_backend(|db| {
        let store = std::sync::Arc::new(db.open(FieldKeys::plain()));
        for round in 0..20 {
            let key = format!("7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a{round:04}");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let (store, barrier, key) = (store.clone(), barrier.clone(), key.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        store.create_tenant(Some(&key), "test")
                    })
                })
                .collect();
            let outcomes: Vec<_> = threads.into_iter().map(|thread| thread.join().unwrap()).collect();
            let created = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
            assert_eq!(created, 1, "{}: {outcomes:?}", db.name);
            assert!(
                outcomes.iter().all(|outcome| matches!(outcome, Ok(_) | Err(StoreError::Exists { .. }))),
                "{}: {outcomes:?}",
                db.name
            );
        }
    });
}

#[test]
fn import_replaces_the_policy_and_export_gives_it_back() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let mut document = blog_document();
        document.roles.0.push(("admin".into(), Default::default()));
        document.roles.0[2].1.parents = vec!["editor".into()];
        document.members.0 =
            (0..1200).map(|i| (format!("u{i:04}"), vec!["viewer".into(), "admin".into()])).collect();
        let reported = std::cell::Cell::new(0);
        let summary = store.import(&scope(TENANT), &document, &|done| reported.set(done)).unwrap();
        assert_eq!((summary.roles, summary.rules, summary.memberships), (3, 3, 2400));
        assert_eq!(reported.get(), 2400, "progress ends at the number of memberships written");
        let (exported, revision) = store.policy(TENANT).unwrap();
        assert_eq!(revision, 8);
        assert_eq!(exported.clone().into_policy().unwrap(), document.into_policy().unwrap(), "{}", db.name);
        let last = &store.audit_query(TENANT, &Filter { limit: 1, ..Filter::default() }).unwrap()[0];
        assert_eq!(last.action, "policy.import");
        assert_eq!(last.details["memberships"], 2400);
    });
}

#[test]
fn schema_is_migrated_once_and_a_newer_schema_is_refused() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        assert_eq!(store.schema_version().unwrap(), 8);
        drop(store);
        // Reopening migrates nothing and keeps everything.
        assert_eq!(db.open(FieldKeys::plain()).revision(TENANT).unwrap(), 7);
        db.sql("INSERT INTO tessera_migrations (version, name, applied_at) VALUES (99, 'future', 0)");
        let error = Store::open(&db.location, FieldKeys::plain(), true).unwrap_err();
        assert_eq!(error.code(), "ERR_STORE_SCHEMA_TOO_NEW", "{}", db.name);
    });
}

#[cfg(unix)]
#[test]
fn the_sqlite_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::sqlite();
    let _store = blog(&db, FieldKeys::plain());
    let path = db.sqlite_path().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let mut wal = path.into_os_string();
    wal.push("-wal");
    assert_eq!(std::fs::metadata(&wal).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn api_keys_validate_until_revoked_or_expired() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let s = scope(TENANT);
        let (alice, alice_secret) = store.create_api_key(&s, "alice", Some("ci deploys"), None).unwrap();
        let (_, bob_secret) = store.create_api_key(&s, "bob", None, None).unwrap();
        let (_, expired) = store.create_api_key(&s, "bob", None, Some(tessera_now() - 1)).unwrap();
        assert!(
            alice_secret.starts_with("rak_")
                && alice_secret.len() == 47
                && alice_secret.starts_with(&alice.prefix)
        );
        assert_eq!(uuid::Uuid::parse_str(&alice.id).unwrap().get_version_num(), 4);
        let owner = store.validate_api_key(&alice_secret).unwrap().unwrap();
        assert_eq!(
            (owner.tenant_digest, owner.user.as_str(), owner.id.as_str()),
            (tessera_store::key_digest(TENANT), "alice", alice.id.as_str())
        );
        assert_eq!(store.validate_api_key(&bob_secret).unwrap().unwrap().user, "bob");
        assert_eq!(store.validate_api_key(&expired).unwrap(), None, "{}: expired", db.name);
        // A wrong secret with a real id, a malformed key, an unknown id: all just invalid.
        // The last character is changed, never replaced by itself (1 secret in 64 ends in any one letter).
        let mut wrong = alice_secret.to_string();
        let last = wrong.pop().unwrap();
        wrong.push(if last == 'Q' { 'R' } else { 'Q' });
        for bad in [wrong.as_str(), "rak_", "nonsense", &format!("rak_{}", "0".repeat(43))] {
            assert_eq!(store.validate_api_key(bad).unwrap(), None, "{bad}");
        }
        assert_eq!(store.api_keys(TENANT, Some("bob")).unwrap().len(), 2);
        assert_eq!(store.api_keys(TENANT, None).unwrap().len(), 3);
        store.revoke_api_key(&s, &alice.id).unwrap();
        assert_eq!(store.validate_api_key(&alice_secret).unwrap(), None);
        assert_eq!(store.revoke_api_key(&s, &alice.id).unwrap_err().code(), "ERR_NOT_FOUND");
        assert!(store.api_keys(TENANT, Some("alice")).unwrap()[0].revoked_at.is_some());
        assert_eq!(
            store.create_api_key(&s, "bad user", None, None).unwrap_err().code(),
            "ERR_INVALID_IDENTIFIER"
        );
        assert_eq!(
            store.create_api_key(&s, "bob", Some(" padded"), None).unwrap_err().code(),
            "ERR_INVALID_IDENTIFIER"
        );
        let actions: Vec<String> = store
            .audit_query(
                TENANT,
                &Filter { entity_type: Some("api_key".into()), limit: 10, ..Filter::default() },
            )
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(actions, ["apikey.revoke", "apikey.create", "apikey.create", "apikey.create"]);
    });
}

#[test]
fn reencrypt_runs_while_writers_keep_writing() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::new(&[key("data-old", 1)], true).unwrap());
        for i in 0..300 {
            store.add_member(&scope(TENANT), &format!("early-{i}"), "viewer").unwrap();
        }
        drop(store);
        let both = || FieldKeys::new(&[key("data-new", 2), key("data-old", 1)], true).unwrap();
        let store = std::sync::Arc::new(db.open(both()));
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    store.add_member(&scope(TENANT), &format!("late-{i}"), "editor").unwrap();
                    store.remove_member(&scope(TENANT), &format!("early-{i}"), "viewer").unwrap();
                }
            })
        };
        store.reencrypt(7, &|_| {}).unwrap();
        writer.join().unwrap();
        // Rows a writer touched during the run are already new; a second run finds the rest.
        store.reencrypt(7, &|_| {}).unwrap();
        assert_eq!(store.rows_using("data-old").unwrap(), 0, "{}", db.name);
        drop(store);
        let store = db.open(FieldKeys::new(&[key("data-new", 2)], true).unwrap());
        let (document, _) = store.policy(TENANT).unwrap();
        assert_eq!(document.members.0.len(), 2 + 200 + 100, "{}", db.name);
        assert!(store.audit_verify(TENANT).unwrap().broken.is_none());
    });
}

#[test]
fn batched_audit_entries_chain_in_each_tenant_and_a_bad_one_writes_nothing() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        store.create_tenant(Some(OTHER), "cli:tester").unwrap();
        let before = store.audit_count(TENANT, &Filter::default()).unwrap();
        let entry =
            |n: usize| Entry::new("check", "permission", format!("p{n}"), serde_json::json!({"n": n}));
        let (tenant, other) = (store.tenant_id(TENANT).unwrap(), store.tenant_id(OTHER).unwrap());
        let batch: Vec<(TenantId, Option<String>, Entry)> = (0..10)
            .map(|n| (if n % 2 == 0 { tenant } else { other }, Some("http:127.0.0.1".to_owned()), entry(n)))
            .collect();
        store.record_all(&batch).unwrap();
        assert_eq!(store.audit_count(TENANT, &Filter::default()).unwrap(), before + 5, "{}", db.name);
        assert!(store.audit_verify(TENANT).unwrap().broken.is_none());
        assert!(store.audit_verify(OTHER).unwrap().broken.is_none());
        // An unknown tenant in the batch: the whole batch is refused, nothing half-written.
        let mut bad = batch.clone();
        bad.insert(3, (TenantId(i64::MAX), None, entry(99)));
        assert_eq!(store.record_all(&bad).unwrap_err().code(), "ERR_UNKNOWN_TENANT");
        assert_eq!(store.audit_count(TENANT, &Filter::default()).unwrap(), before + 5);
    });
}

/// The blog tenant with a small drive on top: types, a folder tree, a group, a user's
/// attributes, grants and rules.
fn drive_document() -> PolicyDocument {
    let mut document = blog_document();
    let model = PolicyDocument::from_json(&format!(
        r#"{{"tenant": "{TENANT}",
            "types": {{"folder": {{"actions": ["read", "write"]}},
                       "document": {{"actions": ["read", "edit", "delete"]}}}},
            "resources": {{"folder:eng": {{"attributes": {{"archived": false}}}},
                           "folder:eng-specs": {{"parents": ["folder:eng"]}},
                           "document:roadmap": {{"parents": ["folder:eng-specs"], "attributes": {{"owner": "carol"}}}}}},
            "groups": {{"eng": {{"members": ["dave"]}}}},
            "users": {{"carol": {{"attributes": {{"department": "eng"}}}}}},
            "grants": [{{"group": "eng", "role": "viewer", "on": "folder:eng"}},
                       {{"user": "erin", "role": "editor", "on": "folder:eng-specs"}}],
            "rules": [{{"id": "owners-edit", "effect": "permit", "actions": ["document:edit"],
                        "when": "resource.owner == subject.id"}}]}}"#
    ))
    .unwrap();
    document.types = model.types;
    document.resources = model.resources;
    document.groups = model.groups;
    document.users = model.users;
    document.grants = model.grants;
    document.rules = model.rules;
    // Role patterns on a declared type name its actions.
    document.roles.0[0].1.grants.push("document:edit".into());
    document.roles.0[1].1.grants.push("document:read".into());
    document
}

fn allows(store: &Store, user: &str, action: &str, resource: &str) -> bool {
    let (document, _) = store.policy(TENANT).unwrap();
    let authorizer = tessera_core::Authorizer::new(document.into_policy().unwrap());
    let (kind, id) = resource.split_once(':').unwrap();
    authorizer.evaluate(&tessera_core::Query::on(user, action, kind, id)).unwrap().allowed()
}

#[test]
fn the_resource_model_is_stored_edited_and_exported() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let s = scope(TENANT);
        let document = drive_document();
        let summary = store.import(&s, &document, &|_| {}).unwrap();
        assert_eq!(summary.entries, 10);
        let (exported, _) = store.policy(TENANT).unwrap();
        assert_eq!(exported.clone().into_policy().unwrap(), document.into_policy().unwrap(), "{}", db.name);
        assert!(allows(&store, "dave", "read", "document:roadmap"), "the group's grant on the root");
        assert!(allows(&store, "carol", "edit", "document:roadmap"), "the owner rule");
        assert!(!allows(&store, "dave", "edit", "document:roadmap"));

        // An entry put, read back, put again unchanged, replaced, deleted.
        let memo = ModelEntry::Resource(
            "document:memo".into(),
            ResourceDocument { parents: vec!["folder:eng".into()], ..Default::default() },
        );
        assert!(store.put_entry(&s, &memo).unwrap().changed);
        assert!(!store.put_entry(&s, &memo).unwrap().changed, "the same entry again changes nothing");
        assert_eq!(store.entry(TENANT, EntryKind::Resource, "document:memo").unwrap(), Some(memo));
        assert!(allows(&store, "dave", "read", "document:memo"));
        let moved = ModelEntry::Resource(
            "document:memo".into(),
            ResourceDocument { parents: vec!["folder:eng-specs".into()], ..Default::default() },
        );
        assert!(store.put_entry(&s, &moved).unwrap().changed);
        assert!(allows(&store, "erin", "edit", "document:memo"), "moved under erin's folder");
        let grant = GrantDocument {
            user: Some("frank".into()),
            role: "viewer".into(),
            on: "document:memo".into(),
            ..Default::default()
        };
        store.put_entry(&s, &ModelEntry::Grant(grant.clone())).unwrap();
        assert!(allows(&store, "frank", "read", "document:memo"));
        store.delete_entry(&s, EntryKind::Grant, &grant_key(&grant)).unwrap();
        assert!(!allows(&store, "frank", "read", "document:memo"));
        store.delete_entry(&s, EntryKind::Resource, "document:memo").unwrap();
        assert_eq!(store.entry(TENANT, EntryKind::Resource, "document:memo").unwrap(), None);

        // Another tenant's entry of the same key is its own.
        store.create_tenant(Some(OTHER), "cli:tester").unwrap();
        let other = ModelEntry::Type("folder".into(), TypeDocument { actions: vec!["open".into()] });
        store.put_entry(&scope(OTHER), &other).unwrap();
        assert_eq!(store.entry(OTHER, EntryKind::Type, "folder").unwrap(), Some(other));
        assert_eq!(
            store.entry(TENANT, EntryKind::Type, "folder").unwrap(),
            Some(ModelEntry::Type(
                "folder".into(),
                TypeDocument { actions: vec!["read".into(), "write".into()] }
            ))
        );
        store.delete_entry(&scope(OTHER), EntryKind::Type, "folder").unwrap();
        assert!(store.entry(TENANT, EntryKind::Type, "folder").unwrap().is_some());
        let resources: Vec<String> =
            store.entries(TENANT, EntryKind::Resource).unwrap().iter().map(ModelEntry::key).collect();
        assert_eq!(resources, ["document:roadmap", "folder:eng", "folder:eng-specs"]);
        let actions: Vec<String> =
            store.audit_query(TENANT, &all()).unwrap().iter().take(6).map(|r| r.action.clone()).collect();
        assert_eq!(
            actions,
            ["resource.delete", "grant.delete", "grant.put", "resource.put", "resource.put", "policy.import"]
        );
    });
}

#[test]
fn model_writes_that_break_the_policy_change_nothing() {
    for_each_backend(|db| {
        let store = blog(db, FieldKeys::plain());
        let s = scope(TENANT);
        store.import(&s, &drive_document(), &|_| {}).unwrap();
        let before = (store.policy(TENANT).unwrap(), store.audit_query(TENANT, &all()).unwrap().len());
        let code = |e: StoreError| e.code();
        let put = |entry: ModelEntry| match store.put_entry(&s, &entry) {
            Ok(_) => panic!("{entry:?} was accepted"),
            Err(e) => e.code(),
        };
        let resource = |key: &str, parents: &[&str]| {
            let parents = parents.iter().map(|p| p.to_string()).collect();
            ModelEntry::Resource(key.into(), ResourceDocument { parents, ..Default::default() })
        };
        let grant = |role: &str, on: &str| {
            ModelEntry::Grant(GrantDocument {
                user: Some("frank".into()),
                role: role.into(),
                on: on.into(),
                ..Default::default()
            })
        };
        assert_eq!(put(grant("viewer", "document:nowhere")), "ERR_POLICY_UNKNOWN_RESOURCE");
        assert_eq!(put(grant("auditor", "folder:eng")), "ERR_POLICY_UNKNOWN_ROLE");
        assert_eq!(put(resource("folder:eng", &["folder:eng-specs"])), "ERR_POLICY_CYCLE");
        assert_eq!(put(resource("video:intro", &[])), "ERR_POLICY_UNKNOWN_TYPE");
        assert_eq!(put(resource("document:bad\nid", &[])), "ERR_INVALID_IDENTIFIER");
        let rule = |when: &str| {
            ModelEntry::Rule(RuleDocument {
                id: "broken".into(),
                effect: Effect::Forbid,
                actions: vec!["document:*".into()],
                roles: Vec::new(),
                when: Some(when.into()),
            })
        };
        assert_eq!(put(rule("resource.owner ==")), "ERR_POLICY_CONDITION");
        assert_eq!(put(rule(r#"resource.size > 3 && "big" == 3"#)), "ERR_POLICY_CONDITION");
        let group = GroupDocument { parents: vec!["nobody".into()], ..Default::default() };
        assert_eq!(put(ModelEntry::Group("eng".into(), group)), "ERR_POLICY_UNKNOWN_GROUP");
        // Deletions that would leave references dangling.
        let delete = |kind, key: &str| code(store.delete_entry(&s, kind, key).unwrap_err());
        assert_eq!(delete(EntryKind::Type, "folder"), "ERR_IN_USE");
        assert_eq!(delete(EntryKind::Resource, "folder:eng"), "ERR_IN_USE");
        assert_eq!(delete(EntryKind::Group, "eng"), "ERR_IN_USE");
        assert_eq!(delete(EntryKind::Rule, "nothing-here"), "ERR_NOT_FOUND");
        // Role edits are held to the model too.
        let in_use = store.delete_role(&s, "viewer").unwrap_err();
        assert!(
            matches!(&in_use, StoreError::InUse { kind: "role", name, .. } if name == "viewer"),
            "{in_use}"
        );
        assert_eq!(in_use.code(), "ERR_IN_USE");
        assert_eq!(
            code(store.grant(&s, "viewer", "document:fly").unwrap_err()),
            "ERR_POLICY_UNDECLARED_ACTION"
        );
        let after = (store.policy(TENANT).unwrap(), store.audit_query(TENANT, &all()).unwrap().len());
        assert_eq!(before, after, "{}", db.name);
    });
}
