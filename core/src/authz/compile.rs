//! Building the authorizer's index from a validated policy.

use alloc::vec;
use alloc::vec::Vec;
use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use super::rules::RuleIndex;
use super::{Authorizer, CompiledRole, Group, RoleId, RoleSet, Span};
use crate::policy::{Policy, Role};

pub(super) fn compile(policy: Policy) -> Authorizer {
    let Policy { tenant, roles, members, key_backed } = policy;
    let mut role_lists: Vec<RoleId> = Vec::new();
    let closures = role_closures(&roles, &mut role_lists);
    let rules =
        RuleIndex::build((0..).zip(&roles).map(|(id, r)| (id, r.grants.as_slice(), r.denies.as_slice())));

    // Users sharing a set of direct roles share one group, compiled once.
    let hasher = DefaultHashBuilder::default();
    let mut user_index = HashTable::with_capacity(members.len());
    let mut groups: Vec<Group> = Vec::new();
    {
        let mut group_ids: HashMap<&[RoleId], u32> = HashMap::new();
        let mut scratch: Vec<RoleId> = Vec::new();
        for user in 0..members.len() {
            let direct = members.roles_of(user);
            let group = *group_ids.entry(direct).or_insert_with(|| {
                scratch.clear();
                for &role in direct {
                    if let Some(span) = closures.get(role as usize) {
                        scratch.extend_from_slice(&role_lists[span.start as usize..span.end as usize]);
                    }
                }
                scratch.sort_unstable();
                scratch.dedup();
                let direct = push_list(&mut role_lists, direct);
                let closure = push_list(&mut role_lists, &scratch);
                groups.push(Group { direct, closure });
                (groups.len() - 1) as u32
            });
            let hash = hasher.hash_one(members.name(user));
            user_index.insert_unique(hash, (user as u32, group), |&(u, _)| {
                hasher.hash_one(members.name(u as usize))
            });
        }
    }

    let role_ids = (0..).zip(&roles).map(|(id, role)| (role.name.as_str().into(), id)).collect();
    let roles = roles
        .into_iter()
        .zip(closures)
        .map(|(role, closure)| CompiledRole {
            name: role.name,
            closure,
            grants: role.grants,
            denies: role.denies,
        })
        .collect();

    Authorizer {
        tenant: tenant.into(),
        roles,
        role_ids,
        members,
        user_index,
        hasher,
        groups,
        role_lists,
        rules,
        key_backed,
    }
}

fn push_list(lists: &mut Vec<RoleId>, roles: &[RoleId]) -> Span {
    let start = lists.len() as u32;
    lists.extend_from_slice(roles);
    Span { start, end: lists.len() as u32, mask: RoleSet::new(roles).mask }
}

/// closure(r) = {r} ∪ closure(parents of r), computed once per role in an order
/// where every parent comes before its children (the policy is acyclic).
fn role_closures(roles: &[Role], lists: &mut Vec<RoleId>) -> Vec<Span> {
    let mut closures: Vec<Option<Span>> = vec![None; roles.len()];
    let mut stack: Vec<usize> = Vec::new();
    let mut scratch: Vec<RoleId> = Vec::new();
    for start in 0..roles.len() {
        stack.push(start);
        while let Some(&role) = stack.last() {
            if closures[role].is_some() {
                stack.pop();
                continue;
            }
            let parents = &roles[role].parents;
            let pending = stack.len();
            stack.extend(parents.iter().map(|&p| p as usize).filter(|&p| closures[p].is_none()));
            if stack.len() > pending {
                continue;
            }
            scratch.clear();
            scratch.push(role as RoleId);
            for &parent in parents {
                if let Some(span) = closures[parent as usize] {
                    scratch.extend_from_slice(&lists[span.start as usize..span.end as usize]);
                }
            }
            scratch.sort_unstable();
            scratch.dedup();
            closures[role] = Some(push_list(lists, &scratch));
            stack.pop();
        }
    }
    closures.into_iter().map(|c| c.unwrap_or(Span { start: 0, end: 0, mask: 0 })).collect()
}
