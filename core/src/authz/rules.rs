//! Grants and denies indexed by pattern, so a check looks up the few patterns that
//! can match a permission instead of scanning rules.
//!
//! The candidates of `a:b:c` are `*`, `a:*`, `a:b:*` and `a:b:c` itself; they are
//! looked up from least to most specific.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::{RoleId, RoleSet};
use crate::pattern::Candidate;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact = 1,
    Prefix = 2,
    /// `*`: kept beside the table, as it matches every permission.
    Any = 3,
}

/// A rule while the index is built: holders still in their own lists.
struct Staged {
    pattern: Box<str>,
    kind: Kind,
    grants: Vec<RoleId>,
    denies: Vec<RoleId>,
}

/// One pattern and the roles that hold it directly (ascending ids).
pub(super) struct Rule {
    pub(super) pattern: Box<str>,
    kind: Kind,
    /// Length of the part compared with permissions (the pattern without its `*`).
    key_len: usize,
    grants: Range<u32>,
    grant_mask: u64,
    denies: Range<u32>,
    deny_mask: u64,
    /// For an exact rule: the prefix rules matching it, shortest first, in `chains`.
    chain: Range<u32>,
}

/// The pattern index of one policy.
#[derive(Default)]
pub(super) struct RuleIndex {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    any: Option<u32>,
    rules: Vec<Rule>,
    holders: Vec<RoleId>,
    chains: Vec<u32>,
}

impl Rule {
    /// What a permission is compared with: the pattern, or its prefix before `*`.
    fn key(&self) -> &[u8] {
        // `key_len` is the pattern's length less its `*`, so the slice is in bounds.
        self.pattern.as_bytes().get(..self.key_len).unwrap_or_default()
    }
}

