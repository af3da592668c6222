//! The compiled resource model against a naive reference written plainly from the
//! semantics in DESIGN.md ("Resources, rules and search"): sets, a graph walk and
//! the tree-walking condition interpreter. Random policies (role hierarchies, a
//! resource DAG, groups of groups, grants at every depth, rules with and without
//! roles and conditions) and random queries must get the same decision, with the
//! same reason, and the same search results, paginated or not.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod reference;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use reference::condition::{Expr, STRS, render, truth};
use reference::model::Reference;
use serde_json::{Value as Json, json};
use tessera_core::condition::Condition;
use tessera_core::{
    AttributeMap, AttributeValue, Authorizer, Page, PolicyDocument, Query, QueryError, RequestAttributes,
    ResourceRef, SigningKey, Snapshot, SnapshotLoader,
};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
const ROLES: [&str; 4] = ["r0", "r1", "r2", "r3"];
const USERS: [&str; 4] = ["Legal", "u3", "x", "y"];
const PATTERNS: [&str; 9] = [
    "*",
    "doc:*",
    "doc:read",
    "doc:edit",
    "doc:share",
    "folder:*",
    "folder:read",
    "folder:write",
    "posts:read",
];
const TYPES: [(&str, &[&str]); 2] = [("doc", &["edit", "read", "share"]), ("folder", &["read", "write"])];
const ACTIONS: [&str; 5] = ["read", "edit", "share", "write", "frob"];
const ATTRIBUTE_NAMES: [&str; 3] = ["a", "b", "tags"];

