//! The policy model: what a tenant owns (roles, grants, denies, memberships).
//!
//! [`PolicyDocument`] is the policy-as-code file users write; [`Policy`] is the
//! validated, canonical form that snapshots carry and the authorizer compiles.
//! The only ways to a `Policy` validate it.

mod document;
mod model;
mod validate;
mod wire;

pub use document::{Entries, PolicyDocument, RoleDocument};
pub(crate) use model::Members;
pub use model::{Policy, Role};
pub(crate) use wire::RawPolicy;

/// Longest role description accepted, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 1024;
