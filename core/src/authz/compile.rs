//! Building the authorizer's index from a validated policy.

use alloc::vec;
use alloc::vec::Vec;
use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use super::model::{ModelIndex, role_answers};
use super::rules::RuleIndex;
use super::{Authorizer, CompiledRole, NONE, RoleClass, RoleId, RoleSet, Span, Subject};
use crate::policy::{Policy, Role};

pub(super) fn compile(policy: Policy) -> Authorizer {
    let Policy { tenant, roles, members, key_backed, model, subject } = policy;
    let mut role_lists: Vec<RoleId> = Vec::new();
    let closures = role_closures(&roles, &mut role_lists);
    let rules =
        RuleIndex::build((0..).zip(&roles).map(|(id, r)| (id, r.grants.as_slice(), r.denies.as_slice())));
    let mut index = ModelIndex::build(&model);
    let closure_sets: Vec<RoleSet<'_>> = closures
        .iter()
        .map(|span| RoleSet {
            roles: role_lists.get(span.start as usize..span.end as usize).unwrap_or_default(),
            mask: span.mask,
        })
        .collect();
    index.answer_roles(|permission| role_answers(&rules, closure_sets.iter().copied(), permission));

    // Subjects: members and the model's users, merged by name.
    let mut subjects: Vec<Subject> = Vec::with_capacity(members.len().max(model.users.len()));
    let (mut m, mut u) = (0usize, 0usize);
    while m < members.len() || u < model.users.len() {
        let member = (m < members.len()).then(|| members.name(m));
        let user = model.users.get(u).map(|user| user.name.as_str());
        let (take_member, take_user) = match (member, user) {
            (Some(a), Some(b)) => (a <= b, b <= a),
            (a, b) => (a.is_some(), b.is_some()),
        };
        subjects.push(Subject {
            member: if take_member { m as u32 } else { NONE },
            user: if take_user { u as u32 } else { NONE },
            class: 0,
        });
        m += usize::from(take_member);
        u += usize::from(take_user);
    }

    // Subjects with the same direct roles and the same roles held tenant-wide share
    // one class, compiled once.
    let hasher = DefaultHashBuilder::default();
    let mut user_index = HashTable::with_capacity(subjects.len());
    let mut classes: Vec<RoleClass> = Vec::new();
    {
        let mut class_ids: HashMap<(&[RoleId], Vec<RoleId>), u32> = HashMap::new();
        let mut scratch: Vec<RoleId> = Vec::new();
        let user_count = model.users.len() as u32;
        for subject in subjects.iter_mut() {
            let direct =
                if subject.member == NONE { &[][..] } else { members.roles_of(subject.member as usize) };
            let mut held: Vec<RoleId> = direct.to_vec();
            if subject.user != NONE {
                for &principal in index.principals_of(subject.user) {
                    let group = principal.checked_sub(user_count).and_then(|g| model.groups.get(g as usize));
                    held.extend(group.iter().flat_map(|g| g.roles.iter().copied()));
                }
            }
            held.sort_unstable();
            held.dedup();
            let class = *class_ids.entry((direct, held)).or_insert_with_key(|(direct, held)| {
                scratch.clear();
                for &role in held {
                    if let Some(span) = closures.get(role as usize) {
                        scratch.extend_from_slice(&role_lists[span.start as usize..span.end as usize]);
                    }
                }
                scratch.sort_unstable();
                scratch.dedup();
                let direct = push_list(&mut role_lists, direct);
                let closure = push_list(&mut role_lists, &scratch);
                classes.push(RoleClass { direct, closure });
                (classes.len() - 1) as u32
            });
            subject.class = class;
        }
    }
    let name = |s: &Subject| {
        if s.member == NONE { index.user_name(s.user) } else { members.name(s.member as usize) }
    };
    for (i, subject) in (0u32..).zip(&subjects) {
        let hash = hasher.hash_one(name(subject));
        user_index
            .insert_unique(hash, i, |&j| subjects.get(j as usize).map_or(0, |s| hasher.hash_one(name(s))));
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
        subjects,
        user_index,
        hasher,
        classes,
        role_lists,
        rules,
        key_backed,
        model: index,
        scope: subject.map(Into::into),
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
