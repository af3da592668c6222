//! The resource model, compiled: resources with their ancestors precomputed, the
//! roles held on each resource by principal, and rules by the permission they
//! cover, so a resource check walks no graph and runs only the rules that can match.

mod attribute_table;
mod evaluate;
mod facts;
mod role_answers;
mod search;

use alloc::boxed::Box;
use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::hash::BuildHasher;
use core::ops::Range;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use super::RoleId;
use crate::condition::Condition;
use crate::pattern::Candidate;
use crate::policy::AttributeValue;
use crate::policy::resources::validate::{MAX_ANCESTORS, closures};
use crate::policy::resources::{Effect, Principal, ResourceModel};
use attribute_table::AttributeTable;
use role_answers::RoleAnswer;
pub(super) use role_answers::role_answers;

pub(super) use facts::Facts;

/// A principal: a model user (below the user count) or a group (after them).
pub(super) type PrincipalId = u32;

pub(super) struct ModelIndex {
    pub(super) types: Vec<CompiledType>,
    type_ids: HashMap<Box<str>, u32>,
    pub(super) resources: Vec<CompiledResource>,
    /// Resources by (type, id). A slot holds where the key lies in `keys` beside the
    /// resource's index, so a lookup compares the key without first reading the
    /// resource's record, and reads both at once.
    resource_table: HashTable<KeySlot>,
    /// Every resource's key, `type:id`, one after another.
    keys: String,
    hasher: DefaultHashBuilder,
    /// Ancestor lists (each resource and everything above it, ascending), by range.
    ancestors: Vec<u32>,
    /// Roles held on resources: per resource a range, sorted by principal then role.
    held: Vec<(PrincipalId, RoleId)>,
    /// Per model user: the principals it acts as (itself, its groups and theirs), ascending.
    principals: Vec<Range<u32>>,
    principal_lists: Vec<PrincipalId>,
    /// Per model user: those of its principals that hold a role on some resource,
    /// ascending: the only ones a check searches grant lists for (a group that only
    /// holds tenant-wide roles, or only passes membership on, costs nothing there).
    holders: Vec<Range<u32>>,
    holder_lists: Vec<PrincipalId>,
    /// Per principal: the resources it holds a role on, ascending, as a range of
    /// `granted_lists` (users first, then groups, as principal ids run).
    granted: Vec<Range<u32>>,
    granted_lists: Vec<u32>,
    /// Per resource: the resources directly under it, as a range of `child_lists`.
    children: Vec<Range<u32>>,
    child_lists: Vec<u32>,
    /// Resources' stored attributes, by resource index.
    resource_attributes: AttributeTable,
    /// The model's users, sorted, and their stored attributes (by user index).
    user_names: Vec<Box<str>>,
    user_attributes: AttributeTable,
    rules: Vec<CompiledRule>,
    /// For each declared permission `type:action`: the rules covering it.
    by_permission: HashMap<Box<str>, RuleLists>,
    /// What the roles say about each declared permission, by `RuleLists::answers`.
    role_answers: Vec<RoleAnswer>,
    rule_lists: Vec<u32>,
}

pub(super) struct CompiledType {
    pub(super) name: Box<str>,
    /// Sorted.
    pub(super) actions: Vec<Box<str>>,
    /// Its resources: a contiguous run, as resources are sorted by (type, id).
    pub(super) resources: Range<u32>,
}

pub(super) struct CompiledResource {
    /// `type:id`, in `keys`.
    key: Range<u32>,
    /// Where the id starts in `keys`.
    id_at: u32,
    ancestors: Range<u32>,
    held: Range<u32>,
}

struct CompiledRule {
    id: Box<str>,
    forbid: bool,
    /// The permission patterns it covers.
    patterns: Vec<Box<str>>,
    /// Roles, ascending; empty means any subject.
    roles: Vec<RoleId>,
    condition: Option<Condition>,
}

/// Forbid rules, then permit rules, each in id order, as ranges of `rule_lists`.
#[derive(Clone, Default)]
struct RuleLists {
    forbids: Range<u32>,
    permits: Range<u32>,
    /// What each role that says something about the permission says, ascending by role.
    answers: Range<u32>,
}

/// What a check on a declared permission needs at hand: its forbid and permit
/// rules, and what the roles say about it.
pub(super) struct Declared<'m> {
    pub(super) forbids: &'m [u32],
    pub(super) permits: &'m [u32],
    pub(super) answers: &'m [RoleAnswer],
}

/// A resource in the lookup table: its key's place in `keys`, and its index.
#[derive(Clone, Copy)]
struct KeySlot {
    key: (u32, u32),
    resource: u32,
}

