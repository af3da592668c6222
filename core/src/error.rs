//! Errors, one enum per job, each variant with a stable code shared by every face
//! (the JS package and the HTTP API return the same strings).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::ident::IdentifierError;

/// Any error the core reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The policy breaks an authoring rule.
    Policy(PolicyError),
    /// A snapshot was refused.
    Snapshot(SnapshotError),
    /// A key could not be read or used.
    Key(KeyError),
    /// A token was refused.
    Token(crate::jwt::TokenError),
}

impl Error {
    /// The stable code of this error (`ERR_...`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Policy(e) => e.code(),
            Self::Snapshot(e) => e.code(),
            Self::Key(e) => e.code(),
            Self::Token(e) => e.code(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Policy(e) => e.fmt(f),
            Self::Snapshot(e) => e.fmt(f),
            Self::Key(e) => e.fmt(f),
            Self::Token(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for Error {}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Self::Policy(e)
    }
}

impl From<SnapshotError> for Error {
    fn from(e: SnapshotError) -> Self {
        Self::Snapshot(e)
    }
}

impl From<crate::jwt::TokenError> for Error {
    fn from(e: crate::jwt::TokenError) -> Self {
        Self::Token(e)
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

/// A policy that breaks an authoring rule. Nothing of such a policy is ever loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// An identifier breaks its rule; `field` says where (`roles.editor.grants`).
    InvalidIdentifier {
        /// Where in the policy the identifier sits.
        field: String,
        /// Which rule it broke.
        error: IdentifierError,
    },
    /// A role names a parent that is not defined.
    UnknownParent {
        /// The role naming the parent.
        role: String,
        /// The missing parent.
        parent: String,
    },
    /// A user is made a member of a role that is not defined.
    UnknownRole {
        /// The user.
        user: String,
        /// The missing role.
        role: String,
    },
    /// The role hierarchy has a cycle; `cycle` lists it, first role repeated at the end.
    Cycle {
        /// The roles on the cycle, e.g. `[a, b, a]`.
        cycle: Vec<String>,
    },
    /// The same entry appears twice where entries must be unique.
    Duplicate {
        /// Where (`roles`, `members`, `roles.editor.grants`, ...).
        field: String,
        /// The repeated value.
        value: String,
    },
    /// A role description is too long or holds a control character other than tab and newline.
    InvalidDescription {
        /// The role.
        role: String,
    },
    /// An encoded policy is not in canonical form (order, lengths, offsets).
    NotCanonical {
        /// What is out of order.
        field: &'static str,
    },
    /// An index in an encoded policy points past the role table.
    IndexOutOfRange {
        /// Where the index sits.
        field: &'static str,
        /// The index.
        index: u32,
    },
    /// The policy document could not be parsed (syntax, unknown field, wrong type).
    Document {
        /// The parser's description, with its position.
        message: String,
    },
    /// A role is named (by a group, a grant or a rule) that is not defined.
    UndefinedRole {
        /// Where it is named (`grants[3]`, `rules.owners.roles`, ...).
        field: String,
        /// The missing role.
        role: String,
    },
    /// A resource type is named that `types` does not declare.
    UnknownType {
        /// Where it is named.
        field: String,
        /// The undeclared type.
        name: String,
    },
    /// A permission pattern names an action its type does not declare.
    UndeclaredAction {
        /// Where the pattern sits.
        field: String,
        /// The type.
        kind: String,
        /// The undeclared action.
        action: String,
    },
    /// A resource (`type:id`) is named as a parent or grant target but not stored.
    UnknownResource {
        /// Where it is named.
        field: String,
        /// The missing resource.
        resource: String,
    },
    /// A group is named (as a parent or in a grant) that is not defined.
    UnknownGroup {
        /// Where it is named.
        field: String,
        /// The missing group.
        group: String,
    },
    /// Resource parents form a cycle; `cycle` lists it, first resource repeated at the end.
    ResourceCycle {
        /// The resources on the cycle (`type:id`).
        cycle: Vec<String>,
    },
    /// Group parents form a cycle; `cycle` lists it, first group repeated at the end.
    GroupCycle {
        /// The groups on the cycle.
        cycle: Vec<String>,
    },
    /// A resource sits under more than `limit` resources (itself included), or a
    /// group's members would hold more than `limit` groups through it.
    TooManyAncestors {
        /// `resources` or `groups`.
        field: &'static str,
        /// The resource (`type:id`) or group.
        name: String,
        /// The limit.
        limit: usize,
    },
    /// A rule's condition does not parse or cannot be true or false as written.
    Condition {
        /// The rule's id.
        rule: String,
        /// What is wrong, and at which byte.
        error: crate::condition::ConditionError,
    },
}

impl PolicyError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidIdentifier { .. } => "ERR_INVALID_IDENTIFIER",
            Self::UnknownParent { .. } => "ERR_POLICY_UNKNOWN_PARENT",
            Self::UnknownRole { .. } => "ERR_POLICY_UNKNOWN_ROLE",
            Self::Duplicate { .. } => "ERR_POLICY_DUPLICATE",
            Self::InvalidDescription { .. } => "ERR_POLICY_INVALID_DESCRIPTION",
            Self::NotCanonical { .. } => "ERR_POLICY_NOT_CANONICAL",
            Self::IndexOutOfRange { .. } => "ERR_POLICY_INDEX_OUT_OF_RANGE",
            Self::Document { .. } => "ERR_POLICY_DOCUMENT",
            Self::UndefinedRole { .. } => "ERR_POLICY_UNKNOWN_ROLE",
            Self::UnknownType { .. } => "ERR_POLICY_UNKNOWN_TYPE",
            Self::UndeclaredAction { .. } => "ERR_POLICY_UNDECLARED_ACTION",
            Self::UnknownResource { .. } => "ERR_POLICY_UNKNOWN_RESOURCE",
            Self::UnknownGroup { .. } => "ERR_POLICY_UNKNOWN_GROUP",
            Self::Cycle { .. } | Self::ResourceCycle { .. } | Self::GroupCycle { .. } => "ERR_POLICY_CYCLE",
            Self::Condition { .. } => "ERR_POLICY_CONDITION",
            Self::TooManyAncestors { .. } => "ERR_POLICY_TOO_DEEP",
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidIdentifier { field, error } => write!(f, "invalid `{field}`: {error}"),
            Self::UnknownParent { role, parent } => {
                write!(f, "role `{role}` names the undefined parent role `{parent}`")
            }
            Self::UnknownRole { user, role } => {
                write!(f, "user `{user}` is a member of the undefined role `{role}`")
            }
            Self::Cycle { cycle } => write_cycle(f, "role hierarchy", cycle),
            Self::ResourceCycle { cycle } => write_cycle(f, "resource parents", cycle),
            Self::GroupCycle { cycle } => write_cycle(f, "group parents", cycle),
            Self::UndefinedRole { field, role } => write!(f, "`{field}` names the undefined role `{role}`"),
            Self::UnknownType { field, name } => {
                write!(f, "`{field}` names the type `{name}`, which `types` does not declare")
            }
            Self::UndeclaredAction { field, kind, action } => {
                write!(f, "`{field}` names the action `{action}`, which type `{kind}` does not declare")
            }
            Self::UnknownResource { field, resource } => {
                write!(f, "`{field}` names the resource `{resource}`, which `resources` does not hold")
            }
            Self::UnknownGroup { field, group } => write!(f, "`{field}` names the undefined group `{group}`"),
            Self::Condition { rule, error } => write!(f, "condition of rule `{rule}`: {error}"),
            Self::TooManyAncestors { field, name, limit } => {
                write!(f, "`{field}.{name}` sits under more than {limit} of them, itself included")
            }
            Self::Duplicate { field, value } => write!(f, "`{value}` appears twice in `{field}`"),
            Self::InvalidDescription { role } => write!(
                f,
                "description of role `{role}` is longer than {} bytes or holds a control character other than tab and newline",
                crate::policy::MAX_DESCRIPTION_LEN
            ),
            Self::NotCanonical { field } => write!(f, "`{field}` is not in canonical form"),
            Self::IndexOutOfRange { field, index } => {
                write!(f, "`{field}` holds the index {index}, past the end of its table")
            }
            Self::Document { message } => write!(f, "policy document: {message}"),
        }
    }
}

