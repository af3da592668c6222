//! Identifier rules shared by every face: role, user, permission, client key, and
//! the resource model's resource types, actions and resource ids.
//!
//! The character sets are those of the reference system "Auth", so its clients keep
//! working; `:` (segments) and `*` (wildcards) are Tessera's additions for permissions.

use core::fmt;

/// What an identifier names; each kind has its own rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    /// A role name: `^[A-Za-z0-9_-]{1,64}$`.
    Role,
    /// A user id: `^[A-Za-z0-9_.@+|:-]{1,64}$` (Auth 3.7's rule).
    User,
    /// A permission asked about in a query: `^[A-Za-z0-9_:*.-]{1,128}$`.
    Permission,
    /// A grant or deny pattern: a permission whose only `*` may be a whole last segment.
    Pattern,
    /// A tenant's client key: a canonical lowercase UUID version 4.
    ClientKey,
    /// The label of an API key: `^[A-Za-z0-9 _.-]{1,64}$`, no leading or trailing space.
    ApiKeyLabel,
    /// A resource type: `^[a-z][a-z0-9_-]{0,63}$`.
    ResourceType,
    /// An action on a resource type: `^[A-Za-z0-9_.-]{1,64}$`.
    Action,
    /// A resource id: 1 to 256 bytes of UTF-8 without control characters
    /// (`route:/todos/{todoId}` and `Q3 report.pdf` are ids).
    ResourceId,
    /// A group name: `^[A-Za-z0-9_-]{1,64}$` (the role rule).
    Group,
    /// A rule id: `^[A-Za-z0-9_.-]{1,64}$`.
    RuleId,
    /// An attribute name: `^[A-Za-z_][A-Za-z0-9_]{0,63}$`, so a condition can name it.
    Attribute,
}

impl IdentifierKind {
    /// The field name used in messages and error codes.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::User => "user",
            Self::Permission => "permission",
            Self::Pattern => "permission pattern",
            Self::ClientKey => "client key",
            Self::ApiKeyLabel => "API key label",
            Self::ResourceType => "resource type",
            Self::Action => "action",
            Self::ResourceId => "resource id",
            Self::Group => "group",
            Self::RuleId => "rule id",
            Self::Attribute => "attribute name",
        }
    }

    /// A stable name for APIs and test vectors: `role`, `user`, `permission`,
    /// `pattern`, `client_key`, `api_key_label`, `resource_type`, `action`,
    /// `resource_id`, `group`, `rule_id`, `attribute`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::User => "user",
            Self::Permission => "permission",
            Self::Pattern => "pattern",
            Self::ClientKey => "client_key",
            Self::ApiKeyLabel => "api_key_label",
            Self::ResourceType => "resource_type",
            Self::Action => "action",
            Self::ResourceId => "resource_id",
            Self::Group => "group",
            Self::RuleId => "rule_id",
            Self::Attribute => "attribute",
        }
    }

    /// The kind named by [`code`](Self::code), if any.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Role,
            Self::User,
            Self::Permission,
            Self::Pattern,
            Self::ClientKey,
            Self::ApiKeyLabel,
            Self::ResourceType,
            Self::Action,
            Self::ResourceId,
            Self::Group,
            Self::RuleId,
            Self::Attribute,
        ]
        .into_iter()
        .find(|kind| kind.code() == code)
    }

    /// The rule this kind of identifier must follow, as shown to users.
    pub const fn rule(self) -> &'static str {
        match self {
            Self::Role => "^[A-Za-z0-9_-]{1,64}$",
            Self::User => "^[A-Za-z0-9_.@+|:-]{1,64}$",
            Self::Permission => "^[A-Za-z0-9_:*.-]{1,128}$",
            Self::Pattern => "^[A-Za-z0-9_:*.-]{1,128}$ with `*` only as a whole last segment",
            Self::ClientKey => "a lowercase UUID4 such as 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
            Self::ApiKeyLabel => "^[A-Za-z0-9 _.-]{1,64}$ without leading or trailing spaces",
            Self::ResourceType => "^[a-z][a-z0-9_-]{0,63}$",
            Self::Action => "^[A-Za-z0-9_.-]{1,64}$",
            Self::ResourceId => "1 to 256 bytes of UTF-8 without control characters",
            Self::Group => "^[A-Za-z0-9_-]{1,64}$",
            Self::RuleId => "^[A-Za-z0-9_.-]{1,64}$",
            Self::Attribute => "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
        }
    }

    /// The rule as a regular expression (the common subset of ECMAScript, Python and
    /// Rust syntax, no look-around), for schemas such as `/openapi.json`; the length
    /// limit is [`max_len`](Self::max_len).
    pub const fn regex(self) -> &'static str {
        match self {
            Self::Role => "^[A-Za-z0-9_-]+$",
            Self::User => "^[A-Za-z0-9_.@+|:-]+$",
            Self::Permission => "^[A-Za-z0-9_:*.-]+$",
            Self::Pattern => r"^(\*|[A-Za-z0-9_:.-]*:\*|[A-Za-z0-9_:.-]+)$",
            Self::ClientKey => "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
            Self::ApiKeyLabel => "^[A-Za-z0-9_.-]([A-Za-z0-9 _.-]*[A-Za-z0-9_.-])?$",
            Self::ResourceType => "^[a-z][a-z0-9_-]*$",
            Self::Action => "^[A-Za-z0-9_.-]+$",
            Self::ResourceId => r"^[^\x00-\x1f\x7f-\x9f]+$",
            Self::Group => "^[A-Za-z0-9_-]+$",
            Self::RuleId => "^[A-Za-z0-9_.-]+$",
            Self::Attribute => "^[A-Za-z_][A-Za-z0-9_]*$",
        }
    }

    const fn class_mask(self) -> u8 {
        match self {
            Self::Role | Self::Group => ROLE_CHAR,
            Self::User => USER_CHAR,
            Self::Permission | Self::Pattern => PERMISSION_CHAR,
            Self::ApiKeyLabel => LABEL_CHAR,
            Self::ResourceType => TYPE_CHAR,
            Self::Action | Self::RuleId => ACTION_CHAR,
            Self::Attribute => ATTRIBUTE_CHAR,
            // Checked by shape or by character, never by this table.
            Self::ClientKey | Self::ResourceId => 0,
        }
    }

    /// The longest identifier of this kind, in bytes.
    pub const fn max_len(self) -> usize {
        match self {
            Self::Role
            | Self::User
            | Self::ApiKeyLabel
            | Self::ResourceType
            | Self::Action
            | Self::Group
            | Self::RuleId
            | Self::Attribute => 64,
            Self::Permission | Self::Pattern => 128,
            Self::ClientKey => 36,
            Self::ResourceId => 256,
        }
    }
}