#[derive(Clone, Debug)]
enum Principal {
    User(&'static str),
    Group(usize),
}

#[derive(Clone, Debug)]
struct Rule {
    forbid: bool,
    actions: BTreeSet<&'static str>,
    roles: BTreeSet<usize>,
    when: Option<Expr>,
}

/// A policy as plain data. Resources are sorted by (type, id); parents and group
/// parents only point backwards, so both graphs are acyclic.
#[derive(Clone, Debug)]
struct Model {
    roles: Vec<(BTreeSet<usize>, BTreeSet<&'static str>, BTreeSet<&'static str>)>,
    members: BTreeMap<&'static str, BTreeSet<usize>>,
    resources: Vec<(&'static str, String, BTreeSet<usize>, Attrs)>,
    groups: Vec<(BTreeSet<&'static str>, BTreeSet<usize>, BTreeSet<usize>)>,
    user_attributes: BTreeMap<&'static str, Attrs>,
    grants: Vec<(Principal, usize, usize)>,
    rules: Vec<Rule>,
}

type Attrs = BTreeMap<&'static str, Stored>;

#[derive(Clone, Debug)]
enum Stored {
    Str(&'static str),
    Int(i64),
    Bool(bool),
    Strs(Vec<&'static str>),
}

impl Stored {
    fn json(&self) -> Json {
        match self {
            Stored::Str(s) => json!(s),
            Stored::Int(i) => json!(i),
            Stored::Bool(b) => json!(b),
            Stored::Strs(l) => json!(l),
        }
    }

    fn core(&self) -> AttributeValue {
        match self {
            Stored::Str(s) => AttributeValue::Str((*s).into()),
            Stored::Int(i) => AttributeValue::Int(*i),
            Stored::Bool(b) => AttributeValue::Bool(*b),
            Stored::Strs(l) => AttributeValue::Strs(l.iter().map(|s| (*s).into()).collect()),
        }
    }
}

fn stored() -> impl Strategy<Value = Stored> {
    let strs = prop::sample::select(&STRS[..]);
    prop_oneof![
        2 => prop_oneof![strs.clone(), prop::sample::select(&USERS[..])].prop_map(Stored::Str),
        1 => (-2i64..3).prop_map(Stored::Int),
        2 => any::<bool>().prop_map(Stored::Bool),
        1 => prop::collection::vec(strs, 0..3).prop_map(Stored::Strs),
    ]
}

fn attrs() -> impl Strategy<Value = Attrs> {
    prop::collection::btree_map(prop::sample::select(&ATTRIBUTE_NAMES[..]), stored(), 0..3)
}

fn subset<T: Clone + Ord + std::fmt::Debug + 'static>(
    pool: Vec<T>,
    max: usize,
) -> impl Strategy<Value = BTreeSet<T>> {
    prop::collection::btree_set(prop::sample::select(pool), 0..=max)
}

/// Indices strictly below `i` (as parents of the `i`-th item).
fn earlier(raw: &[usize], i: usize) -> BTreeSet<usize> {
    if i == 0 { BTreeSet::new() } else { raw.iter().map(|r| r % i).collect() }
}

fn model() -> impl Strategy<Value = Model> {
    let roles = prop::collection::vec(
        (prop::collection::vec(0usize..8, 0..2), subset(PATTERNS.to_vec(), 2), subset(PATTERNS.to_vec(), 1)),
        4,
    );
    let members =
        prop::collection::btree_map(prop::sample::select(&USERS[..]), subset(vec![0, 1, 2, 3], 2), 0..3);
    let resources =
        prop::collection::vec((any::<bool>(), prop::collection::vec(0usize..16, 0..3), attrs()), 0..7);
    let groups = prop::collection::vec(
        (subset(USERS.to_vec(), 2), prop::collection::vec(0usize..8, 0..2), subset(vec![0, 1, 2, 3], 1)),
        0..4,
    );
    let user_attributes = prop::collection::btree_map(prop::sample::select(&USERS[..]), attrs(), 0..3);
    let grants = prop::collection::vec((any::<bool>(), 0usize..4, 0usize..4, 0usize..16), 0..8);
    let rule_patterns: Vec<&str> = PATTERNS.iter().copied().filter(|p| !p.starts_with("posts")).collect();
    let rules = prop::collection::vec(
        (
            any::<bool>(),
            prop::collection::btree_set(prop::sample::select(rule_patterns), 1..3),
            subset(vec![0, 1, 2, 3], 1),
            prop::option::weighted(0.8, truth()),
        ),
        0..4,
    );
    (roles, members, resources, groups, user_attributes, grants, rules).prop_map(
        |(roles, members, resources, groups, user_attributes, grants, rules)| {
            let roles = roles
                .into_iter()
                .enumerate()
                .map(|(i, (parents, grants, denies))| (earlier(&parents, i), grants, denies))
                .collect();
            // Name resources in generation order, then sort by (type, id); parents
            // point to earlier-generated ones, so the graph stays acyclic.
            let named: Vec<(&str, String)> = resources
                .iter()
                .enumerate()
                .map(|(i, (folder, _, _))| (if *folder { "folder" } else { "doc" }, format!("n{i}")))
                .collect();
            let mut order: Vec<usize> = (0..named.len()).collect();
            order.sort_by(|&a, &b| named[a].cmp(&named[b]));
            let position: Vec<usize> = {
                let mut p = vec![0; order.len()];
                for (sorted, &original) in order.iter().enumerate() {
                    p[original] = sorted;
                }
                p
            };
            let resources: Vec<_> = order
                .iter()
                .map(|&i| {
                    let parents = earlier(&resources[i].1, i).into_iter().map(|p| position[p]).collect();
                    (named[i].0, named[i].1.clone(), parents, resources[i].2.clone())
                })
                .collect();
            let group_count = groups.len();
            let groups = groups
                .into_iter()
                .enumerate()
                .map(|(i, (members, parents, roles))| (members, earlier(&parents, i), roles))
                .collect();
            let mut seen = BTreeSet::new();
            let grants = grants
                .into_iter()
                .filter(|_| !resources.is_empty())
                .filter_map(|(to_user, who, role, on)| {
                    let principal = if to_user || group_count == 0 {
                        Principal::User(USERS[who])
                    } else {
                        Principal::Group(who % group_count)
                    };
                    let on = on % resources.len();
                    seen.insert((format!("{principal:?}"), role, on)).then_some((principal, role, on))
                })
                .collect();
            let rules = rules
                .into_iter()
                .map(|(forbid, actions, roles, when)| Rule { forbid, actions, roles, when })
                .collect();
            Model { roles, members, resources, groups, user_attributes, grants, rules }
        },
    )
}

impl Model {
    fn key(&self, r: usize) -> String {
        format!("{}:{}", self.resources[r].0, self.resources[r].1)
    }

    /// The policy document; rules whose condition the authoring rules refuse are
    /// left out (the condition reference test covers refusals).
    fn document(&self) -> Json {
        let attributes =
            |a: &Attrs| -> Json { a.iter().map(|(k, v)| ((*k).to_string(), v.json())).collect() };
        let roles: serde_json::Map<String, Json> = self
            .roles
            .iter()
            .enumerate()
            .map(|(i, (parents, grants, denies))| {
                let parents: Vec<&str> = parents.iter().map(|&p| ROLES[p]).collect();
                (ROLES[i].to_string(), json!({"parents": parents, "grants": grants, "denies": denies}))
            })
            .collect();
        let members: Json = self
            .members
            .iter()
            .map(|(u, r)| ((*u).to_string(), json!(r.iter().map(|&i| ROLES[i]).collect::<Vec<_>>())))
            .collect();
        let types: Json = TYPES.iter().map(|(t, a)| ((*t).to_string(), json!({"actions": a}))).collect();
        let resources: Json = (0..self.resources.len())
            .map(|r| {
                let parents: Vec<String> = self.resources[r].2.iter().map(|&p| self.key(p)).collect();
                (self.key(r), json!({"parents": parents, "attributes": attributes(&self.resources[r].3)}))
            })
            .collect();
        let groups: Json = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, (members, parents, roles))| {
                let parents: Vec<String> = parents.iter().map(|p| format!("g{p}")).collect();
                let roles: Vec<&str> = roles.iter().map(|&r| ROLES[r]).collect();
                (format!("g{i}"), json!({"members": members, "parents": parents, "roles": roles}))
            })
            .collect();
        let users: Json = self
            .user_attributes
            .iter()
            .map(|(u, a)| ((*u).to_string(), json!({"attributes": attributes(a)})))
            .collect();
        let grants: Vec<Json> = self
            .grants
            .iter()
            .map(|(principal, role, on)| match principal {
                Principal::User(u) => json!({"user": u, "role": ROLES[*role], "on": self.key(*on)}),
                Principal::Group(g) => {
                    json!({"group": format!("g{g}"), "role": ROLES[*role], "on": self.key(*on)})
                }
            })
            .collect();
        let rules: Vec<Json> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.when.as_ref().is_none_or(|e| Condition::parse(&render(e)).is_ok()))
            .map(|(i, rule)| {
                let mut doc = json!({
                    "id": format!("rule-{i}"),
                    "effect": if rule.forbid { "forbid" } else { "permit" },
                    "actions": rule.actions,
                    "roles": rule.roles.iter().map(|&r| ROLES[r]).collect::<Vec<_>>(),
                });
                if let Some(e) = &rule.when {
                    doc["when"] = json!(render(e));
                }
                doc
            })
            .collect();
        json!({
            "tenant": TENANT, "roles": roles, "members": members, "types": types, "resources": resources,
            "groups": groups, "users": users, "grants": grants, "rules": rules,
        })
    }
}

fn request() -> impl Strategy<Value = RequestAttributes> {
    let map = || {
        attrs().prop_map(|a| {
            AttributeMap::from_entries(a.iter().map(|(k, v)| ((*k).to_string(), v.core())).collect()).unwrap()
        })
    };
    (map(), map(), map(), map()).prop_map(|(subject, resource, action, context)| RequestAttributes {
        subject,
        resource,
        action,
        context,
    })
}

#[derive(Clone, Debug)]
struct Ask {
    user: &'static str,
    action: &'static str,
    resource: Option<usize>,
    request: RequestAttributes,
}

fn asks() -> impl Strategy<Value = Vec<Ask>> {
    let users = prop::sample::select(vec!["Legal", "u3", "x", "y", "zz"]);
    prop::collection::vec(
        (users, prop::sample::select(&ACTIONS[..]), prop::option::weighted(0.9, 0usize..12), request()),
        6,
    )
    .prop_map(|asks| {
        asks.into_iter()
            .map(|(user, action, resource, request)| Ask { user, action, resource, request })
            .collect()
    })
}

/// The queried resource: a stored one, or one the policy does not hold.
fn target(model: &Model, pick: usize) -> (String, String) {
    match pick.checked_sub(model.resources.len()) {
        None => (model.resources[pick].0.to_string(), model.resources[pick].1.clone()),
        Some(extra) => match extra % 3 {
            0 => ("doc".into(), "new".into()),
            1 => ("folder".into(), "n0".into()),
            _ => ("memo".into(), "m1".into()),
        },
    }
}

/// Every page of a search, `limit` at a time, joined.
fn paged<'a>(mut page: impl FnMut(Page<'_>) -> tessera_core::Found<'a>) -> Vec<String> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let found = page(Page { after: after.as_deref(), limit: 2 });
        all.extend(found.items.iter().map(|s| s.to_string()));
        match found.next {
            Some(next) => after = Some(next.to_string()),
            None => return all,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn compiled_model_agrees_with_the_reference(model in model(), asks in asks()) {
        let document = model.document();
        let text = serde_json::to_string(&document).unwrap();
        let policy = PolicyDocument::from_json(&text).and_then(PolicyDocument::into_policy);
        let policy = policy.map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        let authz = Authorizer::new(policy);
        let reference = Reference::new(&document);
        for ask in &asks {
            let request = serde_json::to_value(&ask.request).unwrap();
            let resource = ask.resource.map(|pick| target(&model, pick));
            let Some((kind, id)) = &resource else {
                // Tenant-wide: the permission is `doc:<action>`.
                let permission = format!("doc:{}", ask.action);
                let query = Query { subject: ask.user, action: &permission, resource: None, attributes: &ask.request };
                let expected = reference.decide(ask.user, &permission, None, &request);
                prop_assert_eq!(json!(authz.evaluate(&query).unwrap()), expected, "{:?} in {}", ask, text);
                continue;
            };
            let query = Query::on(ask.user, ask.action, kind, id).with(&ask.request);
            let expected = reference.decide(ask.user, ask.action, Some((kind, id)), &request);
            prop_assert_eq!(json!(authz.evaluate(&query).unwrap()), expected, "{:?} in {}", ask, text);

            let r = ResourceRef { kind, id };
            let actions = reference.actions(ask.user, (kind, id), &request);
            prop_assert_eq!(paged(|p| authz.actions(ask.user, r, &ask.request, p).unwrap()), actions, "actions {:?}", ask);
            let subjects = reference.subjects(ask.action, (kind, id), &request);
            prop_assert_eq!(paged(|p| authz.subjects(ask.action, r, &ask.request, p).unwrap()), subjects, "subjects {:?}", ask);
            let resources = reference.resources(ask.user, ask.action, kind, &request);
            prop_assert_eq!(paged(|p| authz.resources(ask.user, ask.action, kind, &ask.request, p).unwrap()), resources, "resources {:?}", ask);
        }
    }
}

