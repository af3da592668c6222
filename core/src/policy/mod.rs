//! The policy model: what a tenant owns (roles, grants, denies, memberships).
//!
//! [`PolicyDocument`] is the policy-as-code file users write; [`Policy`] is the
//! validated, canonical form that snapshots carry and the authorizer compiles.
//! The only ways to a `Policy` validate it.

mod attributes;
mod document;
mod model;
pub(crate) mod resources;
mod subject;
mod validate;
mod wire;

pub use attributes::{AttributeMap, AttributeValue};
pub(crate) use document::mapping_only;
pub use document::{Entries, PolicyDocument, RoleDocument, StrictUsersDocument};
pub(crate) use model::Members;
pub use model::{Policy, Role};
pub use resources::{
    Effect, GrantDocument, GroupDocument, ResourceDocument, RuleDocument, TypeDocument, UserDocument,
};
pub(crate) use wire::RawPolicy;

/// Longest role description accepted, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 1024;

/// Checks a role description: free text of at most [`MAX_DESCRIPTION_LEN`] bytes, where
/// tab and newline are allowed (YAML block scalars carry them) and every other control
/// character is refused.
pub fn check_description(role: &str, text: &str) -> Result<(), crate::PolicyError> {
    let control = text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n'));
    if text.len() > MAX_DESCRIPTION_LEN || control {
        return Err(crate::PolicyError::InvalidDescription { role: role.into() });
    }
    Ok(())
}
