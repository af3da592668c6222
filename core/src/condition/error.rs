//! Why a condition was refused when its policy was authored.

use core::fmt;

/// A condition that does not parse or cannot be true or false as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionError {
    /// Byte offset in the condition where the problem starts.
    pub offset: usize,
    /// What the problem is.
    pub kind: ConditionErrorKind,
}

/// The problems a condition can have.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConditionErrorKind {
    /// A character no token starts with.
    UnexpectedCharacter,
    /// A string literal without its closing quote.
    UnterminatedString,
    /// An integer literal outside the 64-bit range.
    IntegerOutOfRange,
    /// A token where another was expected; names what was expected.
    Expected(&'static str),
    /// A path whose root is not `subject`, `resource`, `action` or `context`.
    UnknownRoot,
    /// Two literals of different types compared (`"a" < 3`).
    LiteralTypeClash,
    /// An ordering (`<`, `<=`, `>`, `>=`) of a boolean or a list literal.
    NotOrdered,
    /// `x in y` where `y` is a literal that is not a list, or `x contains y` where `x`
    /// is a literal that is not a list.
    NotAList,
    /// A literal, a list, or a comparison of lists where a truth value belongs.
    NotATruthValue,
    /// Nesting deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    TooDeep,
}

impl ConditionError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        "ERR_POLICY_CONDITION"
    }
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            ConditionErrorKind::UnexpectedCharacter => "unexpected character",
            ConditionErrorKind::UnterminatedString => "string without its closing quote",
            ConditionErrorKind::IntegerOutOfRange => "integer out of the 64-bit range",
            ConditionErrorKind::Expected(what) => {
                return write!(f, "expected {what} at byte {}", self.offset);
            }
            ConditionErrorKind::UnknownRoot => "unknown path root (subject, resource, action or context)",
            ConditionErrorKind::LiteralTypeClash => "literals of different types compared",
            ConditionErrorKind::NotOrdered => "only strings and integers are ordered",
            ConditionErrorKind::NotAList => "`in` needs a list on its right, `contains` on its left",
            ConditionErrorKind::NotATruthValue => "a value where true or false belongs",
            ConditionErrorKind::TooDeep => "nested too deeply",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

impl core::error::Error for ConditionError {}
