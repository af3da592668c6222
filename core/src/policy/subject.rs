//! Subject-scoped policies: the part of a tenant's policy that one user's decisions
//! read, and nothing about anyone else.
//!
//! What a subject keeps: its own memberships, attributes and strict-users entry; the
//! groups it is in (directly or through sub-groups), with only itself as a member;
//! the grants it and those groups hold; the roles it can hold anywhere, with their
//! ancestors; the rules that can apply to it (a rule's roles cut to those the subject
//! can hold); every type. A resource is kept when some decision of the subject on it
//! can come out other than `no_matching_grant`: a role the subject holds there, or a
//! rule that can apply to it there, covers one of its type's actions; its attributes
//! only when such a rule has a condition (nothing else reads them). Every ancestor
//! of a kept resource is kept too, without its attributes, so where a role is held
//! and what the reason names stay the same.
//!
//! Any other resource is decided `no_matching_grant` for this subject whatever the
//! request says, in the tenant's policy and in the slice alike, and its search lists
//! it nowhere: so the slice answers every check and search of the subject as the
//! tenant's policy does. Only questions about others (who holds a role, which users
//! may act, what a role grants) are outside it, and the authorizer refuses them.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::AttributeMap;
use super::model::{Members, Policy, Role};
use super::resources::validate::{MAX_ANCESTORS, closures};
use super::resources::{Grant, GroupDef, Principal, ResourceDef, ResourceModel, RuleDef, UserDef};
use crate::error::PolicyError;
use crate::ident::{self, IdentifierKind};
use crate::pattern::Candidate;

