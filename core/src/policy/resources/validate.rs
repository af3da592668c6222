//! The authoring rules of the resource model, on its canonical form: identifiers,
//! order, index ranges, acyclic parents, and action patterns that name what the
//! types declare. Documents and snapshots both pass here.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;

use super::{GroupDef, Principal, ResourceModel, TypeDef};
use crate::error::PolicyError;
use crate::ident::{self, IdentifierKind};
use crate::policy::Role;
use crate::policy::attributes::AttributeMap;

/// Every rule of the resource model; `roles` are the policy's roles.
pub(crate) fn model(model: &ResourceModel, roles: &[Role]) -> Result<(), PolicyError> {
    check_types(&model.types)?;
    check_resources(model)?;
    check_users(model)?;
    check_groups(model, roles.len())?;
    check_grants(model, roles.len())?;
    check_rules(model, roles.len())?;
    for role in roles {
        for (list, patterns) in [("grants", &role.grants), ("denies", &role.denies)] {
            for pattern in patterns {
                check_pattern(&model.types, &format!("roles.{}.{list}", role.name), pattern, false)?;
            }
        }
    }
    Ok(())
}

fn identifier(kind: IdentifierKind, field: impl FnOnce() -> String, value: &str) -> Result<(), PolicyError> {
    ident::validate(kind, value).map_err(|error| PolicyError::InvalidIdentifier { field: field(), error })
}

/// `Ok` when `items` (by `key`) are strictly ascending; otherwise the duplicate or
/// the order error for `field`.
fn strictly_ascending<'t, T, K: Ord>(
    field: &'static str,
    items: &'t [T],
    key: impl Fn(&'t T) -> K,
    name: impl Fn(&T) -> String,
) -> Result<(), PolicyError> {
    for pair in items.windows(2) {
        match key(&pair[0]).cmp(&key(&pair[1])) {
            Ordering::Less => {}
            Ordering::Equal => {
                return Err(PolicyError::Duplicate { field: field.into(), value: name(&pair[1]) });
            }
            Ordering::Greater => return Err(PolicyError::NotCanonical { field }),
        }
    }
    Ok(())
}

/// Indices below `len`, strictly ascending.
fn index_list(field: &'static str, list: &[u32], len: usize) -> Result<(), PolicyError> {
    if let Some(&index) = list.iter().find(|&&i| i as usize >= len) {
        return Err(PolicyError::IndexOutOfRange { field, index });
    }
    if list.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(PolicyError::NotCanonical { field });
    }
    Ok(())
}

fn check_attributes(field: impl Fn() -> String, attributes: &AttributeMap) -> Result<(), PolicyError> {
    for (name, _) in attributes.entries() {
        identifier(IdentifierKind::Attribute, &field, name)?;
    }
    Ok(())
}

fn check_types(types: &[TypeDef]) -> Result<(), PolicyError> {
    strictly_ascending("types", types, |t| t.name.as_str(), |t| t.name.clone())?;
    for kind in types {
        identifier(IdentifierKind::ResourceType, || "types".into(), &kind.name)?;
        for action in &kind.actions {
            identifier(IdentifierKind::Action, || format!("types.{}.actions", kind.name), action)?;
        }
        if kind.actions.windows(2).any(|pair| pair[0] >= pair[1]) {
            let field = format!("types.{}.actions", kind.name);
            let twice = kind.actions.windows(2).find(|pair| pair[0] == pair[1]);
            return match twice {
                Some(pair) => Err(PolicyError::Duplicate { field, value: pair[0].clone() }),
                None => Err(PolicyError::NotCanonical { field: "types.actions" }),
            };
        }
    }
    Ok(())
}

