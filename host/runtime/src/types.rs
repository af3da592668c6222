//! The answers and settings that cross the ABI, as owned host types.

use serde::{Deserialize, Serialize, Serializer};
use tessera_core::Reason;

/// A role name or pattern held inline. The identifier rules cap roles at 64 bytes and
/// patterns at 128, so a decision carries its reason without allocating (on the check
/// path, two small allocations cost as much as the check).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct InlineName<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineName<N> {
    /// `None` when `bytes` is longer than `N` or not UTF-8.
    pub(crate) fn new(bytes: &[u8]) -> Option<Self> {
        core::str::from_utf8(bytes).ok()?;
        let mut inline = Self { len: u8::try_from(bytes.len()).ok()?, bytes: [0; N] };
        inline.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(inline)
    }

    fn as_str(&self) -> &str {
        // Checked to be UTF-8 in `new`.
        core::str::from_utf8(self.bytes.get(..usize::from(self.len)).unwrap_or_default()).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Debug for InlineName<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// The outcome of a check, with its reason: the core's [`tessera_core::Decision`],
/// owned, and serialized as the core serializes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub(crate) reason: Reason,
    pub(crate) role: Option<InlineName<64>>,
    pub(crate) pattern: Option<InlineName<128>>,
}

impl Decision {
    /// Whether the permission is granted.
    pub fn allowed(&self) -> bool {
        self.reason.allows()
    }

    /// Why it was decided so.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The role holding the grant or deny the decision rests on.
    pub fn role(&self) -> Option<&str> {
        self.role.as_ref().map(InlineName::as_str)
    }

    /// The grant or deny pattern that matched.
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_ref().map(InlineName::as_str)
    }

    /// The decision as the core's type, borrowing its names.
    pub fn as_core(&self) -> tessera_core::Decision<'_> {
        // Built by `guest::decision` from parts the core accepted.
        tessera_core::Decision::from_parts(self.reason, self.role(), self.pattern())
            .unwrap_or(tessera_core::Decision::NoMatchingGrant)
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_core().serialize(serializer)
    }
}

/// The answer of `authorize(token, permission)`: the core's
/// [`tessera_core::Authorization`] as the guest serialized it, owned (and serialized
/// back in the same shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// Whether the request is allowed.
    pub allowed: bool,
    /// The decision's reason, `outside_token_scope`, or the token's error code.
    pub reason: String,
    /// The token's subject, once the token is valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The role the decision rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The pattern that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// One finding of `inspect`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The kind's stable code (`script_tag`, `sql_injection`, ...).
    pub kind: String,
    /// Byte offset in the input.
    pub offset: usize,
}

/// What is loaded in a guest: the core's [`tessera_core::PolicySummary`], owned (and
/// serialized back in the same shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedInfo {
    /// The tenant.
    pub tenant: String,
    /// The snapshot's revision (0 for a policy document).
    pub revision: u64,
    /// Issued at, seconds since the Unix epoch (snapshots only).
    pub issued_at: Option<i64>,
    /// Expiry, if any.
    pub expires_at: Option<i64>,
    /// Id of the key that signed it (snapshots only).
    pub signed_by: Option<String>,
    /// Id of the key that encrypted it, if it was encrypted.
    pub encrypted_with: Option<String>,
    /// Users with at least one membership.
    pub users: usize,
    /// Roles.
    pub roles: usize,
}