impl Policy {
    /// The smallest policy that answers every check and search `subject` can make as
    /// this one does, bound to `subject`: an authorizer over it answers for
    /// `subject` only (`ERR_SNAPSHOT_SUBJECT` for anyone else). It holds no other
    /// user's memberships, grants, group memberships or attributes.
    ///
    /// It keeps this policy's tenant name. A host whose tenant names are
    /// credentials (`tessera serve`'s client keys) renames the tenant before
    /// slicing a policy for a browser.
    pub fn for_subject(&self, subject: &str) -> Result<Policy, PolicyError> {
        ident::validate(IdentifierKind::User, subject)
            .map_err(|error| PolicyError::InvalidIdentifier { field: "subject".into(), error })?;
        let model = &self.model;
        let member = (0..self.members.len()).find(|&i| self.members.name(i) == subject);
        let direct: &[u32] = member.map_or(&[], |i| self.members.roles_of(i));
        let user = model.users.binary_search_by(|u| u.name.as_str().cmp(subject)).ok().map(|u| u as u32);

        // Its groups: those naming it, and every group above them.
        let named = (0u32..)
            .zip(&model.groups)
            .filter(|(_, g)| user.is_some_and(|u| g.members.binary_search(&u).is_ok()))
            .map(|(i, _)| i);
        let in_group = upward(&model.groups, named, |g| &g.parents);
        let acts_as = |principal: Principal| match principal {
            Principal::User(u) => Some(u) == user,
            Principal::Group(g) => in_group.get(g as usize).copied().unwrap_or(false),
        };
        let grants: Vec<_> = model.grants.iter().filter(|g| acts_as(g.principal)).copied().collect();

        // Roles: held tenant-wide (memberships, groups' roles), held on resources,
        // and each one's ancestors.
        let group_roles = (0..).zip(&model.groups).filter(|(g, _)| in_group[*g]).flat_map(|(_, g)| &g.roles);
        let tenant_roles = self.role_closure(direct.iter().chain(group_roles).copied());
        let kept_roles = self.held_roles(&tenant_roles, &grants);
        let rules = rules_for(&model.rules, &kept_roles);

        let role_closures: Vec<Vec<u32>> = (0..self.roles.len())
            .map(|r| if kept_roles[r] { self.role_closure([r as u32]) } else { Vec::new() })
            .collect();
        // reaches[role][type]: what holding the role somewhere does to decisions on a
        // resource of the type there: whether one can be other than
        // `no_matching_grant`, and whether one reads the resource's attributes (only
        // a rule's condition does).
        let rule_covers: Vec<Vec<bool>> = rules
            .iter()
            .map(|rule| (0..model.types.len()).map(|t| covers(model, &rule.actions, t)).collect())
            .collect();
        let applies = |rule: &RuleDef, closure: Option<&[u32]>| match closure {
            None => rule.roles.is_empty(),
            Some(closure) => rule.roles.iter().any(|r| closure.binary_search(r).is_ok()),
        };
        let reach_with = |closure: Option<&[u32]>| -> Vec<Reach> {
            (0..model.types.len())
                .map(|t| {
                    let roles = closure.unwrap_or_default().iter().any(|&r| {
                        let role = &self.roles[r as usize];
                        covers(model, role.grants.iter().chain(&role.denies), t)
                    });
                    let mut reach = Reach { decides: roles, reads: false };
                    for (i, rule) in rules.iter().enumerate() {
                        if rule_covers[i][t] && applies(rule, closure) {
                            reach.decides = true;
                            reach.reads |= rule.when.is_some();
                        }
                    }
                    reach
                })
                .collect()
        };
        let reaches: Vec<Vec<Reach>> = role_closures.iter().map(|c| reach_with(Some(c))).collect();
        // What applies everywhere: roles held tenant-wide, rules for any subject.
        let everywhere: Vec<Reach> = reach_with(Some(&tenant_roles))
            .into_iter()
            .zip(reach_with(None))
            .map(|(tenant, anyone)| tenant.or(anyone))
            .collect();

        // Resources: those a decision of the subject can reach, and their ancestors
        // (where roles are held, and what reasons name); attributes only where a
        // condition can read them.
        let parents: Vec<&[u32]> = model.resources.iter().map(|r| r.parents.as_slice()).collect();
        let ancestors = closures(&parents, MAX_ANCESTORS).map_err(|_| PolicyError::TooManyAncestors {
            field: "resources",
            name: String::new(),
            limit: MAX_ANCESTORS,
        })?;
        let mut held_on: Vec<Vec<u32>> = vec![Vec::new(); model.resources.len()];
        for grant in &grants {
            held_on[grant.on as usize].push(grant.role);
        }
        let mut read = vec![false; model.resources.len()];
        let mut kept = vec![false; model.resources.len()];
        for (r, resource) in model.resources.iter().enumerate() {
            let kind = resource.kind as usize;
            let reach = ancestors[r]
                .iter()
                .flat_map(|&a| &held_on[a as usize])
                .fold(everywhere[kind], |reach, &role| reach.or(reaches[role as usize][kind]));
            if reach.decides {
                read[r] = reach.reads;
                for &a in &ancestors[r] {
                    kept[a as usize] = true;
                }
            }
        }

        // A grant on a resource nothing reached decides nothing, and neither do the
        // roles and rules only it made the subject's.
        let grants: Vec<Grant> = grants.into_iter().filter(|g| kept[g.on as usize]).collect();
        let kept_roles = self.held_roles(&tenant_roles, &grants);
        let rules = rules_for(&rules, &kept_roles);

        let resource_ids = renumber(&kept);
        let role_ids = renumber(&kept_roles);
        let group_ids = renumber(&in_group);
        let map = |ids: &[u32], list: &[u32]| -> Vec<u32> { list.iter().map(|&i| ids[i as usize]).collect() };

        let resources = (0..)
            .zip(&model.resources)
            .filter(|(r, _)| kept[*r])
            .map(|(r, def): (usize, &ResourceDef)| ResourceDef {
                kind: def.kind,
                id: def.id.clone(),
                parents: map(&resource_ids, &def.parents),
                attributes: if read[r] { def.attributes.clone() } else { AttributeMap::new() },
            })
            .collect();
        let users: Vec<UserDef> =
            user.and_then(|u| model.users.get(u as usize)).cloned().into_iter().collect();
        let groups = (0..)
            .zip(&model.groups)
            .filter(|(g, _)| in_group[*g])
            .map(|(_, def): (usize, &GroupDef)| GroupDef {
                name: def.name.clone(),
                members: if user.is_some_and(|u| def.members.binary_search(&u).is_ok()) {
                    vec![0]
                } else {
                    vec![]
                },
                parents: map(&group_ids, &def.parents),
                roles: map(&role_ids, &def.roles),
            })
            .collect();
        let grants = grants
            .iter()
            .map(|g| Grant {
                on: resource_ids[g.on as usize],
                principal: match g.principal {
                    Principal::User(_) => Principal::User(0),
                    Principal::Group(group) => Principal::Group(group_ids[group as usize]),
                },
                role: role_ids[g.role as usize],
            })
            .collect();
        let rules =
            rules.into_iter().map(|rule| RuleDef { roles: map(&role_ids, &rule.roles), ..rule }).collect();
        let sliced = ResourceModel { types: model.types.clone(), resources, users, groups, grants, rules };

        let roles: Vec<Role> = (0..)
            .zip(&self.roles)
            .filter(|(r, _)| kept_roles[*r])
            .map(|(_, role): (usize, &Role)| Role { parents: map(&role_ids, &role.parents), ..role.clone() })
            .collect();
        let mut members = Members::default();
        if let Some(i) = member {
            members.push(subject, &map(&role_ids, self.members.roles_of(i)));
        }
        let key_backed =
            self.key_backed.as_ref().map(|users| users.iter().filter(|u| *u == subject).cloned().collect());
        Policy::new(self.tenant.clone(), roles, members, key_backed, sliced, Some(subject.into()))
    }