/// Which part of an identifier's rule was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// The identifier is empty.
    Empty,
    /// The identifier is longer than the rule allows (length in bytes).
    TooLong {
        /// Length of the rejected identifier in bytes.
        len: usize,
        /// The maximum length.
        max: usize,
    },
    /// A character outside the allowed set (Unicode and control characters included).
    ForbiddenChar {
        /// The offending character.
        ch: char,
        /// Its byte offset.
        at: usize,
    },
    /// A `*` that is not the whole last segment of a pattern.
    MisplacedWildcard,
    /// Not a canonical lowercase UUID version 4.
    NotUuid4,
    /// A label that starts or ends with a space.
    EdgeSpace,
}

impl Violation {
    /// A stable name: `empty`, `too_long`, `forbidden_char`, `misplaced_wildcard`,
    /// `not_uuid4`, `edge_space`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong { .. } => "too_long",
            Self::ForbiddenChar { .. } => "forbidden_char",
            Self::MisplacedWildcard => "misplaced_wildcard",
            Self::NotUuid4 => "not_uuid4",
            Self::EdgeSpace => "edge_space",
        }
    }
}

/// An identifier that breaks its rule. Names the field and the rule, never echoes the
/// (possibly huge or hostile) value itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentifierError {
    kind: IdentifierKind,
    violation: Violation,
}

impl IdentifierError {
    /// The stable error code, shared with policy errors.
    pub fn code(&self) -> &'static str {
        "ERR_INVALID_IDENTIFIER"
    }

    /// The kind of identifier that was rejected.
    pub fn kind(&self) -> IdentifierKind {
        self.kind
    }

    /// What part of the rule was broken.
    pub fn violation(&self) -> Violation {
        self.violation
    }
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.name();
        let rule = self.kind.rule();
        match self.violation {
            Violation::Empty => write!(f, "{kind} is empty; it must match {rule}"),
            Violation::TooLong { len, max } => {
                write!(f, "{kind} is {len} bytes long, more than {max}; it must match {rule}")
            }
            Violation::ForbiddenChar { ch, at } => {
                write!(f, "{kind} has the character {:?} at byte {at}; it must match {rule}", ch)
            }
            Violation::MisplacedWildcard => {
                write!(f, "{kind} has a `*` that is not a whole last segment; it must match {rule}")
            }
            Violation::NotUuid4 => write!(f, "{kind} is not {rule}"),
            Violation::EdgeSpace => write!(f, "{kind} starts or ends with a space; it must match {rule}"),
        }
    }
}

