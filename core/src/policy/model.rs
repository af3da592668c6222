//! The validated, canonical policy carried by snapshots.

use alloc::string::String;
use alloc::vec::Vec;

use super::document::{Entries, PolicyDocument, RoleDocument, StrictUsersDocument};
use super::resources::ResourceModel;
use super::validate;
use crate::error::PolicyError;

/// A validated policy in canonical form: roles sorted by name and referred to by
/// index, users sorted by name, each with its direct roles in ascending order.
///
/// Obtained only through [`PolicyDocument::into_policy`] or by loading a snapshot,
/// both of which validate it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub(crate) tenant: String,
    pub(crate) roles: Vec<Role>,
    pub(crate) members: Members,
    /// Strict users: `Some` when the tenant answers only for users holding a live API
    /// key, with those users, sorted.
    pub(crate) key_backed: Option<Vec<String>>,
    /// Types, resources, groups, users' attributes, grants on resources and rules.
    pub(crate) model: ResourceModel,
    /// The one user a subject-scoped policy answers for ([`Policy::for_subject`]).
    pub(crate) subject: Option<String>,
}

/// A role of a [`Policy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) parents: Vec<u32>,
    pub(crate) grants: Vec<String>,
    pub(crate) denies: Vec<String>,
}

/// Users and their direct roles, stored by column: one string holding every name,
/// one list holding every role index, and the end offset of each user in both.
/// A million users are four allocations, not a million.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Members {
    pub(crate) names: String,
    pub(crate) name_ends: Vec<u32>,
    pub(crate) roles: Vec<u32>,
    pub(crate) role_ends: Vec<u32>,
}

impl Members {
    pub(crate) fn len(&self) -> usize {
        self.name_ends.len()
    }

    fn span(ends: &[u32], i: usize) -> core::ops::Range<usize> {
        let start = i.checked_sub(1).and_then(|p| ends.get(p)).map_or(0, |&e| e as usize);
        let end = ends.get(i).map_or(start, |&e| e as usize);
        start..end
    }

    pub(crate) fn name(&self, i: usize) -> &str {
        self.names.get(Self::span(&self.name_ends, i)).unwrap_or_default()
    }

    pub(crate) fn roles_of(&self, i: usize) -> &[u32] {
        self.roles.get(Self::span(&self.role_ends, i)).unwrap_or_default()
    }

    /// Appends a user; offsets are u32, which the snapshot size limit keeps in range.
    pub(crate) fn push(&mut self, name: &str, roles: &[u32]) {
        self.names.push_str(name);
        self.name_ends.push(self.names.len() as u32);
        self.roles.extend_from_slice(roles);
        self.role_ends.push(self.roles.len() as u32);
    }
}

impl Policy {
    /// Validates the parts of a policy and assembles it.
    pub(crate) fn new(
        tenant: String,
        roles: Vec<Role>,
        members: Members,
        key_backed: Option<Vec<String>>,
        model: ResourceModel,
        subject: Option<String>,
    ) -> Result<Self, PolicyError> {
        validate::policy(&tenant, &roles, &members, key_backed.as_deref(), &model)?;
        if let Some(subject) = &subject {
            validate::scoped(subject, &members, key_backed.as_deref(), &model)?;
        }
        Ok(Self { tenant, roles, members, key_backed, model, subject })
    }

    /// The same policy under strict users: every decision about a user who is not in
    /// `key_backed` (the users holding a live API key) is negative
    /// (`user_not_key_backed`). Order does not matter; a name twice is refused.
    pub fn with_strict_users<I, S>(self, key_backed: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut users: Vec<String> = key_backed.into_iter().map(Into::into).collect();
        users.sort_unstable();
        if let Some(pair) = users.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(PolicyError::Duplicate {
                field: "strict_users.key_backed".into(),
                value: pair[0].clone(),
            });
        }
        Self::new(self.tenant, self.roles, self.members, Some(users), self.model, self.subject)
    }

    /// The user a subject-scoped policy answers for; `None` for a tenant's policy.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The users holding a live API key, sorted, when strict users is on.
    pub fn strict_users(&self) -> Option<&[String]> {
        self.key_backed.as_deref()
    }

    /// The tenant's client key.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Number of roles.
    pub fn role_count(&self) -> usize {
        self.roles.len()
    }

    /// Number of users with a membership entry.
    pub fn user_count(&self) -> usize {
        self.members.len()
    }

    /// Whether the policy uses the resource model (types, resources, groups, users'
    /// attributes, grants on resources or rules).
    pub fn has_resource_model(&self) -> bool {
        !self.model.is_empty()
    }

    /// Number of (user, direct role) memberships.
    pub fn membership_count(&self) -> usize {
        self.members.roles.len()
    }

    /// The policy as a policy-as-code document (roles and users sorted by name).
    pub fn to_document(&self) -> PolicyDocument {
        let name = |id: &u32| self.roles.get(*id as usize).map(|r| r.name.clone()).unwrap_or_default();
        let roles = self
            .roles
            .iter()
            .map(|role| {
                let doc = RoleDocument {
                    description: role.description.clone(),
                    parents: role.parents.iter().map(name).collect(),
                    grants: role.grants.clone(),
                    denies: role.denies.clone(),
                };
                (role.name.clone(), doc)
            })
            .collect();
        let members = (0..self.members.len())
            .map(|i| (self.members.name(i).into(), self.members.roles_of(i).iter().map(name).collect()))
            .collect();
        let strict_users = self.key_backed.clone().map(|key_backed| StrictUsersDocument { key_backed });
        let mut document = PolicyDocument {
            roles: Entries(roles),
            members: Entries(members),
            strict_users,
            ..PolicyDocument::new(self.tenant.clone())
        };
        self.model.write_sections(&self.roles, &mut document);
        document
    }
}
