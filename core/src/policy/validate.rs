//! The authoring rules every policy passes before it can be compiled.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use hashbrown::HashSet;

use super::check_description;
use super::model::{Members, Role};
use super::resources::{self, ResourceModel};
use crate::error::PolicyError;
use crate::ident::{self, IdentifierKind};

/// Every authoring rule, on the parts of a policy.
pub(super) fn policy(
    tenant: &str,
    roles: &[Role],
    members: &Members,
    key_backed: Option<&[String]>,
    model: &ResourceModel,
) -> Result<(), PolicyError> {
    check_identifier(IdentifierKind::ClientKey, "tenant", tenant)?;
    check_roles(roles)?;
    check_acyclic(roles)?;
    check_members(roles, members)?;
    key_backed.map_or(Ok(()), check_key_backed)?;
    resources::validate::model(model, roles)
}

/// Key-backed users: valid user names, strictly ascending (so unique). They need no
/// membership: a key-backed user without roles is simply allowed nothing.
fn check_key_backed(users: &[String]) -> Result<(), PolicyError> {
    const FIELD: &str = "strict_users.key_backed";
    for (i, user) in users.iter().enumerate() {
        check_identifier(IdentifierKind::User, FIELD, user)?;
        if let Some(previous) = i.checked_sub(1).and_then(|p| users.get(p)) {
            match previous.cmp(user) {
                Ordering::Less => {}
                Ordering::Equal => {
                    return Err(PolicyError::Duplicate { field: FIELD.into(), value: user.clone() });
                }
                Ordering::Greater => return Err(PolicyError::NotCanonical { field: FIELD }),
            }
        }
    }
    Ok(())
}

fn check_identifier(kind: IdentifierKind, field: &str, value: &str) -> Result<(), PolicyError> {
    ident::validate(kind, value)
        .map_err(|error| PolicyError::InvalidIdentifier { field: field.into(), error })
}

fn check_roles(roles: &[Role]) -> Result<(), PolicyError> {
    for (i, role) in roles.iter().enumerate() {
        check_identifier(IdentifierKind::Role, "roles", &role.name)?;
        if let Some(previous) = i.checked_sub(1).and_then(|p| roles.get(p)) {
            match previous.name.cmp(&role.name) {
                Ordering::Less => {}
                Ordering::Equal => {
                    return Err(PolicyError::Duplicate { field: "roles".into(), value: role.name.clone() });
                }
                Ordering::Greater => return Err(PolicyError::NotCanonical { field: "roles" }),
            }
        }
        if let Some(text) = &role.description {
            check_description(&role.name, text)?;
        }
        let mut parents = HashSet::with_capacity(role.parents.len());
        for &parent in &role.parents {
            let Some(parent_role) = roles.get(parent as usize) else {
                return Err(PolicyError::IndexOutOfRange { field: "roles.parents", index: parent });
            };
            if !parents.insert(parent) {
                return Err(PolicyError::Duplicate {
                    field: format!("roles.{}.parents", role.name),
                    value: parent_role.name.clone(),
                });
            }
        }
        check_patterns(&role.name, "grants", &role.grants)?;
        check_patterns(&role.name, "denies", &role.denies)?;
    }
    Ok(())
}

fn check_patterns(role: &str, list: &str, patterns: &[String]) -> Result<(), PolicyError> {
    let field = || format!("roles.{role}.{list}");
    let mut seen = HashSet::with_capacity(patterns.len());
    for pattern in patterns {
        ident::validate(IdentifierKind::Pattern, pattern)
            .map_err(|error| PolicyError::InvalidIdentifier { field: field(), error })?;
        if !seen.insert(pattern.as_str()) {
            return Err(PolicyError::Duplicate { field: field(), value: pattern.clone() });
        }
    }
    Ok(())
}

/// Role parents form no cycle; one found is named, first role repeated at the end.
fn check_acyclic(roles: &[Role]) -> Result<(), PolicyError> {
    let parents: Vec<&[u32]> = roles.iter().map(|r| r.parents.as_slice()).collect();
    resources::validate::acyclic(&parents).map_err(|cycle| PolicyError::Cycle {
        cycle: cycle.into_iter().filter_map(|r| roles.get(r as usize)).map(|r| r.name.clone()).collect(),
    })
}

/// Users strictly ascending (so unique), each with strictly ascending, known roles.
fn check_members(roles: &[Role], members: &Members) -> Result<(), PolicyError> {
    let mut previous: Option<&str> = None;
    for i in 0..members.len() {
        let user = members.name(i);
        check_identifier(IdentifierKind::User, "members", user)?;
        match previous.map(|p| p.cmp(user)) {
            None | Some(Ordering::Less) => {}
            Some(Ordering::Equal) => {
                return Err(PolicyError::Duplicate { field: "members".into(), value: user.into() });
            }
            Some(Ordering::Greater) => return Err(PolicyError::NotCanonical { field: "members" }),
        }
        previous = Some(user);
        let mut last: Option<u32> = None;
        for &role in members.roles_of(i) {
            let Some(named) = roles.get(role as usize) else {
                return Err(PolicyError::IndexOutOfRange { field: "members.roles", index: role });
            };
            match last.map(|l| l.cmp(&role)) {
                None | Some(Ordering::Less) => {}
                Some(Ordering::Equal) => {
                    return Err(PolicyError::Duplicate {
                        field: format!("members.{user}"),
                        value: named.name.clone(),
                    });
                }
                Some(Ordering::Greater) => {
                    return Err(PolicyError::NotCanonical { field: "members.roles" });
                }
            }
            last = Some(role);
        }
    }
    Ok(())
}

/// A subject-scoped policy names no user but its subject: in memberships, strict
/// users, or the model's users (which groups and grants refer to). A snapshot that
/// breaks this is inconsistent, and refused rather than trusted to answer for
/// someone it should not.
pub(super) fn scoped(
    subject: &str,
    members: &Members,
    key_backed: Option<&[String]>,
    model: &ResourceModel,
) -> Result<(), PolicyError> {
    check_identifier(IdentifierKind::User, "subject", subject)?;
    let members = (0..members.len()).map(|i| members.name(i));
    let key_backed = key_backed.unwrap_or_default().iter().map(String::as_str);
    let users = model.users.iter().map(|u| u.name.as_str());
    if members.chain(key_backed).chain(users).any(|user| user != subject) {
        return Err(PolicyError::NotCanonical { field: "subject" });
    }
    Ok(())
}
