//! The compiled authorizer: an immutable index built once per policy.
//!
//! Loading precomputes each role's closure (the role and all its ancestors) and the
//! closure of each distinct set of direct roles; grants and denies are indexed by
//! pattern. A check is then a user lookup plus one lookup per candidate pattern of
//! the permission, and a membership test in a short sorted list: no graph walk.

mod compile;
mod decision;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

pub use decision::Decision;

use crate::ident::{self, IdentifierError, IdentifierKind};
use crate::pattern::{Candidate, candidates};
use crate::policy::Policy;

type RoleId = u32;

/// A tenant's policy, compiled for queries. Immutable; build a new one to change it.
pub struct Authorizer {
    tenant: Box<str>,
    roles: Vec<CompiledRole>,
    role_ids: HashMap<Box<str>, RoleId>,
    /// Users in group order; `groups[g].users` is a range of this list.
    users: Vec<String>,
    /// Indices into `users`, hashed by name (no second copy of every name).
    user_index: HashTable<(u32, u32)>,
    hasher: DefaultHashBuilder,
    groups: Vec<Group>,
    rules: Vec<Rule>,
    exact: HashMap<Box<str>, u32>,
    prefix: HashMap<Box<str>, u32>,
    any: Option<u32>,
}

struct CompiledRole {
    name: String,
    /// The role and its ancestors, ascending.
    closure: Vec<RoleId>,
    grants: Vec<String>,
    denies: Vec<String>,
    /// Groups that list this role directly.
    groups: Vec<u32>,
}

struct Group {
    direct: Vec<RoleId>,
    closure: Vec<RoleId>,
    users: core::ops::Range<u32>,
}

