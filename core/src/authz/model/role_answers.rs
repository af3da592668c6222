//! What each role says about a declared permission, worked out at load: the most
//! specific role pattern matching it that the role (with every role it inherits)
//! denies, and the one it grants, each with the first role holding it. A check then
//! looks up the few roles its subject holds instead of walking the matching patterns
//! and intersecting their holders with each role's closure.
//!
//! Why that is the same decision: a check takes, among the matching patterns some
//! held role's closure denies (or grants), the most specific, and for it the first
//! role by id, then the first place. A role whose own most specific pattern is less
//! specific than another's holds nothing of the latter (else that pattern would be
//! its own most specific), so the best over the held roles' answers is the best over
//! the patterns. The tenant-wide roles are a closed set, so each of them answering
//! for its own closure covers the set.

use alloc::vec::Vec;

use crate::authz::rules::RuleIndex;
use crate::authz::{RoleId, RoleSet};

/// A pattern a role grants or denies, by where it stands among the patterns
/// matching the permission (`rank`, least specific first), its id, and the first
/// role in the role's closure holding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::authz) struct Said {
    pub(in crate::authz) rank: u16,
    pub(in crate::authz) rule: u32,
    pub(in crate::authz) role: RoleId,
}

/// What one role says about one permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::authz) struct RoleAnswer {
    pub(in crate::authz) role: RoleId,
    pub(in crate::authz) deny: Option<Said>,
    pub(in crate::authz) grant: Option<Said>,
}

/// The answers of every role that says something about `permission`, ascending by
/// role; `closures` gives each role's closure, by role id.
pub(in crate::authz) fn role_answers<'a>(
    rules: &RuleIndex,
    closures: impl Iterator<Item = RoleSet<'a>>,
    permission: &str,
) -> Vec<RoleAnswer> {
    let mut matches = Vec::new();
    rules.for_each_match_id(permission, |id| matches.push(id));
    let mut answers = Vec::new();
    if matches.is_empty() {
        return answers;
    }
    for (role, closure) in (0..).zip(closures) {
        let said = |denies: bool| {
            // The most specific first: the first pattern the closure holds decides.
            matches.iter().enumerate().rev().find_map(|(rank, &id)| {
                let rule = rules.rule(id)?;
                let holders = if denies { rules.denies(rule) } else { rules.grants(rule) };
                let rank = u16::try_from(rank).ok()?;
                closure.first_common(holders).map(|role| Said { rank, rule: id, role })
            })
        };
        let (deny, grant) = (said(true), said(false));
        if deny.is_some() || grant.is_some() {
            answers.push(RoleAnswer { role, deny, grant });
        }
    }
    answers
}
