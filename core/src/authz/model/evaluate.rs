//! A check on a resource: the roles the subject holds where they apply to it, the
//! grants and denies of those roles, then the rules.
//!
//! allowed iff (a role held tenant-wide or on the resource or an ancestor grants
//! `type:action`, or a permit rule holds) and no such role denies it and no forbid
//! rule holds. The reason names, in this order of precedence: a deny, a forbid
//! rule, a grant, a permit rule; otherwise `no_matching_grant`. Among roles the
//! most specific pattern decides, then the first role by name, then where it is
//! held: tenant-wide first, then the first resource by type name, then id.

use super::role_answers::{RoleAnswer, Said};
use super::{Declared, Facts, ModelIndex, PrincipalId};
use crate::authz::rules::Rule;
use crate::authz::small_list::SmallList;
use crate::authz::{Authorizer, Decision, RoleId, RoleSet};

/// Where a role is held: tenant-wide, or on a resource (its index + 1). The order
/// is the order of preference in a reason.
type Place = u32;
const TENANT: Place = 0;

/// Roles a subject holds on a resource's ancestors, with where each is held.
pub(in crate::authz) type Held = SmallList<(RoleId, Place), 8>;

/// The role patterns (grants and denies) matching one permission, least specific
/// first: looked up once per permission, however many resources a search decides.
pub(in crate::authz) type Matches<'r> = SmallList<&'r Rule, 4>;

/// What the role patterns say about a permission: for a declared one, each role's
/// answer, worked out at load; for any other, the patterns matching it.
pub(in crate::authz) enum Patterns<'r> {
    Answered(&'r [RoleAnswer]),
    Matched(Matches<'r>),
}

/// The deny or grant a check settles on so far: the rank of its pattern (the most
/// specific wins), the role and place a reason names (the lowest first), the pattern.
type Best<'r> = Option<(u16, RoleId, Place, &'r str)>;

fn consider<'r>(best: &mut Best<'r>, said: Option<(Said, &'r str)>, place: Place) {
    let Some((said, pattern)) = said else { return };
    let better = best.is_none_or(|(rank, role, at, _)| {
        said.rank > rank || (said.rank == rank && (said.role, place) < (role, at))
    });
    if better {
        *best = Some((said.rank, said.role, place, pattern));
    }
}

/// What a check needs about its subject, looked up once (a search reuses it).
pub(in crate::authz) struct SubjectView<'a> {
    pub(in crate::authz) name: &'a str,
    /// The closure of the roles held tenant-wide (memberships and groups' roles).
    pub(in crate::authz) tenant: RoleSet<'a>,
    /// The principals it acts as in grants (itself and its groups) that hold a role
    /// on some resource.
    pub(in crate::authz) principals: &'a [PrincipalId],
    /// Its model user, whose stored attributes rules read.
    pub(in crate::authz) user: Option<u32>,
}

impl ModelIndex {
    /// Fills `held` with the roles `principals` hold on `resource` and its ancestors.
    pub(in crate::authz) fn collect_held(&self, resource: u32, principals: &[PrincipalId], held: &mut Held) {
        held.clear();
        if principals.is_empty() {
            return;
        }
        for &at in self.ancestors_of(resource) {
            // Both lists ascend by principal. A resource holds a few grants or
            // hundreds (a shared folder): a few are merged with the principals in one
            // pass; among many, each principal's run is searched from where the
            // previous one's ended.
            let mut grants = self.held_on(at);
            if grants.len() <= MERGED {
                merge_held(grants, principals, at + 1, held);
                continue;
            }
            for &principal in principals {
                if grants.is_empty() {
                    break;
                }
                grants = grants.get(run_start(grants, principal)..).unwrap_or_default();
                let run = grants.iter().take_while(|&&(p, _)| p == principal).count();
                for &(_, role) in grants.get(..run).unwrap_or_default() {
                    held.push((role, at + 1));
                }
                grants = grants.get(run..).unwrap_or_default();
            }
        }
    }
}

/// Up to this many grants on a resource are merged with the principals rather than
/// searched per principal.
const MERGED: usize = 32;