/// Every subject the generated policies name, and one they do not.
const SUBJECTS: [&str; 5] = ["Legal", "u3", "x", "y", "zz"];

/// A policy scoped to one subject, sealed and loaded as a browser would, next to
/// the tenant's.
fn scoped(
    policy: &tessera_core::Policy,
    subject: &str,
    key: &SigningKey,
) -> Result<Authorizer, TestCaseError> {
    let slice = policy.for_subject(subject).map_err(|e| TestCaseError::fail(format!("slice: {e}")))?;
    prop_assert_eq!(slice.subject(), Some(subject));
    let snapshot = Snapshot { revision: 1, issued_at: 0, expires_at: Some(300), policy: slice };
    let bytes = snapshot.seal(key).unwrap();
    let loaded = SnapshotLoader::new().trust(key.verifying_key()).load(&bytes, 0, None);
    let loaded = loaded.map_err(|e| TestCaseError::fail(format!("load: {e}")))?;
    prop_assert_eq!(loaded.info.subject.as_deref(), Some(subject));
    Ok(loaded.into_parts().1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// A subject's slice answers every question about that subject exactly as the
    /// tenant's policy does (decision, reason, searches page by page), under strict
    /// users or not, and refuses every question about anyone else.
    #[test]
    fn a_subject_slice_answers_as_the_tenant_policy(
        model in model(),
        asks in asks(),
        strict in prop::option::weighted(0.2, subset(SUBJECTS.to_vec(), 3)),
    ) {
        let text = serde_json::to_string(&model.document()).unwrap();
        let policy = PolicyDocument::from_json(&text).and_then(PolicyDocument::into_policy).unwrap();
        let policy = match strict {
            Some(users) => policy.with_strict_users(users).unwrap(),
            None => policy,
        };
        let full = Authorizer::new(policy.clone());
        let key = SigningKey::generate().unwrap();
        for subject in SUBJECTS {
            let slice = scoped(&policy, subject, &key)?;
            let other = SUBJECTS.iter().find(|&&u| u != subject).copied().unwrap_or("zz");
            for ask in &asks {
                let permission = format!("doc:{}", ask.action);
                prop_assert_eq!(json!(slice.check(subject, &permission).unwrap()), json!(full.check(subject, &permission).unwrap()));
                let Some(pick) = ask.resource else { continue };
                let (kind, id) = target(&model, pick);
                let query = Query::on(subject, ask.action, &kind, &id).with(&ask.request);
                prop_assert_eq!(
                    json!(slice.evaluate(&query).unwrap()), json!(full.evaluate(&query).unwrap()),
                    "{} {} {}:{} {:?} in {}", subject, ask.action, kind, id, ask.request, text
                );
                let r = ResourceRef { kind: &kind, id: &id };
                prop_assert_eq!(
                    paged(|p| slice.actions(subject, r, &ask.request, p).unwrap()),
                    paged(|p| full.actions(subject, r, &ask.request, p).unwrap()),
                    "actions of {} on {}:{} in {}", subject, kind, id, text
                );
                prop_assert_eq!(
                    paged(|p| slice.resources(subject, ask.action, &kind, &ask.request, p).unwrap()),
                    paged(|p| full.resources(subject, ask.action, &kind, &ask.request, p).unwrap()),
                    "{} may {} which {} in {}", subject, ask.action, kind, text
                );
                let about_other = Query::on(other, ask.action, &kind, &id).with(&ask.request);
                prop_assert_eq!(slice.evaluate(&about_other), Err(QueryError::OutOfScope));
                prop_assert_eq!(slice.subjects(ask.action, r, &ask.request, Page::ALL), Err(QueryError::OutOfScope));
            }
            prop_assert_eq!(slice.user_roles(subject).unwrap(), full.user_roles(subject).unwrap());
            prop_assert_eq!(slice.user_permissions(subject).unwrap(), full.user_permissions(subject).unwrap());
            prop_assert_eq!(slice.user_denies(subject).unwrap(), full.user_denies(subject).unwrap());
            prop_assert_eq!(slice.strict_blocks(subject).unwrap(), full.strict_blocks(subject).unwrap());
            for role in ROLES {
                prop_assert_eq!(slice.has_role(subject, role).unwrap(), full.has_role(subject, role).unwrap());
            }
            prop_assert_eq!(slice.check(other, "doc:read"), Err(QueryError::OutOfScope));
            prop_assert_eq!(slice.which_users_can("doc:read"), Err(QueryError::OutOfScope));
            prop_assert_eq!(slice.roles(), Err(QueryError::OutOfScope));
        }
    }
}

/// The comparison above is not vacuous: every reason occurs, roles decide from
/// resources as well as tenant-wide, and searches find something.
#[test]
fn the_generated_cases_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..2_000 {
        let model = model().new_tree(&mut runner).unwrap().current();
        let asks = asks().new_tree(&mut runner).unwrap().current();
        for ask in asks {
            let Some(pick) = ask.resource else { continue };
            let (kind, id) = target(&model, pick);
            let document = model.document();
            let request = serde_json::to_value(&ask.request).unwrap();
            let answer = Reference::new(&document).decide(ask.user, ask.action, Some((&kind, &id)), &request);
            let on = if answer.get("on").is_some() { " on a resource" } else { "" };
            let key = format!("{}{on}", answer["reason"].as_str().unwrap());
            *seen.entry(key).or_default() += 1;
        }
    }
    for outcome in [
        "granted",
        "granted on a resource",
        "denied",
        "denied on a resource",
        "permitted",
        "forbidden",
        "no_matching_grant",
    ] {
        assert!(seen.get(outcome).copied().unwrap_or(0) > 50, "{outcome}: {seen:?}");
    }
}
