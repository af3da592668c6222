//! Why a token was refused: one variant per rule, each with a stable code.

use alloc::string::String;
use core::fmt;

/// A refused token. Values copied from the token (alg, kid, typ, claim names) are
/// cut to 64 printable ASCII characters, so a hostile token cannot flood a log.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url segments of JSON objects, or a claim of the wrong type.
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// Longer than the configured maximum.
    TooLarge {
        /// The token's length in bytes.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// `alg` is not one this validator accepts (`none` never is).
    AlgorithmNotAllowed {
        /// The token's `alg`.
        alg: String,
    },
    /// The key chosen for the token is bound to another algorithm, or no key is bound
    /// to the token's algorithm.
    AlgorithmMismatch {
        /// The token's `alg`.
        alg: String,
    },
    /// No key has the token's `kid`.
    UnknownKid {
        /// The token's `kid`.
        kid: String,
    },
    /// The token has no `kid` and several keys are bound to its algorithm.
    AmbiguousKey,
    /// The signature does not verify.
    BadSignature,
    /// `exp` has passed (after leeway).
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `nbf` is still ahead (after leeway).
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The time of the check.
        now: i64,
    },
    /// `iat` is in the future (after leeway).
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The time of the check.
        now: i64,
    },
    /// Issued longer ago than the configured maximum age.
    TooOld {
        /// The token's `iat`.
        iat: i64,
        /// The time of the check.
        now: i64,
    },
    /// `iss` is not an accepted issuer.
    WrongIssuer,
    /// No `aud` value is an accepted audience.
    WrongAudience,
    /// A required claim is absent.
    MissingClaim {
        /// The claim's name.
        claim: String,
    },
    /// The header lists a critical extension (`crit`) this validator does not know.
    UnknownCrit {
        /// The first unknown name.
        name: String,
    },
    /// `typ` is not an accepted type.
    WrongType {
        /// The token's `typ`.
        typ: String,
    },
}

impl TokenError {
    /// The stable code (`ERR_TOKEN_...`), shared by the JS package and the HTTP API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "ERR_TOKEN_MALFORMED",
            Self::TooLarge { .. } => "ERR_TOKEN_TOO_LARGE",
            Self::AlgorithmNotAllowed { .. } => "ERR_TOKEN_ALG_NOT_ALLOWED",
            Self::AlgorithmMismatch { .. } => "ERR_TOKEN_ALG_MISMATCH",
            Self::UnknownKid { .. } => "ERR_TOKEN_UNKNOWN_KID",
            Self::AmbiguousKey => "ERR_TOKEN_AMBIGUOUS_KEY",
            Self::BadSignature => "ERR_TOKEN_BAD_SIGNATURE",
            Self::Expired { .. } => "ERR_TOKEN_EXPIRED",
            Self::NotYetValid { .. } => "ERR_TOKEN_NOT_YET_VALID",
            Self::IssuedInFuture { .. } => "ERR_TOKEN_ISSUED_IN_FUTURE",
            Self::TooOld { .. } => "ERR_TOKEN_TOO_OLD",
            Self::WrongIssuer => "ERR_TOKEN_WRONG_ISSUER",
            Self::WrongAudience => "ERR_TOKEN_WRONG_AUDIENCE",
            Self::MissingClaim { .. } => "ERR_TOKEN_MISSING_CLAIM",
            Self::UnknownCrit { .. } => "ERR_TOKEN_UNKNOWN_CRIT",
            Self::WrongType { .. } => "ERR_TOKEN_WRONG_TYP",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { reason } => write!(f, "token is malformed: {reason}"),
            Self::TooLarge { len, max } => write!(f, "token is {len} bytes, more than {max}"),
            Self::AlgorithmNotAllowed { alg } => write!(f, "token algorithm `{alg}` is not allowed"),
            Self::AlgorithmMismatch { alg } => write!(f, "no key for algorithm `{alg}` matches the token"),
            Self::UnknownKid { kid } => write!(f, "token key id `{kid}` is unknown"),
            Self::AmbiguousKey => f.write_str("token has no key id and several keys could verify it"),
            Self::BadSignature => f.write_str("token signature does not verify"),
            Self::Expired { exp, now } => write!(f, "token expired at {exp} (now {now})"),
            Self::NotYetValid { nbf, now } => write!(f, "token is not valid before {nbf} (now {now})"),
            Self::IssuedInFuture { iat, now } => {
                write!(f, "token is issued in the future at {iat} (now {now})")
            }
            Self::TooOld { iat, now } => write!(f, "token issued at {iat} is too old (now {now})"),
            Self::WrongIssuer => f.write_str("token issuer is not accepted"),
            Self::WrongAudience => f.write_str("token audience is not accepted"),
            Self::MissingClaim { claim } => write!(f, "token lacks the required claim `{claim}`"),
            Self::UnknownCrit { name } => write!(f, "token requires the unknown critical extension `{name}`"),
            Self::WrongType { typ } => write!(f, "token type `{typ}` is not accepted"),
        }
    }
}

impl core::error::Error for TokenError {}

/// A value from a token, made safe to show: printable ASCII, at most 64 characters.
pub(crate) fn shown(value: &str) -> String {
    value.chars().take(64).map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect()
}