/// Pushes the roles `principals` hold in `grants` (both ascending by principal).
#[inline]
fn merge_held(grants: &[(PrincipalId, RoleId)], principals: &[PrincipalId], place: Place, held: &mut Held) {
    let mut principals = principals.iter().copied().peekable();
    for &(holder, role) in grants {
        while principals.next_if(|&p| p < holder).is_some() {}
        match principals.peek() {
            None => return,
            Some(&p) if p == holder => held.push((role, place)),
            Some(_) => {}
        }
    }
}

/// Where `principal`'s run starts in `grants` (ascending by principal): the first
/// entry not below it. The principals holding roles on a resource are spread over
/// the id range, so a guess by interpolation lands near the run and a gallop from
/// there finds it in a few steps, where a binary search over a shared folder's
/// hundreds of grants takes eight or nine dependent ones. Any order of ids is
/// still found exactly: the gallop only narrows what a binary search then finishes.
fn run_start(grants: &[(PrincipalId, RoleId)], principal: PrincipalId) -> usize {
    const SHORT: usize = 16;
    let below = |i: usize| grants.get(i).is_some_and(|&(p, _)| p < principal);
    let search = |range: core::ops::Range<usize>| {
        let part = grants.get(range.clone()).unwrap_or_default();
        range.start + part.partition_point(|&(p, _)| p < principal)
    };
    let len = grants.len();
    let (Some(&(first, _)), Some(&(last, _))) = (grants.first(), grants.last()) else { return 0 };
    if len <= SHORT || principal <= first || principal > last {
        return search(0..len);
    }
    // first < principal <= last, so the guess lies in 0..len.
    let guess = (u64::from(principal - first) * (len as u64 - 1) / u64::from(last - first)) as usize;
    let mut step = 1;
    if below(guess) {
        // The run starts after `guess`: gallop right until an entry is not below.
        let mut lo = guess + 1;
        loop {
            let hi = lo.saturating_add(step).min(len);
            if hi == len || !below(hi) {
                return search(lo..hi);
            }
            lo = hi + 1;
            step *= 2;
        }
    }
    // The run starts at or before `guess`: gallop left until an entry is below.
    let mut hi = guess;
    loop {
        let lo = hi.saturating_sub(step);
        if lo == 0 || below(lo) {
            return search(lo..hi);
        }
        hi = lo;
        step *= 2;
    }
}

/// The roles a subject's principals hold directly, by resource: gathered once from
/// the principals' own grant lists when one subject is decided on many resources (a
/// search), so each resource costs a bit test per ancestor instead of a search of
/// every ancestor's grants.
pub(in crate::authz) struct DirectlyHeld {
    /// A bit per resource the principals hold a role on.
    on: alloc::vec::Vec<u64>,
    /// `(resource, role)`, ascending.
    roles: alloc::vec::Vec<(u32, RoleId)>,
}

impl ModelIndex {
    /// What `principals` hold directly, resource by resource.
    pub(in crate::authz) fn directly_held(&self, principals: &[PrincipalId]) -> DirectlyHeld {
        let mut on = alloc::vec![0u64; self.resources.len().div_ceil(64)];
        let mut roles = alloc::vec::Vec::new();
        for &principal in principals {
            for &resource in self.granted_to(principal) {
                if let Some(word) = on.get_mut(resource as usize / 64) {
                    *word |= 1 << (resource % 64);
                }
                let grants = self.held_on(resource);
                let start = grants.partition_point(|&(p, _)| p < principal);
                let run =
                    grants.get(start..).unwrap_or_default().iter().take_while(|&&(p, _)| p == principal);
                roles.extend(run.map(|&(_, role)| (resource, role)));
            }
        }
        roles.sort_unstable();
        roles.dedup();
        DirectlyHeld { on, roles }
    }

    /// Fills `held` as [`collect_held`](Self::collect_held) does, from `direct`.
    pub(in crate::authz) fn collect_held_from(&self, resource: u32, direct: &DirectlyHeld, held: &mut Held) {
        held.clear();
        for &at in self.ancestors_of(resource) {
            if direct.on.get(at as usize / 64).is_none_or(|word| word & (1 << (at % 64)) == 0) {
                continue;
            }
            let start = direct.roles.partition_point(|&(r, _)| r < at);
            let here = direct.roles.get(start..).unwrap_or_default().iter().take_while(|&&(r, _)| r == at);
            for &(_, role) in here {
                held.push((role, at + 1));
            }
        }
    }
}

