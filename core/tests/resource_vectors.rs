//! The resource-model conformance vectors (`tests/vectors/policy/resources-*.json`):
//! hand-written policies, and a grid of checks and searches over each whose expected
//! answers come from the plain reference (`reference::model`), never from the
//! compiled authorizer. `vectors_agree_with_the_reference` keeps the committed files
//! honest; `write_resource_vectors` (ignored) regenerates their cases:
//! `cargo test -p tessera-core --test resource_vectors -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod reference;

use std::collections::BTreeSet;
use std::path::PathBuf;

use reference::model::Reference;
use serde_json::{Value, json};

fn vector_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/policy");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("resources-")))
        .collect();
    files.sort();
    files
}

/// Request attributes each scenario is also asked with (besides none).
fn variants(name: &str) -> Vec<Value> {
    let mut variants = vec![Value::Null];
    match name {
        "resources-drive" => {
            variants.push(json!({"resource": {"owner": "alice", "archived": true, "classification": 9}}));
        }
        "resources-rules" => {
            variants.push(json!({"context": {"mfa": true}, "subject": {"groups": ["board"]}}));
            variants.push(json!({"context": {"freeze": true}}));
            variants.push(
                json!({"context": {"override": true}, "resource": {"locked": true, "department": "Legal"}}),
            );
            variants
                .push(json!({"subject": {"department": "Legal", "level": 5}, "context": {"mfa": "true"}}));
        }
        _ => {}
    }
    variants
}

fn resource_json(key: &str) -> Value {
    let (kind, id) = key.split_once(':').unwrap();
    json!({"type": kind, "id": id})
}

/// Cases a face must refuse whatever the policy: identifiers that break their rule
/// and requests of the wrong shape.
fn refusals() -> Vec<Value> {
    let bad_identifier = "ERR_INVALID_IDENTIFIER";
    vec![
        json!({"op": "evaluate", "subject": "al ice", "action": "read", "resource": {"type": "doc", "id": "1"}, "expect_error": bad_identifier}),
        json!({"op": "evaluate", "subject": "alice", "action": "re ad", "resource": {"type": "doc", "id": "1"}, "expect_error": bad_identifier}),
        json!({"op": "evaluate", "subject": "alice", "action": "read", "resource": {"type": "Doc", "id": "1"}, "expect_error": bad_identifier}),
        json!({"op": "evaluate", "subject": "alice", "action": "read", "resource": {"type": "doc", "id": "a\u{1}b"}, "expect_error": bad_identifier}),
        json!({"op": "evaluate", "subject": "alice", "action": "read", "resource": {"type": "doc", "id": ""}, "expect_error": bad_identifier}),
        json!({"op": "search", "search": "resources", "subject": "alice", "action": "read", "type": "9doc", "expect_error": bad_identifier}),
        json!({"op": "search", "search": "subjects", "action": "read", "resource": {"type": "doc", "id": "x".repeat(257)}, "expect_error": bad_identifier}),
        json!({"op": "search", "search": "actions", "subject": "", "resource": {"type": "doc", "id": "1"}, "expect_error": bad_identifier}),
        json!({"op": "search", "search": "resources", "subject": "alice", "type": "doc", "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "search", "search": "everything", "subject": "alice", "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "evaluate", "subject": "alice", "action": "read", "resource": {"type": "doc"}, "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "evaluate", "subject": "alice", "action": "read", "resource": {"type": "doc", "id": "1"}, "attributes": {"context": {"n": 1.5}}, "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "evaluate", "subject": "alice", "action": "doc:read", "attributes": {"context": {"mfa": true}}, "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "search", "search": "subjects", "action": "read", "resource": {"type": "doc", "id": "1"}, "attributes": {"subject": {"level": 9}}, "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "search", "search": "resources", "subject": "alice", "action": "read", "type": "doc", "page": {"limit": 0}, "expect_error": "ERR_INVALID_ARGUMENT"}),
        // Objects only: serde's derive would read a struct from an array of its fields.
        json!({"op": "evaluate", "subject": "alice", "action": "read", "resource": ["doc", "1"], "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "search", "search": "resources", "subject": "alice", "action": "read", "type": "doc", "page": [null, 5], "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "search", "search": "actions", "subject": "alice", "resource": ["doc", "1"], "expect_error": "ERR_INVALID_ARGUMENT"}),
        json!({"op": "search", "search": "resources", "subject": "alice", "action": "read", "type": "doc", "attributes": {"resource": {"archived": true}}, "expect_error": "ERR_INVALID_ARGUMENT"}),
    ]
}

/// Every page of a search, `limit` at a time, as cases.
fn walk(reference_items: &[String], mut case: Value, limit: usize) -> Vec<Value> {
    let mut cases = Vec::new();
    let mut after: Option<&String> = None;
    let mut start = 0;
    loop {
        let items: Vec<&String> = reference_items.iter().skip(start).take(limit).collect();
        let more = start + limit < reference_items.len();
        let mut page = json!({"limit": limit});
        if let Some(after) = after {
            page["after"] = json!(after);
        }
        case["page"] = page;
        let mut expect = json!({"items": items});
        if more {
            expect["next"] = json!(items.last());
        }
        case["expect"] = expect;
        cases.push(case.clone());
        if !more {
            return cases;
        }
        after = items.last().copied();
        start += limit;
    }
}

