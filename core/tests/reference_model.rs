//! The compiled authorizer against a naive reference evaluator written plainly here
//! (sets and a graph walk), on random policies and queries.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tessera_core::{Authorizer, Decision, Entries, PolicyDocument, RoleDocument};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
const ROLES: [&str; 7] = ["admin", "auditor", "editor", "guest", "owner", "support", "viewer"];
const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];

/// A role as plain data: (parents, grants, denies).
type RoleSpec = (Vec<String>, Vec<String>, Vec<String>);

/// A policy as plain data: role → (parents, grants, denies); user → roles; under
/// strict users, the users holding a live API key.
#[derive(Clone, Debug)]
struct Model {
    roles: BTreeMap<String, RoleSpec>,
    members: BTreeMap<String, Vec<String>>,
    key_backed: Option<BTreeSet<String>>,
}

impl Model {
    /// Strict users on, and `user` holds no live key: every decision is negative.
    fn blocked(&self, user: &str) -> bool {
        self.key_backed.as_ref().is_some_and(|users| !users.contains(user))
    }

    fn closure(&self, start: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_string()];
        while let Some(role) = todo.pop() {
            if seen.insert(role.clone()) {
                todo.extend(self.roles[&role].0.iter().cloned());
            }
        }
        seen
    }

    /// The closure decisions use: none for a blocked user.
    fn user_closure(&self, user: &str) -> Option<BTreeSet<String>> {
        if self.blocked(user) {
            return None;
        }
        let direct = self.members.get(user)?;
        Some(direct.iter().flat_map(|r| self.closure(r)).collect())
    }

    /// Exact beats a longer prefix beats a shorter prefix beats `*`.
    fn specificity(pattern: &str) -> (u8, usize) {
        if pattern == "*" {
            (0, 0)
        } else if pattern.ends_with(":*") {
            (1, pattern.len())
        } else {
            (2, pattern.len())
        }
    }

    fn matches(pattern: &str, permission: &str) -> bool {
        match pattern.strip_suffix('*') {
            Some(prefix) => permission.starts_with(prefix),
            None => pattern == permission,
        }
    }

    /// (role, pattern) of the most specific match, ties to the first role by name.
    fn best(&self, closure: &BTreeSet<String>, permission: &str, denies: bool) -> Option<(String, String)> {
        let mut found: Vec<(String, String)> = Vec::new();
        for role in closure {
            let (_, grants, deny_list) = &self.roles[role];
            for pattern in if denies { deny_list } else { grants } {
                if Self::matches(pattern, permission) {
                    found.push((role.clone(), pattern.clone()));
                }
            }
        }
        found
            .into_iter()
            .min_by(|a, b| Self::specificity(&b.1).cmp(&Self::specificity(&a.1)).then_with(|| a.0.cmp(&b.0)))
    }

    fn decide(&self, closure: &BTreeSet<String>, permission: &str) -> (String, Option<(String, String)>) {
        if let Some(hit) = self.best(closure, permission, true) {
            return ("denied".into(), Some(hit));
        }
        match self.best(closure, permission, false) {
            Some(hit) => ("granted".into(), Some(hit)),
            None => ("no_matching_grant".into(), None),
        }
    }

    fn check(&self, user: &str, permission: &str) -> (String, Option<(String, String)>) {
        if self.blocked(user) {
            return ("user_not_key_backed".into(), None);
        }
        match self.user_closure(user) {
            None => ("unknown_user".into(), None),
            Some(closure) => self.decide(&closure, permission),
        }
    }

    fn patterns(&self, closure: &BTreeSet<String>) -> Vec<String> {
        let set: BTreeSet<String> = closure.iter().flat_map(|r| self.roles[r].1.iter().cloned()).collect();
        set.into_iter().collect()
    }

    fn document(&self) -> PolicyDocument {
        let roles = self
            .roles
            .iter()
            .map(|(name, (parents, grants, denies))| {
                let doc = RoleDocument {
                    description: None,
                    parents: parents.clone(),
                    grants: grants.clone(),
                    denies: denies.clone(),
                };
                (name.clone(), doc)
            })
            .collect();
        let members = self.members.iter().map(|(u, r)| (u.clone(), r.clone())).collect();
        PolicyDocument { roles: Entries(roles), members: Entries(members), ..PolicyDocument::new(TENANT) }
    }

    fn policy(&self) -> tessera_core::Policy {
        let policy = self.document().into_policy().expect("generated policies are valid");
        match &self.key_backed {
            Some(users) => policy.with_strict_users(users.iter().cloned()).expect("valid key-backed users"),
            None => policy,
        }
    }
}

fn permission() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..=3).prop_map(|s| s.join(":"))
}

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => permission(),
        2 => prop::collection::vec(prop::sample::select(vec!["a", "b"]), 1..=2).prop_map(|s| format!("{}:*", s.join(":"))),
        1 => Just("*".to_string()),
    ]
}

