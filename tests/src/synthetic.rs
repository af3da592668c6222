//! A large synthetic tenant for benchmarks, the same for every face (native core,
//! guest, and later the JS package): 1k roles (100 roots, 300 children, 600
//! grandchildren), 10 grants each (one in ten a subtree wildcard), a deny on every
//! other role, and users with random direct roles. Deterministic for a seed.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The tenant of the synthetic policy.
pub const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

/// xorshift64*: deterministic, dependency-free.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

fn role_name(i: usize) -> String {
    format!("role-{i:04}")
}

fn roles(rng: &mut Rng) -> Map<String, Value> {
    (0..1000)
        .map(|i| {
            let parents: Vec<String> = match i {
                0..100 => vec![],
                100..400 => vec![role_name(rng.below(100))],
                _ => vec![role_name(100 + rng.below(300))],
            };
            let grants: BTreeSet<String> = (0..10)
                .map(|k| {
                    let service = (i * 7 + k * 13) % 200;
                    if k == 9 { format!("svc{service}:*") } else { format!("svc{service}:op{k}") }
                })
                .collect();
            let denies: Vec<String> =
                if i % 2 == 0 { vec![format!("svc{}:op{}", rng.below(200), rng.below(10))] } else { vec![] };
            (role_name(i), json!({"parents": parents, "grants": grants, "denies": denies}))
        })
        .collect()
}

/// The policy document (JSON) with `users` users of `per_user` distinct direct roles each.
pub fn policy_json(users: usize, per_user: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let roles = roles(&mut rng);
    let members: Map<String, Value> = (0..users)
        .map(|u| {
            let mut picks: Vec<String> = Vec::new();
            while picks.len() < per_user {
                let role = role_name(rng.below(1000));
                if !picks.contains(&role) {
                    picks.push(role);
                }
            }
            (format!("user-{u:07}"), json!(picks))
        })
        .collect();
    json!({"tenant": TENANT, "roles": roles, "members": members}).to_string()
}

/// `count` (user, permission) queries over a policy of `users` users; one in twenty
/// names a user who does not exist.
pub fn queries(rng: &mut Rng, users: usize, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|_| {
            let user = if rng.below(20) == 0 {
                "nobody".to_string()
            } else {
                format!("user-{:07}", rng.below(users))
            };
            (user, format!("svc{}:op{}", rng.below(200), rng.below(10)))
        })
        .collect()
}

/// The resource-model tenant of the benchmarks: 100,000 resources in a four-level
/// hierarchy (10 organizations, 100 projects, 1,000 folders, 98,890 documents),
/// 10,000 users, 100 groups (10 top groups of 9 sub-groups each; every user in two
/// sub-groups), 1,000,000 grants (nine in ten to users, the rest to groups; a
/// quarter on folders, the rest on documents), six roles and 20 rules (ten permits,
/// ten forbids, each with a condition). Documents carry an owner, a classification
/// and, one in a hundred, `archived`; users a clearance and a department.
pub fn resource_tenant_json(seed: u64) -> String {
    let mut rng = Rng(seed);
    let user = |i: usize| format!("u{i:05}");
    let roles = json!({
        "viewer": {"grants": ["org:read", "project:read", "folder:read", "document:read"]},
        "commenter": {"parents": ["viewer"], "grants": ["document:comment"]},
        "editor": {"parents": ["commenter"], "grants": ["folder:write", "document:edit"]},
        "owner": {"parents": ["editor"], "grants": ["document:*", "folder:*", "project:*"]},
        "auditor": {"grants": ["document:read"], "denies": ["document:share"]},
        "suspended": {"denies": ["*"]},
    });
    let types = json!({
        "org": {"actions": ["read"]},
        "project": {"actions": ["read", "write"]},
        "folder": {"actions": ["read", "write", "share"]},
        "document": {"actions": ["comment", "delete", "edit", "read", "share"]},
    });
    let mut resources = Map::new();
    let mut folders = Vec::new();
    let mut documents = Vec::new();
    for o in 0..10 {
        resources.insert(format!("org:o{o}"), json!({}));
        for p in 0..10 {
            let project = format!("project:o{o}p{p}");
            resources.insert(project.clone(), json!({"parents": [format!("org:o{o}")]}));
            for f in 0..10 {
                let folder = format!("folder:o{o}p{p}f{f}");
                resources.insert(folder.clone(), json!({"parents": [project]}));
                folders.push(folder);
            }
        }
    }
    for d in 0..98_890 {
        let folder = &folders[d % folders.len()];
        let key = format!("document:d{d:05}");
        let mut attributes = json!({"owner": user(rng.below(10_000)), "classification": rng.below(5)});
        if rng.below(100) == 0 {
            attributes["archived"] = json!(true);
        }
        resources.insert(key.clone(), json!({"parents": [folder], "attributes": attributes}));
        documents.push(key);
    }
    let groups: Map<String, Value> = (0..100)
        .map(|g| {
            let parents = if g < 10 { vec![] } else { vec![format!("g{:02}", g % 10)] };
            let members: Vec<String> = if g < 10 {
                vec![]
            } else {
                (0..10_000).filter(|u| u % 90 == g - 10 || (u * 7) % 90 == g - 10).map(user).collect()
            };
            (format!("g{g:02}"), json!({"members": members, "parents": parents}))
        })
        .collect();
    let users: Map<String, Value> = (0..10_000)
        .map(|u| {
            (
                user(u),
                json!({"attributes": {"clearance": rng.below(5), "department": format!("dep{}", u % 7)}}),
            )
        })
        .collect();
    let role_names = ["viewer", "commenter", "editor", "owner", "auditor"];
    let mut seen = std::collections::HashSet::new();
    let mut grants = Vec::with_capacity(1_000_000);
    while grants.len() < 1_000_000 {
        let on = if rng.below(4) == 0 {
            &folders[rng.below(folders.len())]
        } else {
            &documents[rng.below(documents.len())]
        };
        let role = role_names[rng.below(role_names.len())];
        let (kind, who) = if rng.below(10) == 0 {
            ("group", format!("g{:02}", 10 + rng.below(90)))
        } else {
            ("user", user(rng.below(10_000)))
        };
        if seen.insert((kind, who.clone(), role, on.clone())) {
            grants.push(json!({kind: who, "role": role, "on": on}));
        }
    }
    let mut rules = Vec::new();
    for i in 0..10 {
        rules.push(json!({"id": format!("permit-{i:02}"), "effect": "permit", "actions": [format!("document:{}", ["comment", "edit", "share", "delete", "comment"][i % 5])],
            "when": format!("resource.owner == subject.id && subject.clearance >= {}", i % 3)}));
        let forbid = match i {
            0 => json!({"actions": ["document:read"], "when": "resource.classification > subject.clearance"}),
            1 => {
                json!({"actions": ["document:edit", "document:delete"], "when": "resource.archived == true"})
            }
            _ => {
                json!({"actions": [format!("document:{}", ["share", "delete", "comment"][i % 3])], "when": format!("context.freeze == {i}")})
            }
        };
        let mut rule = json!({"id": format!("forbid-{i:02}"), "effect": "forbid"});
        for (k, v) in forbid.as_object().into_iter().flatten() {
            rule[k] = v.clone();
        }
        rules.push(rule);
    }
    json!({"tenant": TENANT, "roles": roles, "types": types, "resources": resources, "groups": groups,
           "users": users, "grants": grants, "rules": rules})
    .to_string()
}
