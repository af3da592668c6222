//! The condition language of rules (`when:`): a small, total, side-effect-free
//! expression over the request's subject, resource, action and context.
//!
//! ```text
//! expr    := or
//! or      := and ("||" and)*
//! and     := not ("&&" not)*
//! not     := "!" not | compare
//! compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "contains") operand)?
//! operand := literal | path | "(" expr ")"
//! literal := "string" | 'string' | integer | true | false | "[" literal ("," literal)* "]"
//! path    := ("subject" | "resource" | "action" | "context") "." name
//! ```
//!
//! A condition is parsed and checked once, when the policy is authored: unknown
//! syntax, an unknown root, a comparison of literals of different types, a literal
//! where a truth value belongs, or nesting deeper than [`MAX_DEPTH`] is a
//! [`ConditionError`]. It compiles to a short postfix program that evaluates on a
//! fixed stack, without allocating, in time bounded by its length. At evaluation a
//! comparison with a missing attribute, or between values of different types, is
//! false; a bare path is true only when it names the boolean `true`.

mod error;
mod eval;
mod lexer;
mod parser;

use alloc::vec::Vec;

pub use error::{ConditionError, ConditionErrorKind};

/// The deepest a condition may nest (operands waiting on the evaluation stack).
pub const MAX_DEPTH: usize = 16;

/// Where a path reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Root {
    /// The subject: `subject.id` and its attributes.
    Subject,
    /// The resource: `resource.id`, `resource.type` and its attributes.
    Resource,
    /// The action: `action.name` and its attributes.
    Action,
    /// The request's context.
    Context,
}

/// A value a condition reads or writes as a literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A list of strings (attributes hold lists of strings).
    Strs(&'a [alloc::string::String]),
}

/// What a condition reads: the value of `root.name`, if there is one.
pub trait Attributes {
    /// The value at `root.name`, or `None` when it is missing.
    fn value(&self, root: Root, name: &str) -> Option<Value<'_>>;
}

/// A parsed and checked condition, ready to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    program: Vec<eval::Op>,
}

impl Condition {
    /// Parses and checks `text`.
    pub fn parse(text: &str) -> Result<Self, ConditionError> {
        parser::parse(text).map(|program| Self { program })
    }

    /// Whether the condition holds for `attributes`.
    pub fn holds(&self, attributes: &impl Attributes) -> bool {
        eval::run(&self.program, attributes)
    }
}

#[cfg(test)]
mod tests;
