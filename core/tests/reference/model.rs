//! A plain reference for the resource model, written from DESIGN.md ("Resources,
//! rules and search") and reading the policy document as JSON: names, sets and
//! graph walks, no index. Shared by the property test and the vector writer.

#![allow(dead_code, reason = "each test uses the part it needs")]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tessera_core::condition::{Attributes, Root, Value as CondValue};

use super::condition::{V, parse, value};

/// A policy document, asked plainly.
pub(crate) struct Reference<'d> {
    doc: &'d Value,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn keys(value: Option<&Value>) -> Vec<String> {
    value.and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.clone()).collect()
}

/// `posts:*` covers every permission starting `posts:`; `*` covers all.
fn covers(pattern: &str, permission: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => permission.starts_with(prefix),
        None => pattern == permission,
    }
}

/// Larger is more specific: the permission itself, then longer prefixes, then `*`.
fn specificity(pattern: &str) -> usize {
    pattern.strip_suffix('*').map_or(usize::MAX, str::len)
}

/// A resource key's sort order: by type, then id.
fn order(key: &str) -> (String, String) {
    let (kind, id) = key.split_once(':').unwrap_or((key, ""));
    (kind.to_string(), id.to_string())
}

/// Where a role is held: `None` tenant-wide (sorts first), or a resource.
type Place = Option<(String, String)>;

struct Facts<'f> {
    reference: &'f Reference<'f>,
    user: &'f str,
    kind: &'f str,
    id: &'f str,
    stored: bool,
    action: &'f str,
    request: &'f Value,
}

/// A JSON attribute as a condition value (lists leak: test data is small).
fn json_value(v: &Value) -> Option<CondValue<'static>> {
    match v {
        Value::String(s) => Some(CondValue::Str(Box::leak(s.clone().into_boxed_str()))),
        Value::Number(n) => n.as_i64().map(CondValue::Int),
        Value::Bool(b) => Some(CondValue::Bool(*b)),
        Value::Array(items) => {
            let list: Vec<String> = items.iter().filter_map(Value::as_str).map(str::to_string).collect();
            Some(CondValue::Strs(Vec::leak(list)))
        }
        _ => None,
    }
}

impl Attributes for Facts<'_> {
    fn value(&self, root: Root, name: &str) -> Option<CondValue<'_>> {
        let doc = self.reference.doc;
        let request = |part: &str| self.request.get(part).and_then(|p| p.get(name)).and_then(json_value);
        match (root, name) {
            (Root::Subject, "id") => Some(CondValue::Str(self.user)),
            (Root::Resource, "id") => Some(CondValue::Str(self.id)),
            (Root::Resource, "type") => Some(CondValue::Str(self.kind)),
            (Root::Action, "name") => Some(CondValue::Str(self.action)),
            (Root::Subject, _) => doc
                .pointer(&format!("/users/{}/attributes/{name}", self.user))
                .and_then(json_value)
                .or_else(|| request("subject")),
            (Root::Resource, _) => {
                let key = format!("{}:{}", self.kind, self.id);
                let stored =
                    if self.stored { doc["resources"][key.as_str()]["attributes"].get(name) } else { None };
                stored.and_then(json_value).or_else(|| request("resource"))
            }
            (Root::Action, _) => request("action"),
            (Root::Context, _) => request("context"),
        }
    }
}

impl<'d> Reference<'d> {
    pub(crate) fn new(doc: &'d Value) -> Self {
        Self { doc }
    }

    fn role(&self, name: &str) -> &Value {
        &self.doc["roles"][name]
    }

    fn closure(&self, role: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![role.to_string()];
        while let Some(r) = stack.pop() {
            if seen.insert(r.clone()) {
                stack.extend(strings(self.role(&r).get("parents")));
            }
        }
        seen
    }