fn unique(list: Vec<String>) -> Vec<String> {
    list.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

/// Random DAGs: a role's parents come from roles earlier in a random order.
fn model() -> impl Strategy<Value = Model> {
    let role_count = 1..=ROLES.len();
    role_count
        .prop_flat_map(|n| {
            let roles = prop::sample::subsequence(ROLES.to_vec(), n).prop_shuffle();
            let specs = prop::collection::vec(
                (
                    prop::collection::vec(any::<prop::sample::Index>(), 0..3),
                    prop::collection::vec(pattern(), 0..4),
                    prop::collection::vec(pattern(), 0..2),
                ),
                n,
            );
            let members = prop::collection::btree_map(
                prop::sample::select(USERS.to_vec()),
                prop::collection::vec(any::<prop::sample::Index>(), 0..3),
                0..USERS.len(),
            );
            let key_backed = prop::option::of(prop::collection::btree_set(
                prop::sample::select(USERS.iter().copied().chain(["nobody", "zed"]).collect::<Vec<_>>()),
                0..USERS.len(),
            ));
            (roles, specs, members, key_backed)
        })
        .prop_map(|(order, specs, members, key_backed)| {
            let mut roles = BTreeMap::new();
            for (i, (role, (parents, grants, denies))) in order.iter().zip(specs).enumerate() {
                let parents = if i == 0 {
                    Vec::new()
                } else {
                    unique(parents.iter().map(|p| order[p.index(i)].to_string()).collect())
                };
                roles.insert(role.to_string(), (parents, unique(grants), unique(denies)));
            }
            let members = members
                .into_iter()
                .map(|(user, picks)| {
                    (
                        user.to_string(),
                        unique(picks.iter().map(|p| order[p.index(order.len())].to_string()).collect()),
                    )
                })
                .collect();
            let key_backed = key_backed.map(|users| users.into_iter().map(str::to_string).collect());
            Model { roles, members, key_backed }
        })
}

fn as_tuple(decision: Decision<'_>) -> (String, Option<(String, String)>) {
    let hit = decision.role().zip(decision.pattern()).map(|(r, p)| (r.to_string(), p.to_string()));
    (decision.reason().to_string(), hit)
}

fn strings(list: Vec<&str>) -> Vec<String> {
    list.into_iter().map(str::to_string).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn authorizer_agrees_with_the_reference(model in model(), permissions in prop::collection::vec(permission(), 1..6)) {
        let authz = Authorizer::new(model.policy());
        let everyone: Vec<&str> = USERS.iter().copied().chain(["nobody"]).collect();
        for &user in &everyone {
            let closure = model.user_closure(user);
            for permission in &permissions {
                prop_assert_eq!(as_tuple(authz.check(user, permission).unwrap()), model.check(user, permission));
            }
            let batch: Vec<_> = authz.check_many(user, &permissions).unwrap().into_iter().map(as_tuple).collect();
            let expected: Vec<_> = permissions.iter().map(|p| model.check(user, p)).collect();
            prop_assert_eq!(batch, expected);
            prop_assert_eq!(strings(authz.user_roles(user).unwrap()), model.members.get(user).cloned().unwrap_or_default());
            prop_assert_eq!(strings(authz.user_permissions(user).unwrap()), closure.as_ref().map(|c| model.patterns(c)).unwrap_or_default());
            for role in ROLES {
                let expected = closure.as_ref().is_some_and(|c| c.contains(role));
                prop_assert_eq!(authz.has_role(user, role).unwrap(), expected);
            }
        }
        prop_assert_eq!(strings(authz.roles().expect("a tenant's policy lists its roles")), model.roles.keys().cloned().collect::<Vec<_>>());
        for role in ROLES {
            let exists = model.roles.contains_key(role);
            let perms = if exists { model.patterns(&model.closure(role)) } else { Vec::new() };
            prop_assert_eq!(strings(authz.role_permissions(role).unwrap()), perms);
            let members: Vec<String> = model.members.iter().filter(|(_, r)| r.iter().any(|x| x == role)).map(|(u, _)| u.clone()).collect();
            prop_assert_eq!(strings(authz.role_members(role).unwrap()), members);
        }
        for permission in &permissions {
            let roles: Vec<String> = model.roles.keys().filter(|r| model.decide(&model.closure(r), permission).0 == "granted").cloned().collect();
            prop_assert_eq!(strings(authz.which_roles_can(permission).unwrap()), roles);
            let users: Vec<String> = model.members.keys().filter(|u| model.check(u, permission).0 == "granted").cloned().collect();
            prop_assert_eq!(strings(authz.which_users_can(permission).unwrap()), users);
        }
    }
}
