//! What is in force in an authorizer, as every face reports it (`info`).

use serde::Serialize;

use super::SnapshotInfo;
use crate::authz::Authorizer;

/// The policy in force: which tenant and revision, where it came from, and its size.
/// Serializes as every face's `info`, absent values as `null`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PolicySummary<'a> {
    /// The tenant's name (for `tessera serve`'s tenants: the client key, or in a
    /// subject-scoped snapshot the tenant's public id).
    pub tenant: &'a str,
    /// The snapshot's revision; 0 for a policy compiled from a document.
    pub revision: u64,
    /// When the snapshot was issued, seconds since the Unix epoch.
    pub issued_at: Option<i64>,
    /// When it expires, if it does.
    pub expires_at: Option<i64>,
    /// Id of the key that signed it.
    pub signed_by: Option<&'a str>,
    /// Id of the key that encrypted it, if it was encrypted.
    pub encrypted_with: Option<&'a str>,
    /// The one user a subject-scoped snapshot answers for; `null` for a tenant's.
    pub subject: Option<&'a str>,
    /// Users with at least one membership.
    pub users: usize,
    /// Roles.
    pub roles: usize,
}

impl<'a> PolicySummary<'a> {
    /// The summary of `authorizer`, loaded from the snapshot `info` describes, or
    /// compiled from a document (`None`).
    pub fn new(authorizer: &'a Authorizer, info: Option<&'a SnapshotInfo>) -> Self {
        Self {
            tenant: authorizer.tenant(),
            revision: info.map_or(0, |info| info.revision),
            issued_at: info.map(|info| info.issued_at),
            expires_at: info.and_then(|info| info.expires_at),
            signed_by: info.map(|info| info.signed_by.as_str()),
            encrypted_with: info.and_then(|info| info.encrypted_with.as_deref()),
            subject: authorizer.scope(),
            users: authorizer.user_count(),
            roles: authorizer.role_count(),
        }
    }
}