/// `what has a cycle: a -> b -> a`.
fn write_cycle(f: &mut fmt::Formatter<'_>, what: &str, cycle: &[String]) -> fmt::Result {
    write!(f, "{what} has a cycle: ")?;
    for (i, name) in cycle.iter().enumerate() {
        if i > 0 {
            f.write_str(" -> ")?;
        }
        f.write_str(name)?;
    }
    Ok(())
}

impl core::error::Error for PolicyError {}

/// A snapshot the loader refused. The authorizer in force, if any, stays in force.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The input ends before the envelope or payload is complete.
    Truncated,
    /// The input is larger than the configured limit.
    Oversized {
        /// Size of the input in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The bytes are not a well-formed envelope or snapshot.
    Malformed {
        /// What was wrong.
        reason: String,
    },
    /// The envelope was signed with a key the loader does not trust.
    UnknownKeyId {
        /// The key id named by the envelope.
        kid: String,
    },
    /// The signature does not verify with the named key.
    BadSignature,
    /// The payload is encrypted with a key the loader does not hold.
    UnknownDecryptionKey {
        /// The key id named by the envelope.
        kid: String,
    },
    /// The encrypted payload failed authentication.
    DecryptionFailed,
    /// The envelope or payload has a format version this build does not read.
    UnsupportedVersion {
        /// The version found.
        version: u64,
    },
    /// The snapshot is older than the one already loaded.
    Rollback {
        /// Revision currently in force.
        loaded: u64,
        /// Revision offered.
        offered: u64,
    },
    /// The snapshot expired.
    Expired {
        /// Its expiry, seconds since the Unix epoch.
        expires_at: i64,
        /// The time it was checked at.
        now: i64,
    },
    /// The snapshot is for another tenant than the one loaded. Neither is named: a
    /// tenant is its client key, a credential that no error message may carry.
    TenantMismatch,
    /// The snapshot answers for another subject than the one loaded (or for every
    /// user where one user's was loaded, or the reverse): a page signed in as one
    /// user never swaps to another's slice.
    SubjectMismatch,
    /// The snapshot is well signed but its policy breaks an authoring rule.
    InvalidPolicy(PolicyError),
}

