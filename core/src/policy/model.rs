//! The validated, canonical policy carried by snapshots.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::document::{Entries, PolicyDocument, RoleDocument};

/// A validated policy in canonical form: roles sorted by name and referred to by
/// index, users grouped by their set of direct roles (many users share one set, so
/// the encoding stays small and the authorizer compiles each set once).
///
/// Obtained only through [`PolicyDocument::into_policy`] or by loading a snapshot,
/// both of which validate it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub(crate) tenant: String,
    pub(crate) roles: Vec<Role>,
    pub(crate) groups: Vec<MemberGroup>,
}

/// A role of a [`Policy`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) parents: Vec<u32>,
    pub(crate) grants: Vec<String>,
    pub(crate) denies: Vec<String>,
}

/// Users who share exactly the same direct roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberGroup {
    pub(crate) roles: Vec<u32>,
    pub(crate) users: Vec<String>,
}

/// A policy as decoded, before validation; the only way out is `Policy::try_from`.
#[derive(Deserialize)]
pub(crate) struct RawPolicy {
    pub(crate) tenant: String,
    pub(crate) roles: Vec<Role>,
    pub(crate) groups: Vec<MemberGroup>,
}

impl Policy {
    /// The tenant's client key.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Number of roles.
    pub fn role_count(&self) -> usize {
        self.roles.len()
    }

    /// Number of users with at least a membership entry.
    pub fn user_count(&self) -> usize {
        self.groups.iter().map(|g| g.users.len()).sum()
    }

    /// Number of (user, direct role) memberships.
    pub fn membership_count(&self) -> usize {
        self.groups
            .iter()
            .map(|g| g.users.len() * g.roles.len())
            .sum()
    }

    /// The policy as a policy-as-code document (roles and users sorted by name).
    pub fn to_document(&self) -> PolicyDocument {
        let name = |id: &u32| self.roles[*id as usize].name.clone();
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
        let mut members: Vec<(String, Vec<String>)> = self
            .groups
            .iter()
            .flat_map(|g| {
                g.users
                    .iter()
                    .map(|u| (u.clone(), g.roles.iter().map(name).collect()))
            })
            .collect();
        members.sort_unstable();
        PolicyDocument {
            tenant: self.tenant.clone(),
            roles: Entries(roles),
            members: Entries(members),
        }
    }
}