impl ModelIndex {
    /// Compiles `model`. Every index in it was validated, and the parents are acyclic.
    pub(super) fn build(model: &ResourceModel) -> Self {
        let hasher = DefaultHashBuilder::default();
        let types: Vec<CompiledType> = model
            .types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let start = model.resources.partition_point(|r| (r.kind as usize) < i) as u32;
                let end = model.resources.partition_point(|r| (r.kind as usize) <= i) as u32;
                CompiledType {
                    name: t.name.as_str().into(),
                    actions: t.actions.iter().map(|a| a.as_str().into()).collect(),
                    resources: start..end,
                }
            })
            .collect();
        let type_ids = (0..).zip(&types).map(|(i, t)| (t.name.clone(), i)).collect();

        // Ancestors, each list bounded and acyclic by validation.
        let count = model.resources.len();
        let parents: Vec<&[u32]> = model.resources.iter().map(|r| r.parents.as_slice()).collect();
        // Unreachable fallback, failing closed: no resource under anything.
        let lists = closures(&parents, MAX_ANCESTORS).unwrap_or_else(|_| alloc::vec![Vec::new(); count]);

        let users = model.users.len() as u32;
        let principal_of = |p: Principal| match p {
            Principal::User(u) => u,
            Principal::Group(g) => users + g,
        };
        // Grants are sorted by (resource, principal, role): each resource's run is
        // already in the order a check searches it.
        let held: Vec<(PrincipalId, RoleId)> =
            model.grants.iter().map(|g| (principal_of(g.principal), g.role)).collect();

        let mut ancestors = Vec::new();
        let mut resource_table = HashTable::with_capacity(count);
        let mut resources = Vec::with_capacity(count);
        let mut keys = String::new();
        for (i, (def, list)) in model.resources.iter().zip(lists).enumerate() {
            let start = ancestors.len() as u32;
            ancestors.extend(list);
            let held_start = model.grants.partition_point(|g| (g.on as usize) < i) as u32;
            let held_end = model.grants.partition_point(|g| (g.on as usize) <= i) as u32;
            let kind = types.get(def.kind as usize).map_or("", |t| &*t.name);
            let key_start = keys.len() as u32;
            keys.push_str(kind);
            keys.push(':');
            let id_at = keys.len() as u32;
            keys.push_str(&def.id);
            let key = (key_start, keys.len() as u32);
            let slot = KeySlot { key, resource: i as u32 };
            let kind_and_id = |slot: &KeySlot| {
                let (start, end) = slot.key;
                let at = |r: Range<u32>| keys.get(r.start as usize..r.end as usize).unwrap_or_default();
                let id_at =
                    resources.get(slot.resource as usize).map_or(id_at, |r: &CompiledResource| r.id_at);
                (at(start..id_at - 1), at(id_at..end))
            };
            let hash = hasher.hash_one((kind, def.id.as_str()));
            resource_table.insert_unique(hash, slot, |s| hasher.hash_one(kind_and_id(s)));
            resources.push(CompiledResource {
                key: key.0..key.1,
                id_at,
                ancestors: start..ancestors.len() as u32,
                held: held_start..held_end,
            });
        }

        // Each user acts as itself and as every group it is in, directly or through
        // sub-groups (a group's members hold what its parent groups hold).
        let group_closures = group_closures(model);
        let mut member_of: Vec<BTreeSet<u32>> = alloc::vec![BTreeSet::new(); model.users.len()];
        for (g, group) in model.groups.iter().enumerate() {
            for &member in &group.members {
                if let Some(set) = member_of.get_mut(member as usize) {
                    set.extend(group_closures[g].iter().map(|&h| users + h));
                }
            }
        }
        let mut principal_lists = Vec::new();
        let principals: Vec<Range<u32>> = (0..users)
            .zip(member_of)
            .map(|(u, groups)| {
                let start = principal_lists.len() as u32;
                principal_lists.push(u);
                principal_lists.extend(groups);
                start..principal_lists.len() as u32
            })
            .collect();

        // The inverse views a search walks: what each principal holds a role on, and
        // what sits under each resource.
        let principal_count = (users as usize).saturating_add(model.groups.len());
        let mut pairs: Vec<(u32, u32)> =
            model.grants.iter().map(|g| (principal_of(g.principal), g.on)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let (granted, granted_lists) = ranges(principal_count, &pairs);
        let holds_grants =
            |p: &&PrincipalId| granted.get(**p as usize).is_some_and(|r: &Range<u32>| !r.is_empty());
        let mut holder_lists = Vec::new();
        let holders = principals
            .iter()
            .map(|range| {
                let start = holder_lists.len() as u32;
                holder_lists.extend(run(&principal_lists, range.clone()).iter().filter(|p| holds_grants(p)));
                start..holder_lists.len() as u32
            })
            .collect();
        let mut edges: Vec<(u32, u32)> = (0u32..)
            .zip(&model.resources)
            .flat_map(|(child, r)| r.parents.iter().map(move |&parent| (parent, child)))
            .collect();
        edges.sort_unstable();
        let (children, child_lists) = ranges(count, &edges);

        let rules: Vec<CompiledRule> = model
            .rules
            .iter()
            .map(|r| CompiledRule {
                id: r.id.as_str().into(),
                forbid: r.effect == Effect::Forbid,
                patterns: r.actions.iter().map(|a| a.as_str().into()).collect(),
                roles: r.roles.clone(),
                condition: r.when.as_ref().map(|(_, c)| c.clone()),
            })
            .collect();
        let mut rule_lists = Vec::new();
        let mut by_permission = HashMap::new();
        for t in &model.types {
            for action in &t.actions {
                let permission = alloc::format!("{}:{action}", t.name);
                let lists = push_rule_lists(model, &permission, &mut rule_lists);
                by_permission.insert(permission.into_boxed_str(), lists);
            }
        }

        Self {
            types,
            type_ids,
            resources,
            resource_table,
            keys,
            hasher,
            ancestors,
            held,
            principals,
            principal_lists,
            holders,
            holder_lists,
            granted,
            granted_lists,
            children,
            child_lists,
            resource_attributes: AttributeTable::build(
                &model.resources.iter().map(|r| &r.attributes).collect::<Vec<_>>(),
            ),
            user_names: model.users.iter().map(|u| u.name.as_str().into()).collect(),
            user_attributes: AttributeTable::build(
                &model.users.iter().map(|u| &u.attributes).collect::<Vec<_>>(),
            ),
            rules,
            by_permission,
            role_answers: Vec::new(),
            rule_lists,
        }
    }

    /// The index of the resource `kind:id`, if stored.
    #[inline]
    pub(super) fn resource(&self, kind: &str, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one((kind, id));
        let is_key = |&KeySlot { key: (start, end), .. }: &KeySlot| {
            // `type:id`: the length first, then the bytes either side of the colon
            // (ids may hold colons; type names may not).
            let key = self.keys.as_bytes().get(start as usize..end as usize).unwrap_or_default();
            key.len() == kind.len() + 1 + id.len()
                && key.get(kind.len()) == Some(&b':')
                && key.starts_with(kind.as_bytes())
                && key.ends_with(id.as_bytes())
        };
        self.resource_table.find(hash, is_key).map(|slot| slot.resource)
    }

    /// A resource's key, `type:id`.
    pub(super) fn key(&self, resource: u32) -> &str {
        let span = self.resources.get(resource as usize).map_or(0..0, |r| r.key.clone());
        self.keys.get(span.start as usize..span.end as usize).unwrap_or_default()
    }

    /// A resource's id.
    pub(super) fn id(&self, resource: u32) -> &str {
        let span = self.resources.get(resource as usize).map_or(0..0, |r| r.id_at..r.key.end);
        self.keys.get(span.start as usize..span.end as usize).unwrap_or_default()
    }

    /// A model user's name.
    pub(super) fn user_name(&self, user: u32) -> &str {
        self.user_names.get(user as usize).map_or("", |n| n)
    }

    /// The type's index, if declared.
    pub(super) fn kind(&self, name: &str) -> Option<u32> {
        self.type_ids.get(name).copied()
    }

    /// A stored attribute of a resource.
    pub(super) fn resource_attribute(&self, resource: u32, name: &str) -> Option<&AttributeValue> {
        self.resource_attributes.get(resource, name)
    }

    /// A stored attribute of a model user.
    pub(super) fn user_attribute(&self, user: u32, name: &str) -> Option<&AttributeValue> {
        self.user_attributes.get(user, name)
    }

    /// The resource's ancestors, itself included, ascending.
    pub(super) fn ancestors_of(&self, resource: u32) -> &[u32] {
        run(&self.ancestors, self.resources.get(resource as usize).map_or(0..0, |r| r.ancestors.clone()))
    }

    /// Roles held directly on the resource, by principal.
    pub(super) fn held_on(&self, resource: u32) -> &[(PrincipalId, RoleId)] {
        run(&self.held, self.resources.get(resource as usize).map_or(0..0, |r| r.held.clone()))
    }

    /// The resources `principal` holds a role on, ascending.
    fn granted_to(&self, principal: PrincipalId) -> &[u32] {
        run(&self.granted_lists, self.granted.get(principal as usize).cloned().unwrap_or(0..0))
    }

    /// Every resource a role held by one of `principals` applies to: those it is held
    /// on and everything under them, as a bit per resource.
    pub(super) fn reach(&self, principals: &[PrincipalId]) -> Vec<u64> {
        let mut seen = alloc::vec![0u64; self.resources.len().div_ceil(64)];
        let at = |ranges: &[Range<u32>], i: u32| ranges.get(i as usize).cloned().unwrap_or(0..0);
        let mut stack: Vec<u32> =
            principals.iter().flat_map(|&p| self.granted_to(p).iter().copied()).collect();
        while let Some(r) = stack.pop() {
            let Some(word) = seen.get_mut(r as usize / 64) else { continue };
            let bit = 1u64 << (r % 64);
            if *word & bit != 0 {
                continue;
            }
            *word |= bit;
            stack.extend_from_slice(run(&self.child_lists, at(&self.children, r)));
        }
        seen
    }

    /// The principals a model user acts as, ascending.
    pub(super) fn principals_of(&self, user: u32) -> &[PrincipalId] {
        run(&self.principal_lists, self.principals.get(user as usize).cloned().unwrap_or(0..0))
    }

    /// The principals of a model user that hold a role on some resource, ascending.
    pub(super) fn holders_of(&self, user: u32) -> &[PrincipalId] {
        run(&self.holder_lists, self.holders.get(user as usize).cloned().unwrap_or(0..0))
    }

    /// The rules covering a permission that is not declared (only `*` and `type:*`
    /// can): forbids, then permits, each in id order, matched against every rule into
    /// `scratch`. A declared permission has its lists ready in [`Declared`].
    pub(super) fn undeclared_rules<'s>(
        &'s self,
        permission: &str,
        scratch: &'s mut Vec<u32>,
    ) -> (&'s [u32], &'s [u32]) {
        let covers =
            |rule: &CompiledRule| rule.patterns.iter().any(|p| Candidate::of_pattern(p).matches(permission));
        let of = |forbid: bool| {
            (0u32..).zip(&self.rules).filter(move |(_, r)| r.forbid == forbid && covers(r)).map(|(i, _)| i)
        };
        scratch.clear();
        scratch.extend(of(true));
        let forbids = scratch.len();
        scratch.extend(of(false));
        scratch.split_at(forbids)
    }

    /// What a check on a declared permission (`type:action` of a declared type)
    /// needs; `None` for any other permission.
    fn declared(&self, permission: &str) -> Option<Declared<'_>> {
        let lists = self.by_permission.get(permission)?;
        Some(Declared {
            forbids: run(&self.rule_lists, lists.forbids.clone()),
            permits: run(&self.rule_lists, lists.permits.clone()),
            answers: run(&self.role_answers, lists.answers.clone()),
        })
    }

    /// Records what the roles say about each declared permission (`answer` gives it
    /// for one, ascending by role).
    pub(super) fn answer_roles(&mut self, answer: impl Fn(&str) -> Vec<RoleAnswer>) {
        for (permission, lists) in &mut self.by_permission {
            let start = self.role_answers.len() as u32;
            self.role_answers.extend(answer(permission));
            lists.answers = start..self.role_answers.len() as u32;
        }
    }
}