impl SnapshotError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated => "ERR_SNAPSHOT_TRUNCATED",
            Self::Oversized { .. } => "ERR_SNAPSHOT_OVERSIZED",
            Self::Malformed { .. } => "ERR_SNAPSHOT_MALFORMED",
            Self::UnknownKeyId { .. } => "ERR_SNAPSHOT_UNKNOWN_KEY_ID",
            Self::BadSignature => "ERR_SNAPSHOT_BAD_SIGNATURE",
            Self::UnknownDecryptionKey { .. } => "ERR_SNAPSHOT_UNKNOWN_DECRYPTION_KEY",
            Self::DecryptionFailed => "ERR_SNAPSHOT_DECRYPTION_FAILED",
            Self::UnsupportedVersion { .. } => "ERR_SNAPSHOT_UNSUPPORTED_VERSION",
            Self::Rollback { .. } => "ERR_SNAPSHOT_ROLLBACK",
            Self::Expired { .. } => "ERR_SNAPSHOT_EXPIRED",
            Self::TenantMismatch => "ERR_SNAPSHOT_TENANT_MISMATCH",
            Self::SubjectMismatch => "ERR_SNAPSHOT_SUBJECT",
            Self::InvalidPolicy(_) => "ERR_SNAPSHOT_INVALID_POLICY",
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("snapshot is truncated"),
            Self::Oversized { size, limit } => {
                write!(f, "snapshot is {size} bytes, more than the limit of {limit}")
            }
            Self::Malformed { reason } => write!(f, "snapshot is malformed: {reason}"),
            Self::UnknownKeyId { kid } => {
                write!(f, "snapshot is signed with unknown key id `{kid}`")
            }
            Self::BadSignature => f.write_str("snapshot signature does not verify"),
            Self::UnknownDecryptionKey { kid } => {
                write!(f, "snapshot is encrypted with unknown key id `{kid}`")
            }
            Self::DecryptionFailed => f.write_str("snapshot payload failed to decrypt"),
            Self::UnsupportedVersion { version } => {
                write!(f, "snapshot format version {version} is not supported")
            }
            Self::Rollback { loaded, offered } => {
                write!(f, "snapshot revision {offered} is older than the loaded revision {loaded}")
            }
            Self::Expired { expires_at, now } => {
                write!(f, "snapshot expired at {expires_at} (now {now})")
            }
            Self::TenantMismatch => f.write_str("the snapshot is for another tenant than the one loaded"),
            Self::SubjectMismatch => {
                f.write_str("the snapshot answers for another subject than the one loaded")
            }
            Self::InvalidPolicy(e) => write!(f, "snapshot policy is invalid: {e}"),
        }
    }
}

