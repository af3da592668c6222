//! The authoring rules every policy passes before it can be compiled.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;

use hashbrown::HashSet;

use super::MAX_DESCRIPTION_LEN;
use super::model::{Policy, RawPolicy, Role};
use crate::error::PolicyError;
use crate::ident::{self, IdentifierKind};

impl TryFrom<RawPolicy> for Policy {
    type Error = PolicyError;

    fn try_from(raw: RawPolicy) -> Result<Self, PolicyError> {
        check_identifier(IdentifierKind::ClientKey, "tenant", &raw.tenant)?;
        check_roles(&raw.roles)?;
        check_acyclic(&raw.roles)?;
        check_members(&raw)?;
        Ok(Policy {
            tenant: raw.tenant,
            roles: raw.roles,
            groups: raw.groups,
        })
    }
}

fn check_identifier(kind: IdentifierKind, field: &str, value: &str) -> Result<(), PolicyError> {
    ident::validate(kind, value).map_err(|error| PolicyError::InvalidIdentifier {
        field: field.into(),
        error,
    })
}

fn check_roles(roles: &[Role]) -> Result<(), PolicyError> {
    for (i, role) in roles.iter().enumerate() {
        check_identifier(IdentifierKind::Role, "roles", &role.name)?;
        if let Some(previous) = i.checked_sub(1).and_then(|p| roles.get(p)) {
            match previous.name.cmp(&role.name) {
                Ordering::Less => {}
                Ordering::Equal => {
                    return Err(PolicyError::Duplicate {
                        field: "roles".into(),
                        value: role.name.clone(),
                    });
                }
                Ordering::Greater => return Err(PolicyError::NotCanonical { field: "roles" }),
            }
        }
        if let Some(text) = &role.description
            && (text.len() > MAX_DESCRIPTION_LEN || text.chars().any(char::is_control))
        {
            return Err(PolicyError::InvalidDescription {
                role: role.name.clone(),
            });
        }
        let mut parents = HashSet::with_capacity(role.parents.len());
        for &parent in &role.parents {
            let Some(parent_role) = roles.get(parent as usize) else {
                return Err(PolicyError::IndexOutOfRange {
                    field: "roles.parents",
                    index: parent,
                });
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
        ident::validate(IdentifierKind::Pattern, pattern).map_err(|error| {
            PolicyError::InvalidIdentifier {
                field: field(),
                error,
            }
        })?;
        if !seen.insert(pattern.as_str()) {
            return Err(PolicyError::Duplicate {
                field: field(),
                value: pattern.clone(),
            });
        }
    }
    Ok(())
}

/// Depth-first search with three colours; a grey parent closes a cycle, which is
/// reported as the path from that parent back to itself.
fn check_acyclic(roles: &[Role]) -> Result<(), PolicyError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour = vec![Colour::White; roles.len()];
    // Iterative, so a hostile hierarchy thousands of levels deep cannot overflow the stack.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..roles.len() {
        if colour[start] != Colour::White {
            continue;
        }
        colour[start] = Colour::Grey;
        stack.push((start, 0));
        while let Some(&mut (role, ref mut next)) = stack.last_mut() {
            let parents = &roles[role].parents;
            if let Some(&parent) = parents.get(*next) {
                *next += 1;
                let parent = parent as usize;
                match colour[parent] {
                    Colour::White => {
                        colour[parent] = Colour::Grey;
                        stack.push((parent, 0));
                    }
                    Colour::Grey => {
                        let from = stack.iter().position(|&(r, _)| r == parent).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[from..]
                            .iter()
                            .map(|&(r, _)| roles[r].name.clone())
                            .collect();
                        cycle.push(roles[parent].name.clone());
                        return Err(PolicyError::Cycle { cycle });
                    }
                    Colour::Black => {}
                }
            } else {
                colour[role] = Colour::Black;
                stack.pop();
            }
        }
    }
    Ok(())
}

fn check_members(raw: &RawPolicy) -> Result<(), PolicyError> {
    let total: usize = raw.groups.iter().map(|g| g.users.len()).sum();
    let mut users = HashSet::with_capacity(total);
    for group in &raw.groups {
        let mut roles = HashSet::with_capacity(group.roles.len());
        for &role in &group.roles {
            let Some(named) = raw.roles.get(role as usize) else {
                return Err(PolicyError::IndexOutOfRange {
                    field: "groups.roles",
                    index: role,
                });
            };
            if !roles.insert(role) {
                return Err(PolicyError::Duplicate {
                    field: "members".into(),
                    value: named.name.clone(),
                });
            }
        }
        for user in &group.users {
            check_identifier(IdentifierKind::User, "members", user)?;
            if !users.insert(user.as_str()) {
                return Err(PolicyError::Duplicate {
                    field: "members".into(),
                    value: user.clone(),
                });
            }
        }
    }
    Ok(())
}