/// The items of `list` in `range` (empty when it lies outside: ranges are built
/// from the list they index).
fn run<T>(list: &[T], range: Range<u32>) -> &[T] {
    list.get(range.start as usize..range.end as usize).unwrap_or_default()
}

/// `pairs` sorted by key, as one range of the values per key below `keys`.
fn ranges(keys: usize, pairs: &[(u32, u32)]) -> (Vec<Range<u32>>, Vec<u32>) {
    let values = pairs.iter().map(|&(_, v)| v).collect();
    let spans = (0..keys as u32)
        .map(|key| {
            let start = pairs.partition_point(|&(k, _)| k < key) as u32;
            let end = pairs.partition_point(|&(k, _)| k <= key) as u32;
            start..end
        })
        .collect();
    (spans, values)
}

/// Each group and every group above it (its parents, theirs, ...), ascending.
fn group_closures(model: &ResourceModel) -> Vec<Vec<u32>> {
    let parents: Vec<&[u32]> = model.groups.iter().map(|g| g.parents.as_slice()).collect();
    closures(&parents, MAX_ANCESTORS).unwrap_or_else(|_| alloc::vec![Vec::new(); parents.len()])
}

/// Appends the forbid and permit rules covering `permission` to `lists`.
fn push_rule_lists(model: &ResourceModel, permission: &str, lists: &mut Vec<u32>) -> RuleLists {
    let mut run = |effect: Effect| {
        let start = lists.len() as u32;
        for (i, rule) in model.rules.iter().enumerate() {
            let covers = rule.actions.iter().any(|p| Candidate::of_pattern(p).matches(permission));
            if rule.effect == effect && covers {
                lists.push(i as u32);
            }
        }
        start..lists.len() as u32
    };
    let forbids = run(Effect::Forbid);
    let permits = run(Effect::Permit);
    RuleLists { forbids, permits, answers: 0..0 }
}