impl core::error::Error for SnapshotError {}

/// Why the authorizer answered no question.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// An identifier in the question breaks its rule.
    Identifier(IdentifierError),
    /// The authorizer is scoped to one subject ([`crate::Policy::for_subject`]) and
    /// the question is about someone else, or about users or roles at large, which
    /// its slice cannot answer as the tenant's policy would. Never a silent deny.
    OutOfScope,
}

impl QueryError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Identifier(e) => e.code(),
            Self::OutOfScope => "ERR_SNAPSHOT_SUBJECT",
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Identifier(e) => e.fmt(f),
            Self::OutOfScope => f.write_str(
                "this snapshot is scoped to one subject and answers questions about that subject only",
            ),
        }
    }
}

impl core::error::Error for QueryError {}

impl From<IdentifierError> for QueryError {
    fn from(e: IdentifierError) -> Self {
        Self::Identifier(e)
    }
}

/// A key that cannot be read or used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The JWK is not a well-formed key of a supported type.
    InvalidJwk {
        /// What was wrong.
        reason: String,
    },
    /// An encryption key is not 32 bytes of base64.
    InvalidEncryptionKey,
    /// An HMAC secret shorter than its algorithm's hash.
    WeakSecret {
        /// The algorithm.
        alg: &'static str,
        /// The secret's length in bytes.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// The algorithm cannot be used for this operation (RSA signing, for one).
    UnsupportedAlgorithm {
        /// The algorithm's JOSE name.
        alg: &'static str,
    },
    /// Two keys of one set share a key id.
    DuplicateKeyId {
        /// The repeated kid.
        kid: String,
    },
    /// The platform's random source failed.
    Randomness,
    /// The key's algorithm needs arithmetic this face has not loaded (ES256, RS256
    /// and PS256 in a browser before the public-key module is).
    AlgorithmUnavailable {
        /// The algorithm's JOSE name.
        alg: &'static str,
        /// What to do about it.
        reason: String,
    },
}