impl core::error::Error for IdentifierError {}

/// Checks `value` against the rule of `kind`.
pub fn validate(kind: IdentifierKind, value: &str) -> Result<(), IdentifierError> {
    let fail = |violation| Err(IdentifierError { kind, violation });
    if value.is_empty() {
        return fail(Violation::Empty);
    }
    if kind == IdentifierKind::ClientKey {
        return if is_uuid4(value) { Ok(()) } else { fail(Violation::NotUuid4) };
    }
    if kind == IdentifierKind::ResourceId {
        if let Some((at, ch)) = value.char_indices().find(|(_, ch)| ch.is_control()) {
            return fail(Violation::ForbiddenChar { ch, at });
        }
        if value.len() > kind.max_len() {
            return fail(Violation::TooLong { len: value.len(), max: kind.max_len() });
        }
        return Ok(());
    }
    // A type starts with a lowercase letter, an attribute with a letter or `_` (the
    // table allows digits after them).
    let first_allowed = |ch: char| match kind {
        IdentifierKind::ResourceType => ch.is_ascii_lowercase(),
        IdentifierKind::Attribute => ch.is_ascii_alphabetic() || ch == '_',
        _ => true,
    };
    if let Some(first) = value.chars().next().filter(|&ch| !first_allowed(ch)) {
        return fail(Violation::ForbiddenChar { ch: first, at: 0 });
    }
    let mask = kind.class_mask();
    if let Some(at) = value.bytes().position(|b| CLASSES[usize::from(b)] & mask == 0) {
        // Every byte before `at` is ASCII, so `at` starts a character.
        let ch = value.get(at..).and_then(|rest| rest.chars().next()).unwrap_or('\u{fffd}');
        return fail(Violation::ForbiddenChar { ch, at });
    }
    if value.len() > kind.max_len() {
        return fail(Violation::TooLong { len: value.len(), max: kind.max_len() });
    }
    if kind == IdentifierKind::Pattern && !wildcard_well_placed(value) {
        return fail(Violation::MisplacedWildcard);
    }
    if kind == IdentifierKind::ApiKeyLabel && (value.starts_with(' ') || value.ends_with(' ')) {
        return fail(Violation::EdgeSpace);
    }
    Ok(())
}

const ROLE_CHAR: u8 = 1;
const USER_CHAR: u8 = 2;
const PERMISSION_CHAR: u8 = 4;
const LABEL_CHAR: u8 = 8;
const TYPE_CHAR: u8 = 16;
const ACTION_CHAR: u8 = 32;
const ATTRIBUTE_CHAR: u8 = 64;

/// For each byte, the kinds that allow it: one table lookup per byte keeps
/// validation off the profile of a check.
static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        let mut mask = 0;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            mask = ROLE_CHAR | USER_CHAR | PERMISSION_CHAR | LABEL_CHAR | ACTION_CHAR;
        }
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-' {
            mask |= TYPE_CHAR;
        }
        if b.is_ascii_alphanumeric() || b == b'_' {
            mask |= ATTRIBUTE_CHAR;
        }
        if b == b'.' {
            mask |= ACTION_CHAR;
        }
        if b == b' ' || b == b'.' {
            mask |= LABEL_CHAR;
        }
        // `|` and `:` are Auth 3.7's namespace separators (`auth0|5f7c...`, `ldap:bob`).
        if b == b'.' || b == b'@' || b == b'+' || b == b'|' || b == b':' {
            mask |= USER_CHAR;
        }
        if b == b':' || b == b'*' || b == b'.' {
            mask |= PERMISSION_CHAR;
        }
        table[byte] = mask;
        byte += 1;
    }
    table
};

