//! The resource model end to end on a shared drive: hierarchy, groups, grants at
//! several depths, an owner rule, an archived-folder forbid, request attributes,
//! the three searches and the authoring errors.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use tessera_core::{
    AttributeMap, AttributeValue, Authorizer, Decision, Page, PolicyDocument, Query, RequestAttributes,
    ResourceRef,
};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

fn drive_json() -> String {
    format!(
        r#"{{
  "tenant": "{TENANT}",
  "roles": {{
    "viewer": {{"grants": ["folder:read", "document:read"]}},
    "editor": {{"parents": ["viewer"], "grants": ["document:edit", "folder:write"]}},
    "owner":  {{"parents": ["editor"], "grants": ["document:*", "folder:*"]}},
    "auditor": {{"grants": ["document:read"], "denies": ["document:share"]}}
  }},
  "members": {{"root": ["owner"]}},
  "types": {{
    "drive": {{"actions": ["read"]}},
    "folder": {{"actions": ["read", "write", "share"]}},
    "document": {{"actions": ["read", "edit", "delete", "share"]}}
  }},
  "resources": {{
    "drive:main": {{}},
    "folder:eng": {{"parents": ["drive:main"]}},
    "folder:eng-old": {{"parents": ["folder:eng"], "attributes": {{"archived": true}}}},
    "folder:legal": {{"parents": ["drive:main"]}},
    "document:roadmap": {{"parents": ["folder:eng"], "attributes": {{"owner": "carol"}}}},
    "document:retro": {{"parents": ["folder:eng-old"], "attributes": {{"owner": "bob"}}}},
    "document:contract": {{"parents": ["folder:legal", "folder:eng"], "attributes": {{"owner": "dave", "classification": 3}}}}
  }},
  "groups": {{
    "staff": {{"roles": []}},
    "eng": {{"members": ["alice", "bob"], "parents": ["staff"]}},
    "legal": {{"members": ["dave"], "parents": ["staff"]}}
  }},
  "users": {{
    "erin": {{"attributes": {{"department": "Legal", "clearance": 5}}}}
  }},
  "grants": [
    {{"group": "eng", "role": "editor", "on": "folder:eng"}},
    {{"group": "staff", "role": "viewer", "on": "drive:main"}},
    {{"user": "carol", "role": "viewer", "on": "document:roadmap"}},
    {{"user": "erin", "role": "auditor", "on": "folder:legal"}}
  ],
  "rules": [
    {{"id": "owners-manage", "effect": "permit", "actions": ["document:*"], "when": "resource.owner == subject.id"}},
    {{"id": "archived-frozen", "effect": "forbid", "actions": ["document:edit", "document:delete", "folder:write"],
      "when": "resource.archived == true"}},
    {{"id": "cleared-legal", "effect": "permit", "actions": ["document:read"], "roles": ["auditor"],
      "when": "subject.clearance >= resource.classification"}}
  ]
}}"#
    )
}

fn drive() -> Authorizer {
    Authorizer::new(PolicyDocument::from_json(&drive_json()).unwrap().into_policy().unwrap())
}

fn check<'a>(authz: &'a Authorizer, user: &str, action: &str, resource: &str) -> Decision<'a> {
    let (kind, id) = resource.split_once(':').unwrap();
    authz.evaluate(&Query::on(user, action, kind, id)).unwrap()
}

#[test]
fn roles_held_on_a_resource_apply_to_its_descendants() {
    let authz = drive();
    assert_eq!(
        check(&authz, "alice", "edit", "document:roadmap"),
        Decision::Granted { role: "editor", pattern: "document:edit", on: Some("folder:eng") }
    );
    // Through the group's parent group, held on the drive.
    assert_eq!(
        check(&authz, "dave", "read", "folder:legal"),
        Decision::Granted { role: "viewer", pattern: "folder:read", on: Some("drive:main") }
    );
    assert!(!check(&authz, "dave", "write", "folder:legal").allowed());
    // A second parent brings the eng grants to the contract.
    assert!(check(&authz, "alice", "edit", "document:contract").allowed());
    // Tenant-wide roles apply everywhere.
    assert_eq!(
        check(&authz, "root", "delete", "document:roadmap"),
        Decision::Granted { role: "owner", pattern: "document:*", on: None }
    );
    assert_eq!(check(&authz, "mallory", "read", "document:roadmap"), Decision::NoMatchingGrant);
}

#[test]
fn rules_permit_and_forbid() {
    let authz = drive();
    // Carol only views the roadmap, but owns it.
    assert_eq!(
        check(&authz, "carol", "delete", "document:roadmap"),
        Decision::Permitted { rule: "owners-manage" }
    );
    // An archived folder does not change, whoever holds what.
    assert_eq!(
        check(&authz, "root", "write", "folder:eng-old"),
        Decision::Forbidden { rule: "archived-frozen" }
    );
    assert!(check(&authz, "root", "read", "folder:eng-old").allowed());
    // Conditions read the resource's own attributes: a document under the archived
    // folder is not archived itself.
    assert_eq!(
        check(&authz, "bob", "edit", "document:retro"),
        Decision::Granted { role: "editor", pattern: "document:edit", on: Some("folder:eng") }
    );
    // A role's deny beats rules and grants.
    assert_eq!(
        check(&authz, "erin", "share", "document:contract"),
        Decision::Denied { role: "auditor", pattern: "document:share", on: Some("folder:legal") }
    );
}

