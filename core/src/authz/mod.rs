//! The compiled authorizer: an immutable index built once per policy.
//!
//! Loading precomputes each role's closure (the role and all its ancestors) and the
//! closure of each distinct set of direct roles; grants and denies are indexed by
//! pattern. A check is then a user lookup plus one lookup per candidate pattern of
//! the permission, and a membership test in a short sorted list: no graph walk.

mod compile;
mod decision;
mod model;
mod query;
mod reason;
mod request;
mod rules;
mod small_list;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

pub use decision::Decision;
pub use query::{Found, Page, Query, RequestAttributes, ResourceRef};
pub use reason::Reason;
pub use request::{CheckRequest, DEFAULT_PAGE_LIMIT, PageRequest, ResourceKey, SearchRequest};

use crate::error::QueryError;
use crate::ident::{self, IdentifierKind};
use crate::policy::{Members, Policy};
use model::ModelIndex;
use rules::RuleIndex;

type RoleId = u32;

/// Marks an absent index in [`Subject`].
const NONE: u32 = u32::MAX;

/// Someone decisions can be about: a member of tenant roles, a user the resource
/// model names, or both.
#[derive(Clone, Copy)]
struct Subject {
    /// Index in `members`, or [`NONE`].
    member: u32,
    /// Index of the model's user, or [`NONE`].
    user: u32,
    /// The subject's [`RoleClass`].
    class: u32,
}

/// A tenant's policy, compiled for queries. Immutable; build a new one to change it.
pub struct Authorizer {
    tenant: Box<str>,
    roles: Vec<CompiledRole>,
    role_ids: HashMap<Box<str>, RoleId>,
    /// Users sorted by name, with their direct roles.
    members: Members,
    /// Every subject, sorted by name.
    subjects: Vec<Subject>,
    /// Subject indices hashed by name (the names live in `members` or the model).
    user_index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// One per distinct (direct roles, roles held tenant-wide); many users share one.
    classes: Vec<RoleClass>,
    /// Role lists of roles and classes, by range.
    role_lists: Vec<RoleId>,
    rules: RuleIndex,
    /// Strict users: the users holding a live API key, sorted; `None` when off.
    key_backed: Option<Vec<String>>,
    /// Types, resources, grants on resources and rules.
    model: ModelIndex,
    /// The one user a subject-scoped policy answers for.
    scope: Option<Box<str>>,
}

struct CompiledRole {
    name: String,
    /// The role and its ancestors, ascending, as a range of `role_lists`.
    closure: Span,
    grants: Vec<String>,
    denies: Vec<String>,
}

/// The roles of a set of subjects: their direct memberships, and the closure of
/// every role they hold tenant-wide (memberships and their groups' roles).
struct RoleClass {
    direct: Span,
    closure: Span,
}

/// A range of `role_lists`, with the [`RoleSet`] mask of the roles in it.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
    mask: u64,
}

/// Roles in ascending order, with a 64-bit summary (bit `id % 64` per role) that
/// proves most pairs of sets disjoint without walking them.
#[derive(Clone, Copy)]
struct RoleSet<'a> {
    roles: &'a [RoleId],
    mask: u64,
}

impl<'a> RoleSet<'a> {
    fn new(roles: &'a [RoleId]) -> Self {
        Self { roles, mask: roles.iter().fold(0, |mask, &role| mask | 1 << (role % 64)) }
    }

    /// The smallest role in both sets. Sets are short (a closure, the holders of one
    /// pattern), where a merge walk beats binary search; a very long set is
    /// binary-searched instead.
    #[inline]
    fn first_common(self, other: RoleSet<'_>) -> Option<RoleId> {
        if self.mask & other.mask == 0 {
            return None;
        }
        let (short, long) = if self.roles.len() <= other.roles.len() {
            (self.roles, other.roles)
        } else {
            (other.roles, self.roles)
        };
        if long.len() > 32 * short.len() {
            return short.iter().copied().find(|role| long.binary_search(role).is_ok());
        }
        let (mut i, mut j) = (0, 0);
        while let (Some(&x), Some(&y)) = (short.get(i), long.get(j)) {
            if x == y {
                return Some(x);
            }
            if x < y {
                i += 1;
            } else {
                j += 1;
            }
        }
        None
    }
}