fn check_resources(model: &ResourceModel) -> Result<(), PolicyError> {
    let resources = &model.resources;
    for (index, resource) in (0u32..).zip(resources) {
        if resource.kind as usize >= model.types.len() {
            return Err(PolicyError::IndexOutOfRange { field: "resources.type", index: resource.kind });
        }
        identifier(IdentifierKind::ResourceId, || format!("resources.{}", model.key(index)), &resource.id)?;
        index_list("resources.parents", &resource.parents, resources.len())?;
        check_attributes(|| format!("resources.{}.attributes", model.key(index)), &resource.attributes)?;
    }
    strictly_ascending("resources", resources, |r| (r.kind, r.id.as_str()), |r| r.id.clone())?;
    let parents: Vec<&[u32]> = resources.iter().map(|r| r.parents.as_slice()).collect();
    acyclic(&parents).map_err(|cycle| PolicyError::ResourceCycle {
        cycle: cycle.into_iter().map(|r| model.key(r)).collect(),
    })?;
    closures(&parents, MAX_ANCESTORS).map(drop).map_err(|r| PolicyError::TooManyAncestors {
        field: "resources",
        name: model.key(r),
        limit: MAX_ANCESTORS,
    })
}

fn check_users(model: &ResourceModel) -> Result<(), PolicyError> {
    strictly_ascending("model users", &model.users, |u| u.name.as_str(), |u| u.name.clone())?;
    for user in &model.users {
        identifier(IdentifierKind::User, || "users".into(), &user.name)?;
        check_attributes(|| format!("users.{}.attributes", user.name), &user.attributes)?;
    }
    Ok(())
}

fn check_groups(model: &ResourceModel, role_count: usize) -> Result<(), PolicyError> {
    let groups: &[GroupDef] = &model.groups;
    strictly_ascending("groups", groups, |g| g.name.as_str(), |g| g.name.clone())?;
    for group in groups {
        identifier(IdentifierKind::Group, || "groups".into(), &group.name)?;
        index_list("groups.members", &group.members, model.users.len())?;
        index_list("groups.parents", &group.parents, groups.len())?;
        index_list("groups.roles", &group.roles, role_count)?;
    }
    let parents: Vec<&[u32]> = groups.iter().map(|g| g.parents.as_slice()).collect();
    acyclic(&parents).map_err(|cycle| PolicyError::GroupCycle {
        cycle: cycle.into_iter().filter_map(|g| groups.get(g as usize)).map(|g| g.name.clone()).collect(),
    })?;
    closures(&parents, MAX_ANCESTORS).map(drop).map_err(|g| PolicyError::TooManyAncestors {
        field: "groups",
        name: groups.get(g as usize).map(|g| g.name.clone()).unwrap_or_default(),
        limit: MAX_ANCESTORS,
    })
}

fn check_grants(model: &ResourceModel, role_count: usize) -> Result<(), PolicyError> {
    for grant in &model.grants {
        let (field, principal, len) = match grant.principal {
            Principal::User(user) => ("grants.user", user, model.users.len()),
            Principal::Group(group) => ("grants.group", group, model.groups.len()),
        };
        index_list(field, &[principal], len)?;
        index_list("grants.on", &[grant.on], model.resources.len())?;
        index_list("grants.role", &[grant.role], role_count)?;
    }
    strictly_ascending("grants", &model.grants, |g| *g, |g| model.key(g.on))
}

fn check_rules(model: &ResourceModel, role_count: usize) -> Result<(), PolicyError> {
    strictly_ascending("rules", &model.rules, |r| r.id.as_str(), |r| r.id.clone())?;
    for rule in &model.rules {
        identifier(IdentifierKind::RuleId, || "rules".into(), &rule.id)?;
        let field = format!("rules.{}.actions", rule.id);
        if rule.actions.is_empty() {
            return Err(PolicyError::Document {
                message: format!("{field}: a rule covers at least one action"),
            });
        }
        for pattern in &rule.actions {
            identifier(IdentifierKind::Pattern, || field.clone(), pattern)?;
            check_pattern(&model.types, &field, pattern, true)?;
        }
        if rule.actions.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(PolicyError::NotCanonical { field: "rules.actions" });
        }
        index_list("rules.roles", &rule.roles, role_count)?;
    }
    Ok(())
}