#[test]
fn request_attributes_fill_only_what_is_not_stored() {
    let authz = drive();
    let mut attributes = RequestAttributes::default();
    attributes.resource.insert("owner".into(), AttributeValue::Str("zed".into()));
    attributes.resource.insert("archived".into(), AttributeValue::Bool(true));
    // The roadmap stores no `archived`, so the request's applies; it stores an owner
    // (carol), so the request's (zed) does not make zed its owner.
    let query = Query::on("carol", "delete", "document", "roadmap").with(&attributes);
    assert_eq!(authz.evaluate(&query).unwrap(), Decision::Forbidden { rule: "archived-frozen" });
    let query = Query::on("zed", "read", "document", "roadmap").with(&attributes);
    assert_eq!(authz.evaluate(&query).unwrap(), Decision::NoMatchingGrant);
    // A resource that is not stored has only the request's attributes.
    let owner = RequestAttributes {
        resource: AttributeMap::from_entries(vec![("owner".into(), AttributeValue::Str("zed".into()))])
            .unwrap(),
        ..Default::default()
    };
    let query = Query::on("zed", "read", "document", "draft-9").with(&owner);
    assert_eq!(authz.evaluate(&query).unwrap(), Decision::Permitted { rule: "owners-manage" });
    assert_eq!(check(&authz, "zed", "read", "document:draft-9"), Decision::NoMatchingGrant);
}

#[test]
fn searches_are_sorted_and_paginated() {
    let authz = drive();
    let none = RequestAttributes::default();
    let doc = |id| ResourceRef { kind: "document", id };
    let actions = authz.actions("alice", doc("roadmap"), &none, Page::ALL).unwrap();
    assert_eq!(actions.items, ["edit", "read"]);
    let actions = authz.actions("carol", doc("roadmap"), &none, Page::ALL).unwrap();
    assert_eq!(actions.items, ["delete", "edit", "read", "share"]);

    let readable = authz.resources("alice", "read", "document", &none, Page::ALL).unwrap();
    assert_eq!(readable.items, ["contract", "retro", "roadmap"]);
    let first = authz.resources("alice", "read", "document", &none, Page { after: None, limit: 2 }).unwrap();
    assert_eq!((first.items.as_slice(), first.next), (&["contract", "retro"][..], Some("retro")));
    let rest =
        authz.resources("alice", "read", "document", &none, Page { after: first.next, limit: 2 }).unwrap();
    assert_eq!((rest.items.as_slice(), rest.next), (&["roadmap"][..], None));

    let editors = authz.subjects("edit", doc("roadmap"), &none, Page::ALL).unwrap();
    assert_eq!(editors.items, ["alice", "bob", "carol", "root"]);
    let readers = authz.subjects("read", doc("contract"), &none, Page::ALL).unwrap();
    assert_eq!(readers.items, ["alice", "bob", "dave", "erin", "root"]);
}

#[test]
fn the_tenant_wide_check_counts_groups_roles() {
    let json = format!(
        r#"{{"tenant": "{TENANT}", "roles": {{"viewer": {{"grants": ["posts:read"]}}}},
            "groups": {{"readers": {{"members": ["gina"], "roles": ["viewer"]}}}}}}"#
    );
    let authz = Authorizer::new(PolicyDocument::from_json(&json).unwrap().into_policy().unwrap());
    assert_eq!(
        authz.check("gina", "posts:read").unwrap(),
        Decision::Granted { role: "viewer", pattern: "posts:read", on: None }
    );
    assert_eq!(authz.which_users_can("posts:read").unwrap(), ["gina"]);
}

/// A pattern without a colon is a tenant-wide permission, even where a type has its
/// name: `doc` never matches `doc:read`, so it needs no action of `doc`.
#[test]
fn a_tenant_wide_permission_may_share_a_types_name() {
    let json = format!(
        r#"{{"tenant": "{TENANT}", "roles": {{"viewer": {{"grants": ["doc"]}}}}, "members": {{"gina": ["viewer"]}},
            "types": {{"doc": {{"actions": ["read"]}}}}, "resources": {{"doc:1": {{}}}}}}"#
    );
    let authz = Authorizer::new(PolicyDocument::from_json(&json).unwrap().into_policy().unwrap());
    assert!(authz.check("gina", "doc").unwrap().allowed());
    assert!(!check(&authz, "gina", "read", "doc:1").allowed());
}

#[test]
fn the_model_round_trips_through_a_document_and_a_snapshot() {
    let policy = PolicyDocument::from_json(&drive_json()).unwrap().into_policy().unwrap();
    let again = policy.to_document().into_policy().unwrap();
    assert_eq!(again, policy);
    let snapshot =
        tessera_core::Snapshot { revision: 1, issued_at: 0, expires_at: None, policy: policy.clone() };
    let key = tessera_core::SigningKey::generate().unwrap();
    let bytes = snapshot.seal(&key).unwrap();
    let loader = tessera_core::SnapshotLoader::new().trust(key.verifying_key());
    let (opened, _) = loader.open(&bytes, 0).unwrap();
    assert_eq!(opened.policy, policy);
}
