//! How a guest behaves: the JSON `tessera_configure` reads. One type for both sides
//! of the ABI (the host serializes it, the guest deserializes it).

use alloc::string::String;

use serde::{Deserialize, Serialize};
use tessera_core::ValidationOptions;

/// Which decisions of `check` and `authorize` become audit events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditChecks {
    /// None.
    None,
    /// Denied ones (the default).
    #[default]
    Denied,
    /// Every one (`AUTH_AUDIT_CHECKS=true`).
    All,
}

impl AuditChecks {
    /// Whether a decision with this outcome is recorded.
    pub fn records(self, allowed: bool) -> bool {
        match self {
            Self::None => false,
            Self::Denied => !allowed,
            Self::All => true,
        }
    }
}

/// A guest's tenant, token rules and audit policy. Every field is optional in the
/// JSON; unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuestConfig {
    /// Every snapshot loaded must be this tenant's (an authorizer sets it).
    pub tenant: Option<String>,
    /// Token validation rules.
    pub token: ValidationOptions,
    /// Which decisions of `check` and `authorize` are audited.
    pub audit_checks: AuditChecks,
    /// Whether `inspect` findings become a `security.suspicious_input` event.
    pub audit_suspicious_input: bool,
    /// Largest snapshot accepted, in bytes.
    pub max_snapshot_bytes: usize,
}

impl Default for GuestConfig {
    fn default() -> Self {
        Self {
            tenant: None,
            token: ValidationOptions::default(),
            audit_checks: AuditChecks::default(),
            audit_suspicious_input: true,
            max_snapshot_bytes: tessera_core::DEFAULT_MAX_SNAPSHOT_BYTES,
        }
    }
}
