//! The answer to a check, with the reason for it.

use serde::Serialize;

/// The outcome of `check(user, permission)`. Every variant says why.
///
/// When several grants (or denies) match, the reason names the most specific
/// pattern (`posts:read`, then `posts:*`, then `*`) and, among roles holding it,
/// the first by name, so every runtime reports the same reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Decision<'a> {
    /// Allowed: `role` (in the user's closure) holds the grant `grant`.
    Granted {
        /// The role holding the grant.
        role: &'a str,
        /// The grant pattern that matched.
        grant: &'a str,
    },
    /// Denied: `role` (in the user's closure) holds the deny `deny`, which beats any grant.
    Denied {
        /// The role holding the deny.
        role: &'a str,
        /// The deny pattern that matched.
        deny: &'a str,
    },
    /// Denied: the user has no membership in this tenant.
    UnknownUser,
    /// Denied: no role in the user's closure grants the permission.
    NoMatchingGrant,
    /// Denied: the tenant is under strict users and the user holds no live API key.
    UserNotKeyBacked,
}

impl Decision<'_> {
    /// Whether the permission is granted.
    pub fn allowed(&self) -> bool {
        matches!(self, Self::Granted { .. })
    }

    /// The reason as a stable string: `granted`, `denied`, `unknown_user`,
    /// `no_matching_grant`, `user_not_key_backed`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Granted { .. } => "granted",
            Self::Denied { .. } => "denied",
            Self::UnknownUser => "unknown_user",
            Self::NoMatchingGrant => "no_matching_grant",
            Self::UserNotKeyBacked => "user_not_key_backed",
        }
    }

    /// The role the decision rests on, if any.
    pub fn role(&self) -> Option<&str> {
        match *self {
            Self::Granted { role, .. } | Self::Denied { role, .. } => Some(role),
            _ => None,
        }
    }

    /// The grant or deny pattern the decision rests on, if any.
    pub fn pattern(&self) -> Option<&str> {
        match *self {
            Self::Granted { grant, .. } => Some(grant),
            Self::Denied { deny, .. } => Some(deny),
            _ => None,
        }
    }
}