    fn groups_of(&self, user: &str) -> BTreeSet<String> {
        let groups = &self.doc["groups"];
        let mut stack: Vec<String> = keys(Some(groups))
            .into_iter()
            .filter(|g| strings(groups[g.as_str()].get("members")).iter().any(|m| m == user))
            .collect();
        let mut seen = BTreeSet::new();
        while let Some(g) = stack.pop() {
            if seen.insert(g.clone()) {
                stack.extend(strings(groups[g.as_str()].get("parents")));
            }
        }
        seen
    }

    fn stored(&self, key: &str) -> bool {
        self.doc["resources"].get(key).is_some()
    }

    fn ancestors(&self, key: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        if !self.stored(key) {
            return seen;
        }
        let mut stack = vec![key.to_string()];
        while let Some(r) = stack.pop() {
            if seen.insert(r.clone()) {
                stack.extend(strings(self.doc["resources"][r.as_str()].get("parents")));
            }
        }
        seen
    }

    /// Every user the policy names: members, users with attributes, group members, grantees.
    pub(crate) fn known_users(&self) -> BTreeSet<String> {
        let mut users: BTreeSet<String> = keys(self.doc.get("members")).into_iter().collect();
        users.extend(keys(self.doc.get("users")));
        for group in keys(self.doc.get("groups")) {
            users.extend(strings(self.doc["groups"][group.as_str()].get("members")));
        }
        for grant in self.doc["grants"].as_array().into_iter().flatten() {
            users.extend(grant["user"].as_str().map(str::to_string));
        }
        users
    }

    /// Roles the user holds, and where: tenant-wide (memberships, groups' roles) and,
    /// for a resource, on it and its ancestors.
    fn held(&self, user: &str, resource: Option<&str>) -> Vec<(String, Place)> {
        let groups = self.groups_of(user);
        let mut held: Vec<(String, Place)> = strings(self.doc.get("members").and_then(|m| m.get(user)))
            .into_iter()
            .map(|r| (r, None))
            .collect();
        for g in &groups {
            held.extend(strings(self.doc["groups"][g.as_str()].get("roles")).into_iter().map(|r| (r, None)));
        }
        if let Some(resource) = resource {
            let ancestors = self.ancestors(resource);
            for grant in self.doc["grants"].as_array().into_iter().flatten() {
                let mine = grant["user"].as_str() == Some(user)
                    || grant["group"].as_str().is_some_and(|g| groups.contains(g));
                let on = grant["on"].as_str().unwrap_or_default();
                if mine && ancestors.contains(on) {
                    held.push((grant["role"].as_str().unwrap_or_default().to_string(), Some(order(on))));
                }
            }
        }
        held
    }

    /// The deny (or grant) a reason names: the most specific pattern, then the first
    /// role by name, then tenant-wide before the first resource by (type, id).
    fn best(&self, held: &[(String, Place)], permission: &str, list: &str) -> Option<Value> {
        let mut candidates = Vec::new();
        for (role, place) in held {
            for x in self.closure(role) {
                for pattern in strings(self.role(&x).get(list)).into_iter().filter(|p| covers(p, permission))
                {
                    candidates.push((
                        std::cmp::Reverse(specificity(&pattern)),
                        x.clone(),
                        place.clone(),
                        pattern,
                    ));
                }
            }
        }
        let (_, role, place, pattern) = candidates.into_iter().min()?;
        let reason = if list == "denies" { "denied" } else { "granted" };
        let mut answer =
            json!({"allowed": list == "grants", "reason": reason, "role": role, "pattern": pattern});
        if let Some((kind, id)) = place {
            answer["on"] = json!(format!("{kind}:{id}"));
        }
        Some(answer)
    }

