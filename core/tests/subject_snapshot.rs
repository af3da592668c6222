//! Subject-scoped snapshots hold none of another user's facts: for random policies
//! where other users appear only in memberships, strict users, groups, grants and
//! user attributes, the sealed bytes of each user's snapshot never contain another
//! user's name. And a loaded one stays bound to its subject.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use serde_json::{Value, json};
use tessera_core::{Policy, PolicyDocument, QueryError, SigningKey, Snapshot, SnapshotError, SnapshotLoader};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

/// A seeded generator of numbers below `n`.
fn below(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    }
}

/// A user's name ends in a token found nowhere else in the policy, so a scan for it
/// cannot hit by chance (and front coding, which shares prefixes, keeps it whole).
fn user(i: u64) -> String {
    format!("person-{i}-q{:x}z", 0x9e37_79b9_u64.wrapping_mul(i + 1) & 0xff_ffff)
}

fn token(name: &str) -> &str {
    name.rsplit('-').next().unwrap()
}

/// A drive: folders and documents in a tree, groups of groups, roles with
/// hierarchy, grants to users and groups at every depth, owner rules reading a
/// resource attribute that names no user, an archived-folder forbid.
fn random_policy(seed: u64, users: u64) -> Value {
    let mut next = below(seed);
    let names: Vec<String> = (0..users).map(user).collect();
    let pick = |next: &mut dyn FnMut(u64) -> u64| names[next(users) as usize].clone();
    let mut resources = serde_json::Map::new();
    for f in 0..6 {
        let parents = if f == 0 { vec![] } else { vec![format!("folder:f{}", next(f))] };
        resources.insert(
            format!("folder:f{f}"),
            json!({"parents": parents, "attributes": {"archived": next(4) == 0}}),
        );
    }
    for d in 0..12 {
        resources.insert(
            format!("document:d{d}"),
            json!({"parents": [format!("folder:f{}", next(6))], "attributes": {"label": format!("l{}", next(3))}}),
        );
    }
    let roles = json!({
        "viewer": {"grants": ["document:read", "folder:read"]},
        "editor": {"parents": ["viewer"], "grants": ["document:*"], "denies": ["document:delete"]},
        "owner": {"parents": ["editor"], "grants": ["*"]},
        "auditor": {"grants": ["audit:read"]},
        "nobody": {},
    });
    let role_names = ["viewer", "editor", "owner", "auditor", "nobody"];
    let mut members = serde_json::Map::new();
    for _ in 0..next(users + 1) {
        let roles: Vec<&str> = (0..1 + next(2)).map(|_| role_names[next(5) as usize]).collect();
        let mut roles = roles;
        roles.sort_unstable();
        roles.dedup();
        members.insert(pick(&mut next), json!(roles));
    }
    let mut groups = serde_json::Map::new();
    for g in 0..4 {
        let mut group_members: Vec<String> = (0..next(4)).map(|_| pick(&mut next)).collect();
        group_members.sort();
        group_members.dedup();
        let parents: Vec<String> = if g == 0 { vec![] } else { vec![format!("team{}", next(g))] };
        let roles: Vec<&str> = if next(3) == 0 { vec![role_names[next(5) as usize]] } else { vec![] };
        groups.insert(
            format!("team{g}"),
            json!({"members": group_members, "parents": parents, "roles": roles}),
        );
    }
    let mut grants = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..16 {
        let on =
            if next(2) == 0 { format!("folder:f{}", next(6)) } else { format!("document:d{}", next(12)) };
        let role = role_names[next(3) as usize];
        let grant = if next(3) == 0 {
            json!({"group": format!("team{}", next(4)), "role": role, "on": on})
        } else {
            json!({"user": pick(&mut next), "role": role, "on": on})
        };
        if seen.insert(grant.to_string()) {
            grants.push(grant);
        }
    }
    let mut user_attributes = serde_json::Map::new();
    for _ in 0..next(users) {
        user_attributes.insert(
            pick(&mut next),
            json!({"attributes": {"label": format!("l{}", next(3)), "level": next(5)}}),
        );
    }
    let mut strict: Vec<String> = (0..next(users)).map(|_| pick(&mut next)).collect();
    strict.sort();
    strict.dedup();
    let mut policy = json!({
        "tenant": TENANT,
        "roles": roles,
        "members": members,
        "types": {"folder": {"actions": ["read", "write"]}, "document": {"actions": ["read", "edit", "delete"]}},
        "resources": resources,
        "groups": groups,
        "users": user_attributes,
        "grants": grants,
        "rules": [
            {"id": "archived", "effect": "forbid", "actions": ["folder:write"], "when": "resource.archived == true"},
            {"id": "same-label", "effect": "permit", "actions": ["document:read"], "roles": ["viewer"],
             "when": "resource.label == subject.label"},
            {"id": "level", "effect": "permit", "actions": ["document:edit"], "when": "subject.level >= 3"},
        ],
    });
    if next(2) == 0 {
        policy["strict_users"] = json!({"key_backed": strict});
    }
    policy
}

fn policy(document: &Value) -> Policy {
    PolicyDocument::from_json(&document.to_string()).and_then(PolicyDocument::into_policy).unwrap()
}

