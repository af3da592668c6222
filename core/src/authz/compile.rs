//! Building the authorizer's index from a validated policy.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use super::{Authorizer, CompiledRole, Group, RoleId, Rule};
use crate::pattern::Candidate;
use crate::policy::Policy;

pub(super) fn compile(policy: Policy) -> Authorizer {
    let Policy {
        tenant,
        roles,
        groups: member_groups,
    } = policy;
    let closures = role_closures(&roles);

    let mut rules: Vec<Rule> = Vec::new();
    let mut exact: HashMap<Box<str>, u32> = HashMap::new();
    let mut prefix: HashMap<Box<str>, u32> = HashMap::new();
    let mut any: Option<u32> = None;
    for (id, role) in (0..).zip(&roles) {
        for (pattern, is_deny) in role
            .grants
            .iter()
            .map(|p| (p, false))
            .chain(role.denies.iter().map(|p| (p, true)))
        {
            let slot = match Candidate::of_pattern(pattern) {
                Candidate::Exact(name) => exact.entry(name.into()).or_insert(u32::MAX),
                Candidate::Prefix(p) => prefix.entry(p.into()).or_insert(u32::MAX),
                Candidate::Any => any.get_or_insert(u32::MAX),
            };
            if *slot == u32::MAX {
                *slot = rules.len() as u32;
                rules.push(Rule {
                    pattern: pattern.as_str().into(),
                    grants: Vec::new(),
                    denies: Vec::new(),
                });
            }
            if let Some(rule) = rules.get_mut(*slot as usize) {
                // Roles are visited in ascending id order, so each list stays sorted.
                if is_deny {
                    rule.denies.push(id)
                } else {
                    rule.grants.push(id)
                }
            }
        }
    }

    let user_total: usize = member_groups.iter().map(|g| g.users.len()).sum();
    let hasher = DefaultHashBuilder::default();
    let mut users: Vec<alloc::string::String> = Vec::with_capacity(user_total);
    let mut user_index = HashTable::with_capacity(user_total);
    let mut groups = Vec::with_capacity(member_groups.len());
    let mut role_groups: Vec<Vec<u32>> = vec![Vec::new(); roles.len()];
    for (group_id, group) in (0..).zip(member_groups) {
        let start = users.len() as u32;
        for user in group.users {
            let hash = hasher.hash_one(user.as_str());
            user_index.insert_unique(
                hash,
                (users.len() as u32, group_id),
                |&(u, _): &(u32, u32)| hasher.hash_one(users[u as usize].as_str()),
            );
            users.push(user);
        }
        let mut direct = group.roles;
        direct.sort_unstable();
        for &role in &direct {
            role_groups[role as usize].push(group_id);
        }
        let mut closure: Vec<RoleId> = direct
            .iter()
            .flat_map(|&r| closures[r as usize].iter().copied())
            .collect();
        closure.sort_unstable();
        closure.dedup();
        groups.push(Group {
            direct,
            closure,
            users: start..users.len() as u32,
        });
    }

    let role_ids = (0..)
        .zip(&roles)
        .map(|(id, role)| (role.name.as_str().into(), id))
        .collect();
    let roles = roles
        .into_iter()
        .zip(closures)
        .zip(role_groups)
        .map(|((role, closure), groups)| CompiledRole {
            name: role.name,
            closure,
            grants: role.grants,
            denies: role.denies,
            groups,
        })
        .collect();

    Authorizer {
        tenant: tenant.into(),
        roles,
        role_ids,
        users,
        user_index,
        hasher,
        groups,
        rules,
        exact,
        prefix,
        any,
    }
}

/// closure(r) = {r} ∪ closure(parents of r), computed once per role in an order
/// where every parent comes before its children (the policy is acyclic).
fn role_closures(roles: &[crate::policy::Role]) -> Vec<Vec<RoleId>> {
    let mut closures: Vec<Option<Vec<RoleId>>> = vec![None; roles.len()];
    let mut stack: Vec<usize> = Vec::new();
    for start in 0..roles.len() {
        stack.push(start);
        while let Some(&role) = stack.last() {
            if closures[role].is_some() {
                stack.pop();
                continue;
            }
            let pending: Vec<usize> = roles[role]
                .parents
                .iter()
                .map(|&p| p as usize)
                .filter(|&p| closures[p].is_none())
                .collect();
            if pending.is_empty() {
                let mut closure = vec![role as RoleId];
                for &parent in &roles[role].parents {
                    closure.extend(closures[parent as usize].iter().flatten());
                }
                closure.sort_unstable();
                closure.dedup();
                closures[role] = Some(closure);
                stack.pop();
            } else {
                stack.extend(pending);
            }
        }
    }
    closures
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}