impl Authorizer {
    /// Compiles a validated policy.
    pub fn new(policy: Policy) -> Self {
        compile::compile(policy)
    }

    /// The tenant's client key.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Decides whether `user` holds `permission`, and why.
    ///
    /// Unknown users and permissions are denied, not errors; identifiers that break
    /// their rule are errors, never a silent deny. Under strict users, a user without
    /// a live API key is denied first (`user_not_key_backed`).
    pub fn check<'a>(&'a self, user: &str, permission: &str) -> Result<Decision<'a>, QueryError> {
        self.about(user)?;
        if self.blocks(user) {
            ident::validate(IdentifierKind::User, user)?;
            ident::validate(IdentifierKind::Permission, permission)?;
            return Ok(Decision::UserNotKeyBacked);
        }
        // Only valid names are stored, so a user found needs no validation, nor does a
        // permission granted or denied by name; everything else is validated, so the
        // answer is the same as validating first, minus two scans on the common path.
        let Some(group) = self.class_of(user) else {
            ident::validate(IdentifierKind::User, user)?;
            ident::validate(IdentifierKind::Permission, permission)?;
            return Ok(Decision::UnknownUser);
        };
        let (decision, named) = self.decide_named(self.set(group.closure), permission);
        if !named {
            ident::validate(IdentifierKind::Permission, permission)?;
        }
        Ok(decision)
    }

    /// Checks many permissions for one user, looking the user up once.
    pub fn check_many<'a, P: AsRef<str>>(
        &'a self,
        user: &str,
        permissions: &[P],
    ) -> Result<Vec<Decision<'a>>, QueryError> {
        self.about(user)?;
        ident::validate(IdentifierKind::User, user)?;
        for permission in permissions {
            ident::validate(IdentifierKind::Permission, permission.as_ref())?;
        }
        let blocked = self.blocks(user);
        let group = self.class_of(user);
        Ok(permissions
            .iter()
            .map(|p| match group {
                _ if blocked => Decision::UserNotKeyBacked,
                Some(group) => self.decide(self.set(group.closure), p.as_ref()),
                None => Decision::UnknownUser,
            })
            .collect())
    }

    /// Whether the tenant is under strict users.
    pub fn is_strict(&self) -> bool {
        self.key_backed.is_some()
    }

    /// Whether strict users answers every decision about `user` negatively: on, and
    /// the user holds no live API key.
    pub fn strict_blocks(&self, user: &str) -> Result<bool, QueryError> {
        self.about(user)?;
        ident::validate(IdentifierKind::User, user)?;
        Ok(self.blocks(user))
    }

    #[inline]
    fn blocks(&self, user: &str) -> bool {
        self.key_backed
            .as_ref()
            .is_some_and(|users| users.binary_search_by(|u| u.as_str().cmp(user)).is_err())
    }

    /// Whether `user` holds `permission`.
    pub fn has_permission(&self, user: &str, permission: &str) -> Result<bool, QueryError> {
        self.check(user, permission).map(|d| d.allowed())
    }

    /// Whether `role` is in the closure of `user`'s roles (direct or inherited);
    /// `false` for a user strict users blocks.
    pub fn has_role(&self, user: &str, role: &str) -> Result<bool, QueryError> {
        self.about(user)?;
        ident::validate(IdentifierKind::User, user)?;
        ident::validate(IdentifierKind::Role, role)?;
        let (Some(group), Some(&role)) = (self.decided_class(user), self.role_ids.get(role)) else {
            return Ok(false);
        };
        Ok(self.list(group.closure).binary_search(&role).is_ok())
    }

    /// The user's direct roles, sorted.
    pub fn user_roles(&self, user: &str) -> Result<Vec<&str>, QueryError> {
        self.about(user)?;
        ident::validate(IdentifierKind::User, user)?;
        Ok(self.class_of(user).map(|g| self.role_names(self.list(g.direct))).unwrap_or_default())
    }

    /// The grant patterns in effect for the user (through the closure), sorted; none
    /// for a user strict users blocks.
    pub fn user_permissions(&self, user: &str) -> Result<Vec<&str>, QueryError> {
        self.about(user)?;
        ident::validate(IdentifierKind::User, user)?;
        Ok(self.decided_class(user).map(|g| self.patterns(g.closure, |r| &r.grants)).unwrap_or_default())
    }

    /// The deny patterns in effect for the user (through the closure), sorted; none
    /// for a user strict users blocks.
    pub fn user_denies(&self, user: &str) -> Result<Vec<&str>, QueryError> {
        self.about(user)?;
        ident::validate(IdentifierKind::User, user)?;
        Ok(self.decided_class(user).map(|g| self.patterns(g.closure, |r| &r.denies)).unwrap_or_default())
    }

    /// The grant patterns in effect for the role (its own and inherited), sorted.
    pub fn role_permissions(&self, role: &str) -> Result<Vec<&str>, QueryError> {
        ident::validate(IdentifierKind::Role, role)?;
        self.at_large()?;
        Ok(self.role(role).map(|r| self.patterns(r.closure, |r| &r.grants)).unwrap_or_default())
    }

    /// The deny patterns in effect for the role (its own and inherited), sorted.
    pub fn role_denies(&self, role: &str) -> Result<Vec<&str>, QueryError> {
        ident::validate(IdentifierKind::Role, role)?;
        self.at_large()?;
        Ok(self.role(role).map(|r| self.patterns(r.closure, |r| &r.denies)).unwrap_or_default())
    }

    /// The role's direct members, sorted.
    pub fn role_members(&self, role: &str) -> Result<Vec<&str>, QueryError> {
        ident::validate(IdentifierKind::Role, role)?;
        self.at_large()?;
        let Some(&role) = self.role_ids.get(role) else {
            return Ok(Vec::new());
        };
        Ok((0..self.members.len())
            .filter(|&u| self.members.roles_of(u).binary_search(&role).is_ok())
            .map(|u| self.members.name(u))
            .collect())
    }

    /// Roles whose closure allows `permission`, sorted.
    pub fn which_roles_can(&self, permission: &str) -> Result<Vec<&str>, QueryError> {
        ident::validate(IdentifierKind::Permission, permission)?;
        self.at_large()?;
        Ok(self
            .roles
            .iter()
            .filter(|role| self.decide(self.set(role.closure), permission).allowed())
            .map(|role| role.name.as_str())
            .collect())
    }

    /// Users for whom `check(user, permission)` is allowed, sorted.
    pub fn which_users_can(&self, permission: &str) -> Result<Vec<&str>, QueryError> {
        ident::validate(IdentifierKind::Permission, permission)?;
        self.at_large()?;
        let allowed: Vec<bool> =
            self.classes.iter().map(|c| self.decide(self.set(c.closure), permission).allowed()).collect();
        Ok(self
            .subjects
            .iter()
            .filter(|s| allowed.get(s.class as usize).copied().unwrap_or(false))
            .map(|s| self.subject_name(s))
            .filter(|name| !self.blocks(name))
            .collect())
    }

    /// Every role, sorted.
    pub fn roles(&self) -> Result<Vec<&str>, QueryError> {
        self.at_large()?;
        Ok(self.roles.iter().map(|r| r.name.as_str()).collect())
    }

    /// The one user a subject-scoped snapshot answers for; `None` for a tenant's.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// Refuses a question about `user` when scoped to someone else (an identifier
    /// that breaks its rule is reported as such first, as unscoped).
    #[inline]
    fn about(&self, user: &str) -> Result<(), QueryError> {
        match &self.scope {
            Some(scope) if **scope != *user => {
                ident::validate(IdentifierKind::User, user)?;
                Err(QueryError::OutOfScope)
            }
            _ => Ok(()),
        }
    }

    /// Refuses a question about users or roles at large when scoped: the slice holds
    /// only what its subject's decisions read.
    fn at_large(&self) -> Result<(), QueryError> {
        if self.scope.is_some() { Err(QueryError::OutOfScope) } else { Ok(()) }
    }

    /// Number of users with a membership entry.
    pub fn user_count(&self) -> usize {
        self.members.len()
    }

    /// Number of roles.
    pub fn role_count(&self) -> usize {
        self.roles.len()
    }

    /// A deny beats any grant; each reason names the most specific matching pattern
    /// and, among roles holding it, the first by name (ids follow name order).
    #[inline]
    fn decide<'a>(&'a self, closure: RoleSet<'_>, permission: &str) -> Decision<'a> {
        self.decide_named(closure, permission).0
    }

    /// The decision, and whether `permission` is granted or denied by name somewhere.
    #[inline]
    fn decide_named<'a>(&'a self, closure: RoleSet<'_>, permission: &str) -> (Decision<'a>, bool) {
        let mut denied = None;
        let mut granted = None;
        // Matches come least specific first, so a later hit replaces an earlier one.
        let named = self.rules.for_each_match(permission, |rule| {
            if let Some(role) = closure.first_common(self.rules.denies(rule)) {
                denied = Some((role, rule));
            }
            if let Some(role) = closure.first_common(self.rules.grants(rule)) {
                granted = Some((role, rule));
            }
        });
        let decision = match (denied, granted) {
            (Some((role, rule)), _) => {
                Decision::Denied { role: self.role_name(role), pattern: &rule.pattern, on: None }
            }
            (None, Some((role, rule))) => {
                Decision::Granted { role: self.role_name(role), pattern: &rule.pattern, on: None }
            }
            (None, None) => Decision::NoMatchingGrant,
        };
        (decision, named)
    }

    /// The user's role class for a decision: none when strict users blocks the user.
    fn decided_class(&self, user: &str) -> Option<&RoleClass> {
        if self.blocks(user) { None } else { self.class_of(user) }
    }

    #[inline]
    fn class_of(&self, user: &str) -> Option<&RoleClass> {
        self.subject(user).and_then(|s| self.classes.get(s.class as usize))
    }

    #[inline]
    fn subject(&self, name: &str) -> Option<&Subject> {
        let hash = self.hasher.hash_one(name);
        let &index = self
            .user_index
            .find(hash, |&i| self.subjects.get(i as usize).is_some_and(|s| self.subject_name(s) == name))?;
        self.subjects.get(index as usize)
    }

    fn subject_name(&self, subject: &Subject) -> &str {
        if subject.member == NONE {
            self.model.user_name(subject.user)
        } else {
            self.members.name(subject.member as usize)
        }
    }

    #[inline]
    fn set(&self, span: Span) -> RoleSet<'_> {
        RoleSet { roles: self.list(span), mask: span.mask }
    }

    #[inline]
    fn list(&self, span: Span) -> &[RoleId] {
        self.role_lists.get(span.start as usize..span.end as usize).unwrap_or_default()
    }

    fn role(&self, name: &str) -> Option<&CompiledRole> {
        self.role_ids.get(name).and_then(|&id| self.roles.get(id as usize))
    }

    fn role_name(&self, id: RoleId) -> &str {
        self.roles.get(id as usize).map_or("", |r| r.name.as_str())
    }

    fn role_names(&self, ids: &[RoleId]) -> Vec<&str> {
        ids.iter().map(|&id| self.role_name(id)).collect()
    }

    fn patterns<'a>(
        &'a self,
        closure: Span,
        list: impl Fn(&'a CompiledRole) -> &'a Vec<String>,
    ) -> Vec<&'a str> {
        let mut patterns: Vec<&str> = self
            .list(closure)
            .iter()
            .filter_map(|&id| self.roles.get(id as usize))
            .flat_map(|role| list(role).iter().map(|p| p.as_str()))
            .collect();
        patterns.sort_unstable();
        patterns.dedup();
        patterns
    }
}

impl core::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Authorizer")
            .field("tenant", &self.tenant)
            .field("roles", &self.roles.len())
            .field("users", &self.members.len())
            .field("strict", &self.is_strict())
            .finish_non_exhaustive()
    }
}