/// A pattern may hold `*` only as its whole last segment: `*`, `posts:*`.
fn wildcard_well_placed(pattern: &str) -> bool {
    match pattern.find('*') {
        None => true,
        Some(at) => at + 1 == pattern.len() && (at == 0 || pattern.as_bytes().get(at - 1) == Some(&b':')),
    }
}

/// `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lowercase hex only.
fn is_uuid4(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            14 => b == b'4',
            19 => matches!(b, b'8' | b'9' | b'a' | b'b'),
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use IdentifierKind::*;
    use alloc::string::ToString;

    #[test]
    fn lengths_are_inclusive() {
        let max_role = "r".repeat(64);
        assert_eq!(validate(Role, &max_role), Ok(()));
        let err = validate(Role, &"r".repeat(65)).unwrap_err();
        assert_eq!(err.violation(), Violation::TooLong { len: 65, max: 64 });
        assert_eq!(validate(Permission, &"p".repeat(128)), Ok(()));
        assert!(validate(Permission, &"p".repeat(129)).is_err());
    }

    #[test]
    fn unicode_and_control_characters_are_refused_with_position() {
        let err = validate(User, "ali\u{e9}").unwrap_err();
        assert_eq!(err.violation(), Violation::ForbiddenChar { ch: '\u{e9}', at: 3 });
        let err = validate(Role, "a\nb").unwrap_err();
        assert_eq!(err.violation(), Violation::ForbiddenChar { ch: '\n', at: 1 });
        assert!(err.to_string().contains("role"));
        assert!(err.to_string().contains("^[A-Za-z0-9_-]{1,64}$"));
    }

    #[test]
    fn wildcards_only_as_whole_last_segment() {
        for ok in ["*", "posts:*", "a:b:*", "posts:read"] {
            assert_eq!(validate(Pattern, ok), Ok(()), "{ok}");
        }
        for bad in ["po*", "*:read", "posts:*:read", "posts:**", "posts*"] {
            let err = validate(Pattern, bad).unwrap_err();
            assert_eq!(err.violation(), Violation::MisplacedWildcard, "{bad}");
        }
        // A query may name `*` literally; only patterns give it meaning.
        assert_eq!(validate(Permission, "po*"), Ok(()));
    }

    #[test]
    fn resource_types_actions_and_ids_follow_the_resource_model() {
        assert_eq!(validate(ResourceType, "document"), Ok(()));
        assert_eq!(validate(ResourceType, "todo-list_2"), Ok(()));
        let err = validate(ResourceType, "2fa").unwrap_err();
        assert_eq!(err.violation(), Violation::ForbiddenChar { ch: '2', at: 0 });
        let err = validate(ResourceType, "Document").unwrap_err();
        assert_eq!(err.violation(), Violation::ForbiddenChar { ch: 'D', at: 0 });
        assert_eq!(validate(ResourceType, &"t".repeat(64)), Ok(()));
        assert!(validate(ResourceType, &"t".repeat(65)).is_err());
        assert_eq!(validate(Action, "can_read.v2"), Ok(()));
        assert!(validate(Action, "read:all").is_err());
        assert_eq!(validate(ResourceId, "route:/todos/{todoId}"), Ok(()));
        assert_eq!(validate(ResourceId, "Q3 r\u{e9}sum\u{e9}.pdf"), Ok(()));
        let err = validate(ResourceId, "a\u{85}b").unwrap_err();
        assert_eq!(err.violation(), Violation::ForbiddenChar { ch: '\u{85}', at: 1 });
        assert_eq!(validate(ResourceId, &"\u{e9}".repeat(128)), Ok(()));
        let err = validate(ResourceId, &"\u{e9}".repeat(129)).unwrap_err();
        assert_eq!(err.violation(), Violation::TooLong { len: 258, max: 256 });
    }

    #[test]
    fn client_keys_are_canonical_uuid4() {
        assert_eq!(validate(ClientKey, "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b"), Ok(()));
        for bad in [
            "0B5E7F2A-8C1D-4E3F-9A6B-2C4D6E8F0A1B",
            "0b5e7f2a-8c1d-1e3f-9a6b-2c4d6e8f0a1b",
            "0b5e7f2a-8c1d-4e3f-7a6b-2c4d6e8f0a1b",
            "0b5e7f2a8c1d4e3f9a6b2c4d6e8f0a1b",
            "{0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b}",
        ] {
            assert!(validate(ClientKey, bad).is_err(), "{bad}");
        }
    }
}
