//! Why a check decided as it did: the one table of reasons, with the stable name
//! every face reports and the number that carries it across a wasm boundary.

use core::fmt;

use serde::{Serialize, Serializer};

/// The reason of a [`Decision`](super::Decision). Its name and its code are stable:
/// faces send the code (one byte) and report the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Reason {
    /// A role in the user's closure grants the permission.
    Granted = 0,
    /// A role in the user's closure denies it, which beats any grant.
    Denied = 1,
    /// The user has no membership in this tenant.
    UnknownUser = 2,
    /// No role in the user's closure grants it.
    NoMatchingGrant = 3,
    /// The tenant is under strict users and the user holds no live API key.
    UserNotKeyBacked = 4,
    /// A permit rule allows it (and no role grant did).
    Permitted = 5,
    /// A forbid rule denies it, which beats every grant and permit.
    Forbidden = 6,
}

impl Reason {
    /// Every reason, in code order (`ALL[code]` is the reason of `code`).
    pub const ALL: [Self; 7] = [
        Self::Granted,
        Self::Denied,
        Self::UnknownUser,
        Self::NoMatchingGrant,
        Self::UserNotKeyBacked,
        Self::Permitted,
        Self::Forbidden,
    ];

    /// The stable name: `granted`, `denied`, `unknown_user`, `no_matching_grant`,
    /// `user_not_key_backed`, `permitted`, `forbidden`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Denied => "denied",
            Self::UnknownUser => "unknown_user",
            Self::NoMatchingGrant => "no_matching_grant",
            Self::UserNotKeyBacked => "user_not_key_backed",
            Self::Permitted => "permitted",
            Self::Forbidden => "forbidden",
        }
    }

    /// Whether a decision with this reason allows.
    pub fn allows(self) -> bool {
        matches!(self, Self::Granted | Self::Permitted)
    }

    /// The one-byte code faces send in place of the name.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reason for a code, if it names one.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_index_the_table_and_stay_stable() {
        for (i, reason) in Reason::ALL.iter().enumerate() {
            assert_eq!(usize::from(reason.code()), i);
            assert_eq!(Reason::from_code(reason.code()), Some(*reason));
        }
        assert_eq!(Reason::from_code(3), Some(Reason::NoMatchingGrant));
        assert_eq!(Reason::from_code(4), Some(Reason::UserNotKeyBacked));
        assert_eq!(Reason::from_code(6), Some(Reason::Forbidden));
        assert_eq!(Reason::from_code(7), None);
    }
}
