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

use super::RoleId;
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
    denies: Range<u32>,
}

/// The pattern index of one policy.
#[derive(Default)]
pub(super) struct RuleIndex {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    any: Option<u32>,
    rules: Vec<Rule>,
    holders: Vec<RoleId>,
}

impl Rule {
    /// What a permission is compared with: the pattern, or its prefix before `*`.
    fn key(&self) -> &[u8] {
        // `key_len` is the pattern's length less its `*`, so the slice is in bounds.
        self.pattern
            .as_bytes()
            .get(..self.key_len)
            .unwrap_or_default()
    }
}

impl RuleIndex {
    /// Builds the index from `(role, grants, denies)`, roles in ascending id order.
    pub(super) fn build<'a>(
        roles: impl Iterator<Item = (RoleId, &'a [String], &'a [String])>,
    ) -> Self {
        let mut index = Self::default();
        let mut staged: Vec<Staged> = Vec::new();
        for (role, grants, denies) in roles {
            let tagged = grants
                .iter()
                .map(|p| (p, false))
                .chain(denies.iter().map(|p| (p, true)));
            for (pattern, is_deny) in tagged {
                let id = index.find_or_add(&mut staged, pattern);
                if let Some(entry) = staged.get_mut(id as usize) {
                    // Roles come in ascending id order, so each holder list stays sorted.
                    if is_deny {
                        entry.denies.push(role)
                    } else {
                        entry.grants.push(role)
                    }
                }
            }
        }
        for Staged {
            pattern,
            kind,
            grants,
            denies,
        } in staged
        {
            let start = index.holders.len() as u32;
            index.holders.extend(grants);
            let middle = index.holders.len() as u32;
            index.holders.extend(denies);
            let end = index.holders.len() as u32;
            let key_len = pattern.strip_suffix('*').unwrap_or(&pattern).len();
            index.rules.push(Rule {
                pattern,
                kind,
                key_len,
                grants: start..middle,
                denies: middle..end,
            });
        }
        index
    }

    /// The id of `pattern`'s rule, added to the table (or as `any`) when new.
    fn find_or_add(&mut self, staged: &mut Vec<Staged>, pattern: &str) -> u32 {
        let (kind, key) = match Candidate::of_pattern(pattern) {
            Candidate::Exact(key) => (Kind::Exact, key),
            Candidate::Prefix(key) => (Kind::Prefix, key),
            Candidate::Any => (Kind::Any, ""),
        };
        let next = staged.len() as u32;
        let new = || Staged {
            pattern: pattern.into(),
            kind,
            grants: Vec::new(),
            denies: Vec::new(),
        };
        if kind == Kind::Any {
            let id = *self.any.get_or_insert(next);
            if id == next {
                staged.push(new());
            }
            return id;
        }
        let hash = self.hash(kind, key.as_bytes());
        if let Some(&id) = self.table.find(hash, |&id| {
            staged
                .get(id as usize)
                .is_some_and(|s| &*s.pattern == pattern)
        }) {
            return id;
        }
        staged.push(new());
        let hasher = &self.hasher;
        self.table.insert_unique(hash, next, |&other| {
            let rule = staged.get(other as usize);
            let (kind, pattern) = rule.map_or((Kind::Exact, ""), |s| (s.kind, &*s.pattern));
            hasher.hash_one((
                kind as u8,
                pattern.strip_suffix('*').unwrap_or(pattern).as_bytes(),
            ))
        });
        next
    }

    /// Calls `visit` with every rule matching `permission`, least specific first.
    #[inline]
    pub(super) fn for_each_match<'s>(&'s self, permission: &str, mut visit: impl FnMut(&'s Rule)) {
        if let Some(rule) = self.any.and_then(|id| self.rules.get(id as usize)) {
            visit(rule);
        }
        if self.table.is_empty() {
            return;
        }
        let bytes = permission.as_bytes();
        for (i, &byte) in bytes.iter().enumerate() {
            if byte == b':' {
                self.probe(Kind::Prefix, &bytes[..=i], &mut visit);
            }
        }
        self.probe(Kind::Exact, bytes, &mut visit);
    }

    fn hash(&self, kind: Kind, key: &[u8]) -> u64 {
        self.hasher.hash_one((kind as u8, key))
    }

    #[inline]
    fn probe<'s>(&'s self, kind: Kind, key: &[u8], visit: &mut impl FnMut(&'s Rule)) {
        let found = self.table.find(self.hash(kind, key), |&id| {
            self.rules
                .get(id as usize)
                .is_some_and(|r| r.kind == kind && r.key() == key)
        });
        if let Some(rule) = found.and_then(|&id| self.rules.get(id as usize)) {
            visit(rule);
        }
    }

    /// Roles holding the rule as a grant.
    pub(super) fn grants(&self, rule: &Rule) -> &[RoleId] {
        self.holders
            .get(rule.grants.start as usize..rule.grants.end as usize)
            .unwrap_or_default()
    }

    /// Roles holding the rule as a deny.
    pub(super) fn denies(&self, rule: &Rule) -> &[RoleId] {
        self.holders
            .get(rule.denies.start as usize..rule.denies.end as usize)
            .unwrap_or_default()
    }
}
