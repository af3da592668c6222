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
use reference::condition::{Expr, STRS, V, render, truth, value};
use serde_json::{Value as Json, json};
use tessera_core::condition::{Attributes, Condition, Root, Value};
use tessera_core::{
    AttributeMap, AttributeValue, Authorizer, Decision, Page, PolicyDocument, Query, RequestAttributes,
    ResourceRef,
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

    /// The rules the document carries, with their ids.
    fn kept_rules(&self) -> Vec<(String, &Rule)> {
        self.rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.when.as_ref().is_none_or(|e| Condition::parse(&render(e)).is_ok()))
            .map(|(i, rule)| (format!("rule-{i}"), rule))
            .collect()
    }

    fn closure(&self, role: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![role];
        while let Some(r) = stack.pop() {
            if seen.insert(r) {
                stack.extend(self.roles[r].0.iter().copied());
            }
        }
        seen
    }

    fn groups_of(&self, user: &str) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> =
            (0..self.groups.len()).filter(|&g| self.groups[g].0.contains(user)).collect();
        while let Some(g) = stack.pop() {
            if seen.insert(g) {
                stack.extend(self.groups[g].1.iter().copied());
            }
        }
        seen
    }

    fn ancestors(&self, r: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![r];
        while let Some(x) = stack.pop() {
            if seen.insert(x) {
                stack.extend(self.resources[x].2.iter().copied());
            }
        }
        seen
    }

    fn known_users(&self) -> BTreeSet<&'static str> {
        let mut users: BTreeSet<&str> = self.members.keys().copied().collect();
        users.extend(self.user_attributes.keys().copied());
        users.extend(self.groups.iter().flat_map(|g| g.0.iter().copied()));
        users.extend(self.grants.iter().filter_map(|g| match g.0 {
            Principal::User(u) => Some(u),
            Principal::Group(_) => None,
        }));
        users
    }

    /// (role held, where: None tenant-wide or Some(resource)).
    fn held(&self, user: &str, resource: Option<usize>) -> Vec<(usize, Option<usize>)> {
        let groups = self.groups_of(user);
        let mut held: Vec<(usize, Option<usize>)> =
            self.members.get(user).into_iter().flatten().map(|&r| (r, None)).collect();
        held.extend(groups.iter().flat_map(|&g| self.groups[g].2.iter().map(|&r| (r, None))));
        if let Some(resource) = resource {
            let ancestors = self.ancestors(resource);
            for (principal, role, on) in &self.grants {
                let mine = match principal {
                    Principal::User(u) => *u == user,
                    Principal::Group(g) => groups.contains(g),
                };
                if mine && ancestors.contains(on) {
                    held.push((*role, Some(*on)));
                }
            }
        }
        held
    }
}

fn specificity(pattern: &str) -> usize {
    match pattern.strip_suffix('*') {
        Some(prefix) => prefix.len(),
        None => 1000,
    }
}

fn matches(pattern: &str, permission: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => permission.starts_with(prefix),
        None => pattern == permission,
    }
}

/// The reference's decision: (reason, role, pattern, on, rule).
type Answer = (&'static str, Option<String>, Option<String>, Option<String>, Option<String>);

fn answer(decision: &Decision<'_>) -> Answer {
    let owned = |s: Option<&str>| s.map(str::to_string);
    (
        decision.reason().name(),
        owned(decision.role()),
        owned(decision.pattern()),
        owned(decision.on()),
        owned(decision.rule()),
    )
}

struct Facts<'f> {
    model: &'f Model,
    user: &'f str,
    resource: Option<usize>,
    kind: &'f str,
    id: &'f str,
    action: &'f str,
    request: &'f RequestAttributes,
}

impl Attributes for Facts<'_> {
    fn value(&self, root: Root, name: &str) -> Option<Value<'_>> {
        let stored = |attrs: Option<&'_ Attrs>| attrs.and_then(|a| a.get(name)).map(|v| v.core());
        let _ = stored;
        match (root, name) {
            (Root::Subject, "id") => Some(Value::Str(self.user)),
            (Root::Resource, "id") => Some(Value::Str(self.id)),
            (Root::Resource, "type") => Some(Value::Str(self.kind)),
            (Root::Action, "name") => Some(Value::Str(self.action)),
            (Root::Subject, _) => self
                .model
                .user_attributes
                .get(self.user)
                .and_then(|a| a.get(name))
                .map(stored_value)
                .or_else(|| self.request.subject.get(name).map(AttributeValue::as_value)),
            (Root::Resource, _) => self
                .resource
                .and_then(|r| self.model.resources[r].3.get(name))
                .map(stored_value)
                .or_else(|| self.request.resource.get(name).map(AttributeValue::as_value)),
            (Root::Action, _) => self.request.action.get(name).map(AttributeValue::as_value),
            (Root::Context, _) => self.request.context.get(name).map(AttributeValue::as_value),
        }
    }
}

fn stored_value(stored: &Stored) -> Value<'static> {
    match stored {
        Stored::Str(s) => Value::Str(s),
        Stored::Int(i) => Value::Int(*i),
        Stored::Bool(b) => Value::Bool(*b),
        // Leaked: a test's lists are few and small.
        Stored::Strs(l) => Value::Strs(Vec::leak(l.iter().map(|s| (*s).to_string()).collect())),
    }
}