    /// The decision, as faces answer it.
    pub(crate) fn decide(
        &self,
        user: &str,
        action: &str,
        resource: Option<(&str, &str)>,
        request: &Value,
    ) -> Value {
        let strict = self.doc.pointer("/strict_users/key_backed").map(|k| strings(Some(k)));
        if strict.is_some_and(|users| !users.iter().any(|u| u == user)) {
            return json!({"allowed": false, "reason": "user_not_key_backed"});
        }
        let Some((kind, id)) = resource else {
            if !self.known_users().contains(user) {
                return json!({"allowed": false, "reason": "unknown_user"});
            }
            let held = self.held(user, None);
            return self
                .best(&held, action, "denies")
                .or_else(|| self.best(&held, action, "grants"))
                .unwrap_or(json!({"allowed": false, "reason": "no_matching_grant"}));
        };
        let key = format!("{kind}:{id}");
        let permission = format!("{kind}:{action}");
        // A declared type's undeclared action: nothing allows it.
        if let Some(actions) = self.doc.pointer(&format!("/types/{kind}/actions"))
            && !strings(Some(actions)).iter().any(|a| a == action)
        {
            return json!({"allowed": false, "reason": "no_matching_grant"});
        }
        let held = self.held(user, Some(&key));
        if let Some(deny) = self.best(&held, &permission, "denies") {
            return deny;
        }
        let facts = Facts { reference: self, user, kind, id, stored: self.stored(&key), action, request };
        let roles_held: BTreeSet<String> = held.iter().flat_map(|(r, _)| self.closure(r)).collect();
        let mut rules: Vec<&Value> = self.doc["rules"].as_array().into_iter().flatten().collect();
        rules.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_string());
        let holds = |rule: &&Value| {
            let roles = strings(rule.get("roles"));
            let when = rule["when"].as_str();
            (roles.is_empty() || roles.iter().any(|r| roles_held.contains(r)))
                && strings(rule.get("actions")).iter().any(|p| covers(p, &permission))
                && when.is_none_or(|text| {
                    let expr = parse(text).unwrap_or_else(|| panic!("the reference cannot read {text}"));
                    value(&expr, &facts) == V::Bool(true)
                })
        };
        let effect = |rule: &&Value, effect: &str| rule["effect"].as_str() == Some(effect);
        if let Some(rule) = rules.iter().find(|r| effect(r, "forbid") && holds(r)) {
            return json!({"allowed": false, "reason": "forbidden", "rule": rule["id"]});
        }
        if let Some(grant) = self.best(&held, &permission, "grants") {
            return grant;
        }
        if let Some(rule) = rules.iter().find(|r| effect(r, "permit") && holds(r)) {
            return json!({"allowed": true, "reason": "permitted", "rule": rule["id"]});
        }
        json!({"allowed": false, "reason": "no_matching_grant"})
    }

    fn allows(&self, user: &str, action: &str, resource: (&str, &str), request: &Value) -> bool {
        self.decide(user, action, Some(resource), request)["allowed"] == json!(true)
    }

    /// Declared actions of the resource's type the user may do, sorted.
    pub(crate) fn actions(&self, user: &str, resource: (&str, &str), request: &Value) -> Vec<String> {
        let mut actions = strings(self.doc.pointer(&format!("/types/{}/actions", resource.0)));
        actions.sort();
        actions.retain(|a| self.allows(user, a, resource, request));
        actions
    }

    /// Stored resources of the type the user may `action`, ids sorted; each with its
    /// own attributes (the request's resource attributes are not used).
    pub(crate) fn resources(&self, user: &str, action: &str, kind: &str, request: &Value) -> Vec<String> {
        let mut request = request.clone();
        if let Some(object) = request.as_object_mut() {
            object.remove("resource");
        }
        let request = &request;
        let mut ids: Vec<String> = keys(self.doc.get("resources"))
            .iter()
            .filter_map(|k| k.split_once(':'))
            .filter(|(t, _)| *t == kind)
            .map(|(_, id)| id.to_string())
            .collect();
        ids.sort();
        ids.retain(|id| self.allows(user, action, (kind, id), request));
        ids
    }

    /// Known users who may `action` on the resource, sorted; each with its own
    /// attributes (the request's subject attributes are not used).
    pub(crate) fn subjects(&self, action: &str, resource: (&str, &str), request: &Value) -> Vec<String> {
        let mut request = request.clone();
        if let Some(object) = request.as_object_mut() {
            object.remove("subject");
        }
        self.known_users().into_iter().filter(|u| self.allows(u, action, resource, &request)).collect()
    }
}