fn sealed(policy: &Policy, subject: &str, key: &SigningKey) -> Vec<u8> {
    let slice = policy.for_subject(subject).unwrap();
    Snapshot { revision: 3, issued_at: 1_000, expires_at: Some(1_300), policy: slice }.seal(key).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_subject_snapshot_holds_no_other_users_name() {
    let key = SigningKey::generate().unwrap();
    let users = 12;
    let names: Vec<String> = (0..users).map(user).collect();
    let mut own_seen = 0;
    for seed in 0..300 {
        let document = random_policy(seed, users);
        let full = policy(&document);
        let tenant_bytes = Snapshot { revision: 3, issued_at: 1_000, expires_at: None, policy: full.clone() }
            .seal(&key)
            .unwrap();
        for subject in &names {
            let bytes = sealed(&full, subject, &key);
            for other in names.iter().filter(|n| *n != subject) {
                assert!(
                    !contains(&bytes, token(other)),
                    "{subject}'s snapshot names {other} (seed {seed}): {document}"
                );
            }
            if contains(&tenant_bytes, token(subject)) {
                // The scan finds names where they are: the subject's own facts travel.
                assert!(contains(&bytes, token(subject)), "{subject} (seed {seed})");
                own_seen += 1;
            }
        }
    }
    assert!(own_seen > 1_000, "the policies name their users: {own_seen}");
}

#[test]
fn a_subject_snapshot_keeps_only_what_its_subject_can_reach() {
    let document = json!({
        "tenant": TENANT,
        "roles": {"viewer": {"grants": ["document:read"]}, "admin": {"grants": ["*"]}},
        "members": {"root": ["admin"]},
        "types": {"folder": {"actions": ["read"]}, "document": {"actions": ["read"]}},
        "resources": {
            "folder:eng": {}, "folder:hr": {},
            "document:spec": {"parents": ["folder:eng"], "attributes": {"owner": "alice"}},
            "document:salaries": {"parents": ["folder:hr"], "attributes": {"owner": "carol"}},
        },
        "groups": {"engineers": {"members": ["alice", "bob"]}},
        "grants": [{"group": "engineers", "role": "viewer", "on": "folder:eng"},
                   {"user": "carol", "role": "viewer", "on": "folder:hr"}],
    });
    let full = policy(&document);
    let alice = full.for_subject("alice").unwrap();
    let exported = serde_json::to_value(alice.to_document()).unwrap();
    assert_eq!(
        exported["resources"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["document:spec", "folder:eng"]
    );
    assert_eq!(exported["groups"]["engineers"]["members"], json!(["alice"]));
    // Attributes only where a condition could read them: no rule here has one.
    assert!(exported["resources"]["document:spec"].get("attributes").is_none(), "{exported}");
    assert_eq!(exported["roles"].as_object().unwrap().keys().collect::<Vec<_>>(), ["viewer"]);
    assert_eq!(exported["members"], json!({}));
    // Someone holding `*` tenant-wide reaches everything.
    let root = serde_json::to_value(full.for_subject("root").unwrap().to_document()).unwrap();
    assert_eq!(root["resources"].as_object().unwrap().len(), 4);
    assert!(root["grants"].as_array().is_none_or(Vec::is_empty), "{root}");
    // A user the policy does not name gets a slice that allows nothing.
    let stranger = full.for_subject("stranger").unwrap();
    let stranger = serde_json::to_value(stranger.to_document()).unwrap();
    assert!(stranger["resources"].as_object().is_none_or(serde_json::Map::is_empty), "{stranger}");
    assert!(full.for_subject("not a user!").is_err());
}

#[test]
fn a_loaded_subject_snapshot_answers_for_its_subject_only() {
    let key = SigningKey::generate().unwrap();
    let full = policy(&random_policy(7, 6));
    let (alice, bob) = (user(1), user(2));
    let loader = SnapshotLoader::new().trust(key.verifying_key());
    let loaded = loader.load(&sealed(&full, &alice, &key), 1_100, None).unwrap();
    assert_eq!(loaded.info.subject.as_deref(), Some(alice.as_str()));
    let authz = loaded.authorizer_at(1_100).unwrap();
    assert_eq!(authz.scope(), Some(alice.as_str()));
    assert!(authz.check(&alice, "document:read").is_ok());
    assert_eq!(authz.check(&bob, "document:read"), Err(QueryError::OutOfScope));
    assert_eq!(authz.check(&bob, "document:read").unwrap_err().code(), "ERR_SNAPSHOT_SUBJECT");
    // An identifier that breaks its rule is reported as such, scoped or not.
    assert_eq!(authz.check("", "document:read").unwrap_err().code(), "ERR_INVALID_IDENTIFIER");
    assert_eq!(authz.role_members("viewer"), Err(QueryError::OutOfScope));
    // Past its expiry it answers nothing, as every snapshot.
    assert!(loaded.authorizer_at(1_300).is_err());
    // A refresh for another subject, or the tenant's own, never replaces it.
    let refused = loader.load(&sealed(&full, &bob, &key), 1_100, Some(&loaded.info));
    assert_eq!(refused.unwrap_err(), SnapshotError::SubjectMismatch);
    let tenant = Snapshot { revision: 4, issued_at: 1_000, expires_at: None, policy: full.clone() }
        .seal(&key)
        .unwrap();
    assert_eq!(loader.load(&tenant, 1_100, Some(&loaded.info)).unwrap_err(), SnapshotError::SubjectMismatch);
    assert!(loader.load(&sealed(&full, &alice, &key), 1_100, Some(&loaded.info)).is_ok());
}