impl RuleIndex {
    /// Builds the index from `(role, grants, denies)`, roles in ascending id order.
    pub(super) fn build<'a>(roles: impl Iterator<Item = (RoleId, &'a [String], &'a [String])>) -> Self {
        let mut index = Self::default();
        let mut staged: Vec<Staged> = Vec::new();
        for (role, grants, denies) in roles {
            let tagged = grants.iter().map(|p| (p, false)).chain(denies.iter().map(|p| (p, true)));
            for (pattern, is_deny) in tagged {
                let id = index.find_or_add(&mut staged, pattern);
                if let Some(entry) = staged.get_mut(id as usize) {
                    // Roles come in ascending id order, so each holder list stays sorted.
                    if is_deny { entry.denies.push(role) } else { entry.grants.push(role) }
                }
            }
        }
        for Staged { pattern, kind, grants, denies } in staged {
            let start = index.holders.len() as u32;
            index.holders.extend_from_slice(&grants);
            let middle = index.holders.len() as u32;
            index.holders.extend_from_slice(&denies);
            let end = index.holders.len() as u32;
            let key_len = pattern.strip_suffix('*').unwrap_or(&pattern).len();
            let (grant_mask, deny_mask) = (RoleSet::new(&grants).mask, RoleSet::new(&denies).mask);
            index.rules.push(Rule {
                pattern,
                kind,
                key_len,
                grants: start..middle,
                grant_mask,
                denies: middle..end,
                deny_mask,
                chain: 0..0,
            });
        }
        index.link_chains();
        index
    }

    /// Records, for each exact rule, the prefix rules that match its name (shortest
    /// first), so a check finds them all with one lookup.
    fn link_chains(&mut self) {
        let mut chains = Vec::new();
        let mut spans = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            let start = chains.len() as u32;
            if rule.kind == Kind::Exact {
                let key = rule.pattern.as_bytes();
                for (i, &byte) in key.iter().enumerate() {
                    if byte == b':'
                        && let Some(id) = self.find_id(Kind::Prefix, &key[..=i])
                    {
                        chains.push(id);
                    }
                }
            }
            spans.push(start..chains.len() as u32);
        }
        for (rule, span) in self.rules.iter_mut().zip(spans) {
            rule.chain = span;
        }
        self.chains = chains;
    }

    /// The id of `pattern`'s rule, added to the table (or as `any`) when new.
    fn find_or_add(&mut self, staged: &mut Vec<Staged>, pattern: &str) -> u32 {
        let (kind, key) = match Candidate::of_pattern(pattern) {
            Candidate::Exact(key) => (Kind::Exact, key),
            Candidate::Prefix(key) => (Kind::Prefix, key),
            Candidate::Any => (Kind::Any, ""),
        };
        let next = staged.len() as u32;
        let new = || Staged { pattern: pattern.into(), kind, grants: Vec::new(), denies: Vec::new() };
        if kind == Kind::Any {
            let id = *self.any.get_or_insert(next);
            if id == next {
                staged.push(new());
            }
            return id;
        }
        let hash = self.hash(kind, key.as_bytes());
        if let Some(&id) =
            self.table.find(hash, |&id| staged.get(id as usize).is_some_and(|s| &*s.pattern == pattern))
        {
            return id;
        }
        staged.push(new());
        let hasher = &self.hasher;
        self.table.insert_unique(hash, next, |&other| {
            let rule = staged.get(other as usize);
            let (kind, pattern) = rule.map_or((Kind::Exact, ""), |s| (s.kind, &*s.pattern));
            hasher.hash_one((kind as u8, pattern.strip_suffix('*').unwrap_or(pattern).as_bytes()))
        });
        next
    }

    /// Calls `visit` with every rule matching `permission`, least specific first.
    /// Returns whether `permission` is itself granted or denied by name (and so known
    /// to be a valid permission: exact rules passed validation at load).
    #[inline]
    pub(super) fn for_each_match<'s>(&'s self, permission: &str, mut visit: impl FnMut(&'s Rule)) -> bool {
        self.for_each_match_id(permission, |id| {
            if let Some(rule) = self.rules.get(id as usize) {
                visit(rule);
            }
        })
    }

    /// [`for_each_match`](Self::for_each_match) with the rules' ids.
    #[inline]
    pub(super) fn for_each_match_id(&self, permission: &str, mut visit: impl FnMut(u32)) -> bool {
        if let Some(id) = self.any {
            visit(id);
        }
        if self.table.is_empty() {
            return false;
        }
        let bytes = permission.as_bytes();
        // A permission granted or denied by name carries its matching wildcards with
        // it: one lookup instead of one per segment.
        if let Some(exact) = self.find_id(Kind::Exact, bytes) {
            let chain = self.rules.get(exact as usize).map_or(0..0, |rule| rule.chain.clone());
            for &id in self.chains.get(chain.start as usize..chain.end as usize).unwrap_or_default() {
                visit(id);
            }
            visit(exact);
            return true;
        }
        for (i, &byte) in bytes.iter().enumerate() {
            if byte == b':'
                && let Some(id) = self.find_id(Kind::Prefix, &bytes[..=i])
            {
                visit(id);
            }
        }
        false
    }

    /// The rule with this id.
    pub(super) fn rule(&self, id: u32) -> Option<&Rule> {
        self.rules.get(id as usize)
    }

    fn hash(&self, kind: Kind, key: &[u8]) -> u64 {
        self.hasher.hash_one((kind as u8, key))
    }

    #[inline]
    fn find_id(&self, kind: Kind, key: &[u8]) -> Option<u32> {
        let found = self.table.find(self.hash(kind, key), |&id| {
            self.rules.get(id as usize).is_some_and(|r| r.kind == kind && r.key() == key)
        });
        found.copied()
    }

    /// Roles holding the rule as a grant.
    pub(super) fn grants(&self, rule: &Rule) -> RoleSet<'_> {
        RoleSet {
            roles: self.holders.get(rule.grants.start as usize..rule.grants.end as usize).unwrap_or_default(),
            mask: rule.grant_mask,
        }
    }

    /// Roles holding the rule as a deny.
    pub(super) fn denies(&self, rule: &Rule) -> RoleSet<'_> {
        RoleSet {
            roles: self.holders.get(rule.denies.start as usize..rule.denies.end as usize).unwrap_or_default(),
            mask: rule.deny_mask,
        }
    }
}