/// The grid of cases for one policy, answered by the reference.
fn cases(name: &str, policy: &Value) -> Vec<Value> {
    let reference = Reference::new(policy);
    let mut users: Vec<String> = reference.known_users().into_iter().collect();
    users.push("nobody".into());
    let types: Vec<String> = policy["types"].as_object().unwrap().keys().cloned().collect();
    let stored: Vec<String> = policy["resources"].as_object().unwrap().keys().cloned().collect();
    let mut resources = stored.clone();
    resources.extend(types.iter().map(|t| format!("{t}:new")));
    resources.push("other:x".into());
    let actions_of = |kind: &str| -> Vec<String> {
        let mut actions: Vec<String> = policy
            .pointer(&format!("/types/{kind}/actions"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        actions.push("frob".into());
        actions
    };
    let mut out = Vec::new();
    for attributes in variants(name) {
        let with = |mut case: Value| {
            if !attributes.is_null() {
                case["attributes"] = attributes.clone();
            }
            case
        };
        for user in &users {
            for key in &resources {
                let (kind, id) = key.split_once(':').unwrap();
                for action in actions_of(kind) {
                    let expect = reference.decide(user, &action, Some((kind, id)), &attributes);
                    let case = json!({"op": "evaluate", "subject": user, "action": action, "resource": resource_json(key), "expect": expect});
                    out.push(with(case));
                }
            }
        }
        for user in &users {
            for key in &resources {
                let (kind, id) = key.split_once(':').unwrap();
                let items = reference.actions(user, (kind, id), &attributes);
                let case = json!({"op": "search", "search": "actions", "subject": user, "resource": resource_json(key), "expect": {"items": items}});
                out.push(with(case));
            }
            // A search for resources takes no resource attributes.
            let mut others = attributes.clone();
            if let Some(object) = others.as_object_mut() {
                object.remove("resource");
            }
            let with_others = |mut case: Value| {
                if others.as_object().is_some_and(|o| !o.is_empty()) {
                    case["attributes"] = others.clone();
                }
                case
            };
            for kind in &types {
                for action in actions_of(kind) {
                    let items = reference.resources(user, &action, kind, &others);
                    let case = json!({"op": "search", "search": "resources", "subject": user, "action": action, "type": kind, "expect": {"items": items}});
                    out.push(with_others(case.clone()));
                    if items.len() >= 2 {
                        out.extend(walk(&items, with_others(case), 1));
                    }
                }
            }
        }
        // A search for subjects takes no subject attributes.
        let mut others = attributes.clone();
        if let Some(object) = others.as_object_mut() {
            object.remove("subject");
        }
        let with_others = |mut case: Value| {
            if others.as_object().is_some_and(|o| !o.is_empty()) {
                case["attributes"] = others.clone();
            }
            case
        };
        for key in &resources {
            let (kind, id) = key.split_once(':').unwrap();
            for action in actions_of(kind) {
                let items = reference.subjects(&action, (kind, id), &others);
                let case = json!({"op": "search", "search": "subjects", "action": action, "resource": resource_json(key), "expect": {"items": items}});
                out.push(with_others(case.clone()));
                if items.len() >= 3 {
                    out.extend(walk(&items, with_others(case), 2));
                }
            }
        }
    }
    // Without a resource: the tenant-wide check of the permission.
    let permissions: BTreeSet<String> = policy["roles"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|r| ["grants", "denies"].map(|l| r.get(l).cloned().unwrap_or(json!([]))))
        .flat_map(|l| l.as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_str().map(|p| p.replace('*', "any")))
        .collect();
    for user in &users {
        for permission in &permissions {
            let expect = reference.decide(user, permission, None, &Value::Null);
            out.push(json!({"op": "evaluate", "subject": user, "action": permission, "expect": expect}));
        }
    }
    out.extend(refusals());
    out
}

#[test]
fn vectors_agree_with_the_reference() {
    let files = vector_files();
    assert!(files.len() >= 5, "resource vector files: {files:?}");
    let mut total = 0;
    for path in files {
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = vector["name"].as_str().unwrap();
        let expected = cases(name, &vector["policy"]);
        let cases = vector["cases"].as_array().unwrap();
        assert_eq!(cases.len(), expected.len(), "{}: regenerate with -- --ignored", path.display());
        for (case, want) in cases.iter().zip(&expected) {
            assert_eq!(case, want, "{}", path.display());
        }
        total += cases.len();
    }
    assert!(total >= 600, "only {total} resource-model cases");
}

#[test]
#[ignore = "rewrites the vector files; run by hand after changing a scenario"]
fn write_resource_vectors() {
    for path in vector_files() {
        let mut vector: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = vector["name"].as_str().unwrap().to_string();
        vector["cases"] = json!(cases(&name, &vector["policy"]));
        let mut text = String::from("{\n");
        for (i, field) in ["name", "description", "policy"].iter().enumerate() {
            let _ = i;
            text.push_str(&format!(" {}: {},\n", json!(field), vector[*field]));
        }
        text.push_str(" \"cases\": [\n");
        let cases = vector["cases"].as_array().unwrap();
        for (i, case) in cases.iter().enumerate() {
            text.push_str(&format!("  {}{}\n", case, if i + 1 < cases.len() { "," } else { "" }));
        }
        text.push_str(" ]\n}\n");
        std::fs::write(&path, text).unwrap();
    }
}