impl Authorizer {
    /// The role patterns matching `permission`, least specific first.
    pub(in crate::authz) fn matches(&self, permission: &str) -> Matches<'_> {
        let mut matches = Matches::new();
        self.rules.for_each_match(permission, |rule| matches.push(rule));
        matches
    }

    /// The rules covering `permission` and what the role patterns say about it:
    /// from its declaration (`declared`, looked up by the caller) when it has one,
    /// else matched now (the rules into `scratch`).
    pub(in crate::authz) fn governing<'s: 'b, 'b>(
        &'s self,
        declared: Option<Declared<'s>>,
        permission: &str,
        scratch: &'b mut alloc::vec::Vec<u32>,
    ) -> ((&'b [u32], &'b [u32]), Patterns<'s>) {
        match declared {
            Some(declared) => ((declared.forbids, declared.permits), Patterns::Answered(declared.answers)),
            None => (
                self.model.undeclared_rules(permission, scratch),
                Patterns::Matched(self.matches(permission)),
            ),
        }
    }

    /// Decides a permission (`type:action`) for a subject holding `held` on the
    /// resource, given what the role patterns say about it and the rules covering it.
    pub(in crate::authz) fn decide_on<'a>(
        &'a self,
        subject: &SubjectView<'_>,
        held: &Held,
        patterns: &Patterns<'a>,
        (forbids, permits): (&[u32], &[u32]),
        facts: &Facts<'_>,
    ) -> Decision<'a> {
        let (denied, granted) = match patterns {
            Patterns::Answered(answers) => self.answered(subject, held, answers),
            Patterns::Matched(matches) => self.matched(subject, held, matches),
        };
        if let Some((_, role, place, pattern)) = denied {
            return Decision::Denied { role: self.role_name(role), pattern, on: self.place(place) };
        }
        if let Some(rule) = forbids.iter().find(|&&i| self.rule_holds(i, subject, held, facts)) {
            return Decision::Forbidden { rule: self.model.rule_id(*rule) };
        }
        if let Some((_, role, place, pattern)) = granted {
            return Decision::Granted { role: self.role_name(role), pattern, on: self.place(place) };
        }
        if let Some(rule) = permits.iter().find(|&&i| self.rule_holds(i, subject, held, facts)) {
            return Decision::Permitted { rule: self.model.rule_id(*rule) };
        }
        Decision::NoMatchingGrant
    }

    /// The deny and the grant, from what each role the subject holds answers.
    fn answered(
        &self,
        subject: &SubjectView<'_>,
        held: &Held,
        answers: &[RoleAnswer],
    ) -> (Best<'_>, Best<'_>) {
        let (mut denied, mut granted) = (None, None);
        let with_pattern = |said: Option<Said>| {
            let said = said?;
            Some((said, self.rules.rule(said.rule).map_or("", |r| &*r.pattern)))
        };
        let mut ask = |role: RoleId, place: Place| {
            if let Ok(i) = answers.binary_search_by_key(&role, |a| a.role)
                && let Some(answer) = answers.get(i)
            {
                consider(&mut denied, with_pattern(answer.deny), place);
                consider(&mut granted, with_pattern(answer.grant), place);
            }
        };
        if !answers.is_empty() {
            for &role in subject.tenant.roles {
                ask(role, TENANT);
            }
            for (role, place) in held.iter() {
                ask(role, place);
            }
        }
        (denied, granted)
    }

    /// The deny and the grant, walking the patterns matching the permission.
    fn matched<'r>(
        &self,
        subject: &SubjectView<'_>,
        held: &Held,
        matches: &Matches<'r>,
    ) -> (Best<'r>, Best<'r>) {
        let (mut denied, mut granted): (Best<'r>, Best<'r>) = (None, None);
        // Matches come least specific first, so a later hit replaces an earlier one.
        for (rank, rule) in (0u16..).zip(matches.iter()) {
            if let Some((role, place)) = self.holder(self.rules.denies(rule), subject.tenant, held) {
                denied = Some((rank, role, place, &rule.pattern));
            }
            if let Some((role, place)) = self.holder(self.rules.grants(rule), subject.tenant, held) {
                granted = Some((rank, role, place, &rule.pattern));
            }
        }
        (denied, granted)
    }

    /// The role and place a reason names among `holders` (roles holding one pattern):
    /// the first role by id, held tenant-wide before on a resource.
    #[inline]
    fn holder(&self, holders: RoleSet<'_>, tenant: RoleSet<'_>, held: &Held) -> Option<(RoleId, Place)> {
        let mut best = tenant.first_common(holders).map(|role| (role, TENANT));
        for (role, place) in held.iter() {
            let Some(closure) = self.roles.get(role as usize).map(|r| self.set(r.closure)) else { continue };
            if let Some(found) = closure.first_common(holders).map(|r| (r, place))
                && best.is_none_or(|b| found < b)
            {
                best = Some(found);
            }
        }
        best
    }

    fn place(&self, place: Place) -> Option<&str> {
        let resource = place.checked_sub(1)?;
        Some(self.model.key(resource))
    }

    /// Whether the subject holds `role`, tenant-wide or through a role held here.
    fn holds_role(&self, role: RoleId, subject: &SubjectView<'_>, held: &Held) -> bool {
        subject.tenant.roles.binary_search(&role).is_ok()
            || held.iter().any(|(r, _)| {
                self.roles.get(r as usize).is_some_and(|r| self.list(r.closure).binary_search(&role).is_ok())
            })
    }

    fn rule_holds(&self, rule: u32, subject: &SubjectView<'_>, held: &Held, facts: &Facts<'_>) -> bool {
        let Some(rule) = self.model.rules.get(rule as usize) else { return false };
        let role_held =
            rule.roles.is_empty() || rule.roles.iter().any(|&role| self.holds_role(role, subject, held));
        role_held && rule.condition.as_ref().is_none_or(|c| c.holds(facts))
    }
}

