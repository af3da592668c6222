//! Role ids past 64 share bits of the 64-bit set summaries the authorizer uses to skip
//! disjoint sets; those collisions must never turn into a false match.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use tessera_core::{Authorizer, Decision, Entries, PolicyDocument, RoleDocument};

#[test]
fn colliding_summary_bits_do_not_grant_or_deny() {
    // Roles r000..r199: r000 grants `doc:*`, r064 and r128 (same summary bit as r000)
    // deny `doc:read`, r192 grants `doc:read` and inherits nothing.
    let roles: Vec<(String, RoleDocument)> = (0..200)
        .map(|i| {
            let mut role = RoleDocument::default();
            match i {
                0 => role.grants = vec!["doc:*".into()],
                64 | 128 => role.denies = vec!["doc:read".into()],
                192 => role.grants = vec!["doc:read".into()],
                _ => role.grants = vec![format!("other{i}:x")],
            }
            (format!("r{i:03}"), role)
        })
        .collect();
    let members = vec![
        ("a".to_string(), vec!["r000".to_string()]),
        ("b".to_string(), vec!["r064".to_string()]),
        ("c".to_string(), vec!["r000".to_string(), "r128".to_string()]),
        ("d".to_string(), vec!["r192".to_string(), "r001".to_string()]),
    ];
    let doc = PolicyDocument {
        roles: Entries(roles),
        members: Entries(members),
        ..PolicyDocument::new("0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b")
    };
    let authz = Authorizer::new(doc.into_policy().unwrap());
    assert_eq!(
        authz.check("a", "doc:read").unwrap(),
        Decision::Granted { role: "r000", pattern: "doc:*", on: None }
    );
    assert_eq!(
        authz.check("b", "doc:read").unwrap(),
        Decision::Denied { role: "r064", pattern: "doc:read", on: None }
    );
    assert_eq!(authz.check("b", "doc:write").unwrap(), Decision::NoMatchingGrant);
    assert_eq!(
        authz.check("c", "doc:read").unwrap(),
        Decision::Denied { role: "r128", pattern: "doc:read", on: None }
    );
    assert_eq!(
        authz.check("c", "doc:write").unwrap(),
        Decision::Granted { role: "r000", pattern: "doc:*", on: None }
    );
    assert_eq!(
        authz.check("d", "doc:read").unwrap(),
        Decision::Granted { role: "r192", pattern: "doc:read", on: None }
    );
    assert_eq!(authz.check("d", "doc:write").unwrap(), Decision::NoMatchingGrant);
    assert_eq!(authz.which_users_can("doc:read").unwrap(), ["a", "d"]);
}
