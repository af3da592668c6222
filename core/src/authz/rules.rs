//! Grants and denies indexed by pattern, so a check looks up the few patterns that
//! can match a permission instead of scanning rules.
//!
//! The candidates of `a:b:c` are `*`, `a:*`, `a:b:*` and `a:b:c` itself; they are
//! looked up from least to most specific.

use alloc::boxed::Box;
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
        self.pattern
            .as_bytes()
            .get(..self.key_len)
            .unwrap_or_default()
    }
}

impl RuleIndex {
    /// Builds the index from `(role, grants, denies)`, roles in ascending id order.
    pub(super) fn build<'a>(
        roles: impl Iterator<
            Item = (
                RoleId,
                &'a [alloc::string::String],
                &'a [alloc::string::String],
            ),
        >,
    ) -> Self {
        // Per rule: (pattern, kind, grant holders, deny holders), before flattening.
        let mut staged: Vec<(Box<str>, Option<Kind>, Vec<RoleId>, Vec<RoleId>)> = Vec::new();
        let mut index = Self::default();
        for (role, grants, denies) in roles {
            let tagged = grants
                .iter()
                .map(|p| (p, false))
                .chain(denies.iter().map(|p| (p, true)));
            for (pattern, is_deny) in tagged {
                let (kind, key) = match Candidate::of_pattern(pattern) {
                    Candidate::Exact(key) => (Some(Kind::Exact), key),
                    Candidate::Prefix(key) => (Some(Kind::Prefix), key),
                    Candidate::Any => (None, ""),
                };
                let found = match kind {
                    None => index.any,
                    Some(kind) => {
                        let h = index.hash(kind, key.as_bytes());
                        index
                            .table
                            .find(h, |&id| staged[id as usize].0.as_ref() == pattern.as_str())
                            .copied()
                    }
                };
                let id = found.unwrap_or_else(|| {
                    let id = staged.len() as u32;
                    staged.push((pattern.as_str().into(), kind, Vec::new(), Vec::new()));
                    match kind {
                        None => index.any = Some(id),
                        Some(kind) => {
                            let h = index.hash(kind, key.as_bytes());
                            let hasher = &index.hasher;
                            index.table.insert_unique(h, id, |&other| {
                                let (pattern, kind, ..) = &staged[other as usize];
                                let key = pattern.strip_suffix('*').unwrap_or(pattern);
                                hasher.hash_one((kind.unwrap_or(Kind::Exact) as u8, key.as_bytes()))
                            });
                        }
                    }
                    id
                });
                let entry = &mut staged[id as usize];
                if is_deny {
                    entry.3.push(role)
                } else {
                    entry.2.push(role)
                }
            }
        }
        for (pattern, kind, grants, denies) in staged {
            let start = index.holders.len() as u32;
            index.holders.extend(grants);
            let middle = index.holders.len() as u32;
            index.holders.extend(denies);
            let end = index.holders.len() as u32;
            let key_len = pattern.strip_suffix('*').unwrap_or(&pattern).len();
            index.rules.push(Rule {
                pattern,
                kind: kind.unwrap_or(Kind::Prefix),
                key_len,
                grants: start..middle,
                denies: middle..end,
            });
        }
        index
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