impl ModelIndex {
    fn rule_id(&self, rule: u32) -> &str {
        self.rules.get(rule as usize).map_or("", |r| &*r.id)
    }

    /// The roles a rule asks for (empty: any subject); `None` past the table.
    pub(in crate::authz) fn rule_roles(&self, rule: u32) -> Option<&[RoleId]> {
        self.rules.get(rule as usize).map(|r| r.roles.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A seeded generator of numbers below `n` (an LCG: enough to spread test cases).
    fn below(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        }
    }

    /// Against a filter of the grants by principal, on random sorted lists.
    #[test]
    fn merge_held_finds_every_role_the_principals_hold() {
        let mut next = below(11);
        for _ in 0..2000 {
            let spread = 1 + next(40);
            let mut grants: Vec<(PrincipalId, RoleId)> =
                (0..next(MERGED as u64 + 1)).map(|_| (next(spread) as u32, next(6) as u32)).collect();
            grants.sort_unstable();
            grants.dedup();
            let mut principals: Vec<PrincipalId> = (0..next(6)).map(|_| next(spread) as u32).collect();
            principals.sort_unstable();
            principals.dedup();
            let mut held = Held::new();
            merge_held(&grants, &principals, 7, &mut held);
            let expected: Vec<(RoleId, Place)> =
                grants.iter().filter(|(p, _)| principals.contains(p)).map(|&(_, role)| (role, 7)).collect();
            assert_eq!(held.iter().collect::<Vec<_>>(), expected, "{principals:?} in {grants:?}");
        }
    }

    /// Against the binary search it replaces, on lists dense and sparse, evenly spread
    /// and clustered, for every principal around them.
    #[test]
    fn run_start_finds_what_a_binary_search_finds() {
        let mut next = below(7);
        for case in 0..2000 {
            let len = next(300) as usize;
            let spread = [3, 50, 10_000, 4_000_000_000][case % 4];
            let mut grants: Vec<(PrincipalId, RoleId)> =
                (0..len).map(|_| (next(spread) as u32, next(4) as u32)).collect();
            if case % 5 == 0 {
                // A cluster far from the rest.
                grants.extend((0..20).map(|i| (u32::MAX - 40 + i, 0)));
            }
            grants.sort_unstable();
            let mut probes: Vec<u32> =
                grants.iter().flat_map(|&(p, _)| [p.saturating_sub(1), p, p.saturating_add(1)]).collect();
            probes.extend([0, u32::MAX, next(spread) as u32]);
            for principal in probes {
                let expected = grants.partition_point(|&(p, _)| p < principal);
                assert_eq!(run_start(&grants, principal), expected, "{principal} in {grants:?}");
            }
        }
    }
}