    /// Which roles the subject can hold: those held tenant-wide (`tenant`, a closure)
    /// or through `grants`, and their ancestors.
    fn held_roles(&self, tenant: &[u32], grants: &[Grant]) -> Vec<bool> {
        let held = self.role_closure(tenant.iter().copied().chain(grants.iter().map(|g| g.role)));
        (0..self.roles.len() as u32).map(|r| held.binary_search(&r).is_ok()).collect()
    }

    /// `roles` and all their ancestors, ascending.
    fn role_closure(&self, roles: impl IntoIterator<Item = u32>) -> Vec<u32> {
        let seen = upward(&self.roles, roles, |role| &role.parents);
        (0u32..).zip(seen).filter(|(_, seen)| *seen).map(|(r, _)| r).collect()
    }
}

/// Marks `start` and everything above it in `items` (each naming its `parents` by
/// index): the groups a user is in through sub-groups, a role's ancestors.
fn upward<T>(items: &[T], start: impl IntoIterator<Item = u32>, parents: impl Fn(&T) -> &[u32]) -> Vec<bool> {
    let mut seen = vec![false; items.len()];
    let mut stack: Vec<u32> = start.into_iter().collect();
    while let Some(i) = stack.pop() {
        if let Some(slot) = seen.get_mut(i as usize).filter(|seen| !**seen) {
            *slot = true;
            stack.extend(items.get(i as usize).into_iter().flat_map(|item| parents(item).iter()));
        }
    }
    seen
}

/// Whether one of `patterns` covers one of the actions of type `kind`: holding them
/// can decide something on a resource of that type.
fn covers<'p>(model: &ResourceModel, patterns: impl IntoIterator<Item = &'p String>, kind: usize) -> bool {
    let Some(def) = model.types.get(kind) else { return false };
    patterns.into_iter().any(|p| {
        let candidate = Candidate::of_pattern(p);
        def.actions.iter().any(|a| candidate.matches(&alloc::format!("{}:{a}", def.name)))
    })
}

/// The rules that can apply to a subject holding `roles` (a rule without roles
/// applies to anyone), each with its roles cut to those.
fn rules_for(rules: &[RuleDef], roles: &[bool]) -> Vec<RuleDef> {
    rules
        .iter()
        .filter_map(|rule| {
            let held: Vec<u32> = rule.roles.iter().copied().filter(|&r| roles[r as usize]).collect();
            (rule.roles.is_empty() || !held.is_empty()).then(|| RuleDef { roles: held, ..rule.clone() })
        })
        .collect()
}

/// What holding a role (or being anyone) does to decisions on resources of a type.
#[derive(Clone, Copy)]
struct Reach {
    /// A decision can be other than `no_matching_grant`.
    decides: bool,
    /// A decision can read the resource's attributes (a rule's condition).
    reads: bool,
}

impl Reach {
    fn or(self, other: Self) -> Self {
        Self { decides: self.decides || other.decides, reads: self.reads || other.reads }
    }
}

/// New indices for the kept items, in their old order (`u32::MAX` for the rest).
fn renumber(kept: &[bool]) -> Vec<u32> {
    let mut next = 0;
    kept.iter()
        .map(|&keep| {
            if keep {
                next += 1;
                next - 1
            } else {
                u32::MAX
            }
        })
        .collect()
}