/// One pattern and the roles that hold it directly, ascending.
struct Rule {
    pattern: Box<str>,
    grants: Vec<RoleId>,
    denies: Vec<RoleId>,
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
    /// their rule are errors, never a silent deny.
    pub fn check<'a>(
        &'a self,
        user: &str,
        permission: &str,
    ) -> Result<Decision<'a>, IdentifierError> {
        ident::validate(IdentifierKind::User, user)?;
        ident::validate(IdentifierKind::Permission, permission)?;
        Ok(match self.group_of(user) {
            Some(group) => self.decide(&group.closure, permission),
            None => Decision::UnknownUser,
        })
    }

    /// Checks many permissions for one user, looking the user up once.
    pub fn check_many<'a, P: AsRef<str>>(
        &'a self,
        user: &str,
        permissions: &[P],
    ) -> Result<Vec<Decision<'a>>, IdentifierError> {
        ident::validate(IdentifierKind::User, user)?;
        for permission in permissions {
            ident::validate(IdentifierKind::Permission, permission.as_ref())?;
        }
        let group = self.group_of(user);
        Ok(permissions
            .iter()
            .map(|p| match group {
                Some(group) => self.decide(&group.closure, p.as_ref()),
                None => Decision::UnknownUser,
            })
            .collect())
    }

    /// Whether `user` holds `permission`.
    pub fn has_permission(&self, user: &str, permission: &str) -> Result<bool, IdentifierError> {
        self.check(user, permission).map(|d| d.allowed())
    }

    /// Whether `role` is in the closure of `user`'s roles (direct or inherited).
    pub fn has_role(&self, user: &str, role: &str) -> Result<bool, IdentifierError> {
        ident::validate(IdentifierKind::User, user)?;
        ident::validate(IdentifierKind::Role, role)?;
        let (Some(group), Some(&role)) = (self.group_of(user), self.role_ids.get(role)) else {
            return Ok(false);
        };
        Ok(group.closure.binary_search(&role).is_ok())
    }

    /// The user's direct roles, sorted.
    pub fn user_roles(&self, user: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::User, user)?;
        Ok(self
            .group_of(user)
            .map(|g| self.role_names(&g.direct))
            .unwrap_or_default())
    }

    /// The grant patterns in effect for the user (through the closure), sorted.
    pub fn user_permissions(&self, user: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::User, user)?;
        Ok(self
            .group_of(user)
            .map(|g| self.patterns(&g.closure, |r| &r.grants))
            .unwrap_or_default())
    }

    /// The deny patterns in effect for the user (through the closure), sorted.
    pub fn user_denies(&self, user: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::User, user)?;
        Ok(self
            .group_of(user)
            .map(|g| self.patterns(&g.closure, |r| &r.denies))
            .unwrap_or_default())
    }

    /// The grant patterns in effect for the role (its own and inherited), sorted.
    pub fn role_permissions(&self, role: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::Role, role)?;
        Ok(self
            .role(role)
            .map(|r| self.patterns(&r.closure, |r| &r.grants))
            .unwrap_or_default())
    }

    /// The deny patterns in effect for the role (its own and inherited), sorted.
    pub fn role_denies(&self, role: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::Role, role)?;
        Ok(self
            .role(role)
            .map(|r| self.patterns(&r.closure, |r| &r.denies))
            .unwrap_or_default())
    }

    /// The role's direct members, sorted.
    pub fn role_members(&self, role: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::Role, role)?;
        let Some(role) = self.role(role) else {
            return Ok(Vec::new());
        };
        let mut members: Vec<&str> = role
            .groups
            .iter()
            .flat_map(|&g| self.group_users(&self.groups[g as usize]))
            .collect();
        members.sort_unstable();
        Ok(members)
    }

    /// Roles whose closure allows `permission`, sorted.
    pub fn which_roles_can(&self, permission: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::Permission, permission)?;
        Ok(self
            .roles
            .iter()
            .filter(|role| self.decide(&role.closure, permission).allowed())
            .map(|role| role.name.as_str())
            .collect())
    }

    /// Users for whom `check(user, permission)` is allowed, sorted.
    pub fn which_users_can(&self, permission: &str) -> Result<Vec<&str>, IdentifierError> {
        ident::validate(IdentifierKind::Permission, permission)?;
        let mut users: Vec<&str> = self
            .groups
            .iter()
            .filter(|group| self.decide(&group.closure, permission).allowed())
            .flat_map(|group| self.group_users(group))
            .collect();
        users.sort_unstable();
        Ok(users)
    }

    /// Every role, sorted.
    pub fn roles(&self) -> Vec<&str> {
        self.roles.iter().map(|r| r.name.as_str()).collect()
    }

    /// Number of users with a membership entry.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Deny first, then grant, each at its most specific matching pattern.
    fn decide<'a>(&'a self, closure: &[RoleId], permission: &str) -> Decision<'a> {
        let mut granted = None;
        for candidate in candidates(permission) {
            let Some(rule) = self.rule(candidate) else {
                continue;
            };
            if let Some(role) = first_common(closure, &rule.denies) {
                return Decision::Denied {
                    role: self.role_name(role),
                    deny: &rule.pattern,
                };
            }
            if granted.is_none() {
                granted = first_common(closure, &rule.grants).map(|role| (role, rule));
            }
        }
        match granted {
            Some((role, rule)) => Decision::Granted {
                role: self.role_name(role),
                grant: &rule.pattern,
            },
            None => Decision::NoMatchingGrant,
        }
    }

    fn rule(&self, candidate: Candidate<'_>) -> Option<&Rule> {
        let index = match candidate {
            Candidate::Exact(name) => self.exact.get(name).copied(),
            Candidate::Prefix(prefix) => self.prefix.get(prefix).copied(),
            Candidate::Any => self.any,
        }?;
        self.rules.get(index as usize)
    }

    fn group_of(&self, user: &str) -> Option<&Group> {
        let hash = self.hasher.hash_one(user);
        let &(_, group) = self.user_index.find(hash, |&(u, _)| {
            self.users.get(u as usize).is_some_and(|name| name == user)
        })?;
        self.groups.get(group as usize)
    }

    fn role(&self, name: &str) -> Option<&CompiledRole> {
        self.role_ids
            .get(name)
            .and_then(|&id| self.roles.get(id as usize))
    }

    fn role_name(&self, id: RoleId) -> &str {
        self.roles.get(id as usize).map_or("", |r| r.name.as_str())
    }

    fn role_names(&self, ids: &[RoleId]) -> Vec<&str> {
        ids.iter().map(|&id| self.role_name(id)).collect()
    }

    fn group_users<'a>(&'a self, group: &Group) -> impl Iterator<Item = &'a str> + 'a {
        let range = group.users.start as usize..group.users.end as usize;
        self.users
            .get(range)
            .unwrap_or_default()
            .iter()
            .map(|u| u.as_str())
    }

    fn patterns<'a>(
        &'a self,
        closure: &[RoleId],
        list: impl Fn(&'a CompiledRole) -> &'a Vec<String>,
    ) -> Vec<&'a str> {
        let mut patterns: Vec<&str> = closure
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
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

/// The smallest element of `closure` that is also in `holders`; both ascending.
fn first_common(closure: &[RoleId], holders: &[RoleId]) -> Option<RoleId> {
    if holders.is_empty() {
        return None;
    }
    closure
        .iter()
        .copied()
        .find(|role| holders.binary_search(role).is_ok())
}