/// A pattern whose first segment names a declared type must name one of its
/// actions (or all, `type:*`): `document:eidt` is a typo, never a permission. A
/// rule's pattern must name a declared type (or be `*`); a role's pattern may name
/// any permission, as tenant-wide permissions need no type.
fn check_pattern(types: &[TypeDef], field: &str, pattern: &str, rule: bool) -> Result<(), PolicyError> {
    if pattern == "*" {
        return Ok(());
    }
    // Without a colon, a tenant-wide permission (`reports`), which no resource action
    // (`type:action`) matches: a role may grant it, even where a type has its name; a
    // rule about it would never apply, so it is refused below.
    if !rule && !pattern.contains(':') {
        return Ok(());
    }
    let (kind, action) = pattern.split_once(':').unwrap_or((pattern, ""));
    let Ok(found) = types.binary_search_by(|t| t.name.as_str().cmp(kind)) else {
        return if rule {
            Err(PolicyError::UnknownType { field: field.into(), name: kind.into() })
        } else {
            Ok(())
        };
    };
    let declared =
        types.get(found).is_some_and(|t| t.actions.binary_search_by(|a| a.as_str().cmp(action)).is_ok());
    if action == "*" || declared {
        return Ok(());
    }
    Err(PolicyError::UndeclaredAction { field: field.into(), kind: kind.into(), action: action.into() })
}

/// The most resources a resource may sit under (itself included), and the most
/// groups a group's members hold through it: bounds the index a policy compiles to.
pub(crate) const MAX_ANCESTORS: usize = 256;

/// Each node with everything above it (itself included, ascending), for an
/// acyclic `parents`; `Err(node)` names a node with more than `limit`.
pub(crate) fn closures(parents: &[&[u32]], limit: usize) -> Result<Vec<Vec<u32>>, u32> {
    let mut done: Vec<Option<Vec<u32>>> = vec![None; parents.len()];
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..parents.len() {
        stack.push(start);
        while let Some(&node) = stack.last() {
            if done.get(node).is_some_and(Option::is_some) {
                stack.pop();
                continue;
            }
            let above = parents.get(node).copied().unwrap_or_default();
            let pending = stack.len();
            stack.extend(
                above.iter().map(|&p| p as usize).filter(|&p| done.get(p).is_some_and(Option::is_none)),
            );
            if stack.len() > pending {
                continue;
            }
            let mut set = vec![node as u32];
            for &parent in above {
                set.extend(done.get(parent as usize).into_iter().flatten().flatten().copied());
            }
            set.sort_unstable();
            set.dedup();
            if set.len() > limit {
                return Err(node as u32);
            }
            if let Some(slot) = done.get_mut(node) {
                *slot = Some(set);
            }
            stack.pop();
        }
    }
    Ok(done.into_iter().map(Option::unwrap_or_default).collect())
}

/// Depth-first search with three colours over `parents` (node to its parents); a
/// grey parent closes a cycle, returned as the path from it back to itself.
/// Iterative, so a hostile hierarchy thousands of levels deep cannot overflow the stack.
pub(crate) fn acyclic(parents: &[&[u32]]) -> Result<(), Vec<u32>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour = vec![Colour::White; parents.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..parents.len() {
        if colour[start] != Colour::White {
            continue;
        }
        colour[start] = Colour::Grey;
        stack.push((start, 0));
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&parent) = parents[node].get(*next) else {
                colour[node] = Colour::Black;
                stack.pop();
                continue;
            };
            *next += 1;
            let parent = parent as usize;
            match colour.get(parent) {
                Some(Colour::White) => {
                    colour[parent] = Colour::Grey;
                    stack.push((parent, 0));
                }
                Some(Colour::Grey) => {
                    let from = stack.iter().position(|&(n, _)| n == parent).unwrap_or(0);
                    let mut cycle: Vec<u32> = stack[from..].iter().map(|&(n, _)| n as u32).collect();
                    cycle.push(parent as u32);
                    return Err(cycle);
                }
                _ => {}
            }
        }
    }
    Ok(())
}