/// The decision, plainly.
fn decide(
    model: &Model,
    user: &str,
    action: &str,
    resource: Option<(&str, &str)>,
    request: &RequestAttributes,
) -> Answer {
    let Some((kind, id)) = resource else {
        if !model.known_users().contains(user) {
            return ("unknown_user", None, None, None, None);
        }
        return roles_decide(model, &model.held(user, None), action).unwrap_or((
            "no_matching_grant",
            None,
            None,
            None,
            None,
        ));
    };
    let stored =
        (0..model.resources.len()).find(|&r| model.resources[r].0 == kind && model.resources[r].1 == id);
    let permission = format!("{kind}:{action}");
    let held = model.held(user, stored);
    let (deny, grant) = (best(model, &held, &permission, true), best(model, &held, &permission, false));
    if let Some(deny) = deny {
        return deny;
    }
    let facts = Facts { model, user, resource: stored, kind, id, action, request };
    let holds = |rule: &Rule| {
        let role_held = rule.roles.is_empty()
            || held.iter().any(|(h, _)| model.closure(*h).iter().any(|r| rule.roles.contains(r)));
        role_held
            && rule.actions.iter().any(|p| matches(p, &permission))
            && rule.when.as_ref().is_none_or(|e| value(e, &facts) == V::Bool(true))
    };
    let rules = model.kept_rules();
    if let Some((id, _)) = rules.iter().find(|(_, r)| r.forbid && holds(r)) {
        return ("forbidden", None, None, None, Some(id.clone()));
    }
    if let Some(grant) = grant {
        return grant;
    }
    if let Some((id, _)) = rules.iter().find(|(_, r)| !r.forbid && holds(r)) {
        return ("permitted", None, None, None, Some(id.clone()));
    }
    ("no_matching_grant", None, None, None, None)
}

fn roles_decide(model: &Model, held: &[(usize, Option<usize>)], permission: &str) -> Option<Answer> {
    best(model, held, permission, true).or_else(|| best(model, held, permission, false))
}

/// The deny (or grant) a reason names: the most specific pattern, then the first
/// role by name, then tenant-wide before the first resource.
fn best(model: &Model, held: &[(usize, Option<usize>)], permission: &str, deny: bool) -> Option<Answer> {
    let mut candidates = Vec::new();
    for &(role, place) in held {
        for x in model.closure(role) {
            let list = if deny { &model.roles[x].2 } else { &model.roles[x].1 };
            for pattern in list.iter().filter(|p| matches(p, permission)) {
                // Tenant-wide sorts before any resource (None < Some).
                candidates.push((std::cmp::Reverse(specificity(pattern)), x, place, *pattern));
            }
        }
    }
    let (_, role, place, pattern) = candidates.into_iter().min()?;
    let reason = if deny { "denied" } else { "granted" };
    Some((
        reason,
        Some(ROLES[role].to_string()),
        Some(pattern.to_string()),
        place.map(|p| model.key(p)),
        None,
    ))
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
        let document = serde_json::to_string(&model.document()).unwrap();
        let policy = PolicyDocument::from_json(&document).and_then(PolicyDocument::into_policy);
        let policy = policy.map_err(|e| TestCaseError::fail(format!("{e}: {document}")))?;
        let authz = Authorizer::new(policy);
        for ask in &asks {
            let resource = ask.resource.map(|pick| target(&model, pick));
            let reference = decide(&model, ask.user, ask.action, resource.as_ref().map(|(k, i)| (k.as_str(), i.as_str())), &ask.request);
            let query = match &resource {
                Some((kind, id)) => Query::on(ask.user, ask.action, kind, id).with(&ask.request),
                None => {
                    // Tenant-wide: the permission is `doc:<action>`.
                    let permission: &'static str = Box::leak(format!("doc:{}", ask.action).into_boxed_str());
                    Query { subject: ask.user, action: permission, resource: None, attributes: &ask.request }
                }
            };
            let reference = match &resource {
                Some(_) => reference,
                None => decide(&model, ask.user, query.action, None, &ask.request),
            };
            let decision = authz.evaluate(&query).unwrap();
            prop_assert_eq!(answer(&decision), reference, "{:?} in {}", ask, document);

            let Some((kind, id)) = &resource else { continue };
            let r = ResourceRef { kind, id };
            let allowed = |a: &Answer| a.0 == "granted" || a.0 == "permitted";
            let actions: Vec<String> = TYPES.iter().filter(|(t, _)| t == kind).flat_map(|(_, a)| a.iter())
                .filter(|a| allowed(&decide(&model, ask.user, a, Some((kind, id)), &ask.request)))
                .map(|a| a.to_string()).collect();
            prop_assert_eq!(&paged(|p| authz.actions(ask.user, r, &ask.request, p).unwrap()), &actions, "actions {:?}", ask);
            let subjects: Vec<String> = model.known_users().into_iter()
                .filter(|u| allowed(&decide(&model, u, ask.action, Some((kind, id)), &ask.request)))
                .map(str::to_string).collect();
            prop_assert_eq!(&paged(|p| authz.subjects(ask.action, r, &ask.request, p).unwrap()), &subjects, "subjects {:?}", ask);
            let mut ids: Vec<&String> = model.resources.iter().filter(|res| res.0 == kind).map(|res| &res.1).collect();
            ids.sort();
            let resources: Vec<String> = ids.into_iter()
                .filter(|rid| allowed(&decide(&model, ask.user, ask.action, Some((kind, rid)), &ask.request)))
                .cloned().collect();
            prop_assert_eq!(&paged(|p| authz.resources(ask.user, ask.action, kind, &ask.request, p).unwrap()), &resources, "resources {:?}", ask);
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
    for _ in 0..1_000 {
        let model = model().new_tree(&mut runner).unwrap().current();
        let asks = asks().new_tree(&mut runner).unwrap().current();
        for ask in asks {
            let Some(pick) = ask.resource else { continue };
            let (kind, id) = target(&model, pick);
            let answer = decide(&model, ask.user, ask.action, Some((&kind, &id)), &ask.request);
            let key = format!("{}{}", answer.0, if answer.3.is_some() { " on a resource" } else { "" });
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