impl KeyError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJwk { .. } => "ERR_KEY_INVALID_JWK",
            Self::InvalidEncryptionKey => "ERR_KEY_INVALID_ENCRYPTION_KEY",
            Self::WeakSecret { .. } => "ERR_KEY_WEAK_SECRET",
            Self::DuplicateKeyId { .. } => "ERR_KEY_DUPLICATE_KID",
            Self::UnsupportedAlgorithm { .. } => "ERR_KEY_UNSUPPORTED_ALGORITHM",
            Self::Randomness => "ERR_KEY_RANDOMNESS",
            Self::AlgorithmUnavailable { .. } => "ERR_KEY_ALGORITHM_UNAVAILABLE",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJwk { reason } => write!(f, "invalid JWK: {reason}"),
            Self::InvalidEncryptionKey => f.write_str("encryption key must be 32 bytes, base64-encoded"),
            Self::Randomness => f.write_str("the random source failed"),
            Self::WeakSecret { alg, len, min } => write!(
                f,
                "{alg} secret is {len} bytes; it needs at least {min} random bytes (e.g. `openssl rand -base64 {min}`)"
            ),
            Self::DuplicateKeyId { kid } => write!(f, "two keys share the key id `{kid}`"),
            Self::UnsupportedAlgorithm { alg } => {
                write!(f, "{alg} cannot be used here; Tessera signs with HS256, HS384, HS512, ES256 or EdDSA")
            }
            Self::AlgorithmUnavailable { alg, reason } => {
                write!(f, "{alg} keys cannot be used yet: {reason}")
            }
        }
    }
}

impl core::error::Error for KeyError {}

/// Any refusal as the faces report it (the guest's failed calls, the npm package's
/// `TesseraError`): the stable code, the message, and for identifiers the violated
/// part of the rule. Serializes as `{"code", "message", "violation"?}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ErrorReport {
    /// The stable code (`ERR_...`).
    pub code: &'static str,
    /// What was wrong, for people.
    pub message: String,
    /// For `ERR_INVALID_IDENTIFIER`: `empty`, `forbidden_char`, `too_long`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<&'static str>,
}

/// The code, when it is a refusal of the request as sent (an argument or an
/// identifier it got wrong) rather than a fault of the engine or its host: the one
/// place a face decides between 400 and a server status.
pub fn refusal(code: &str) -> Option<&'static str> {
    ["ERR_INVALID_ARGUMENT", "ERR_INVALID_IDENTIFIER", "ERR_SNAPSHOT_SUBJECT"]
        .into_iter()
        .find(|&refusal| refusal == code)
}

/// The code, when it says the engine can decide nothing now but may once a fresh
/// snapshot is in force (none loaded yet, the one in force expired): a face answers
/// it as unavailable (HTTP 503), not as its own fault.
pub fn unavailable(code: &str) -> Option<&'static str> {
    ["ERR_NOT_LOADED", "ERR_SNAPSHOT_EXPIRED"].into_iter().find(|&known| known == code)
}

impl ErrorReport {
    /// A report with a face's own code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), violation: None }
    }

    /// A call that needs a policy came before any was loaded.
    pub fn not_loaded() -> Self {
        Self::new("ERR_NOT_LOADED", "no snapshot or policy is loaded")
    }

    /// A face's caller passed what its calling convention does not allow (a length
    /// past the buffer, bytes that are not UTF-8, an unknown kind).
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new("ERR_INVALID_ARGUMENT", message)
    }

    /// The report as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            String::from(r#"{"code":"ERR_INTERNAL","message":"an error could not be reported"}"#)
        })
    }
}

macro_rules! report_of {
    ($($error:ty),*) => {$(
        impl From<$error> for ErrorReport {
            fn from(error: $error) -> Self {
                Self::new(error.code(), alloc::string::ToString::to_string(&error))
            }
        }
    )*};
}

report_of!(Error, PolicyError, SnapshotError, KeyError, crate::jwt::TokenError);

impl From<QueryError> for ErrorReport {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::Identifier(e) => e.into(),
            other => Self::new(other.code(), alloc::string::ToString::to_string(&other)),
        }
    }
}

impl From<IdentifierError> for ErrorReport {
    fn from(error: IdentifierError) -> Self {
        Self {
            code: error.code(),
            message: alloc::string::ToString::to_string(&error),
            violation: Some(error.violation().code()),
        }
    }
}
