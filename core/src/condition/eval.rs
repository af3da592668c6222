//! The compiled form of a condition, a postfix program, and its evaluation on a
//! fixed stack.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Attributes, MAX_DEPTH, Root, Value};

/// A scalar literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Scalar {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// How two values are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Contains,
}

/// One step of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Op {
    /// Push a scalar literal.
    Scalar(Scalar),
    /// Push a list literal.
    List(Vec<Scalar>),
    /// Push the value at a path (missing when absent).
    Path(Root, String),
    /// Pop two values, push whether they compare so.
    Compare(Compare),
    /// Replace the top value by whether it is the boolean `true`.
    Truth,
    /// Negate the top truth value.
    Not,
    /// Pop two truth values, push both.
    And,
    /// Pop two truth values, push either.
    Or,
}

/// A value on the stack.
#[derive(Clone, Copy, Debug)]
enum Slot<'a> {
    Missing,
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Strs(&'a [String]),
    Literals(&'a [Scalar]),
}

impl<'a> Slot<'a> {
    fn of_value(value: Value<'a>) -> Self {
        match value {
            Value::Str(s) => Self::Str(s),
            Value::Int(i) => Self::Int(i),
            Value::Bool(b) => Self::Bool(b),
            Value::Strs(list) => Self::Strs(list),
        }
    }

    fn of_scalar(scalar: &'a Scalar) -> Self {
        match scalar {
            Scalar::Str(s) => Self::Str(s),
            Scalar::Int(i) => Self::Int(*i),
            Scalar::Bool(b) => Self::Bool(*b),
        }
    }

    fn is_true(self) -> bool {
        matches!(self, Self::Bool(true))
    }

    /// Whether the list holds `item` (a value of another type is never held).
    fn holds(self, item: Slot<'_>) -> bool {
        match self {
            Self::Strs(list) => list.iter().any(|s| same(Slot::Str(s.as_str()), item) == Some(true)),
            Self::Literals(list) => list.iter().any(|s| same(Slot::of_scalar(s), item) == Some(true)),
            _ => false,
        }
    }
}

/// Whether two scalars are equal; `None` when they are of different types or missing.
fn same(a: Slot<'_>, b: Slot<'_>) -> Option<bool> {
    match (a, b) {
        (Slot::Str(a), Slot::Str(b)) => Some(a == b),
        (Slot::Int(a), Slot::Int(b)) => Some(a == b),
        (Slot::Bool(a), Slot::Bool(b)) => Some(a == b),
        _ => None,
    }
}

/// The order of two values of one ordered type; `None` otherwise.
fn order(a: Slot<'_>, b: Slot<'_>) -> Option<core::cmp::Ordering> {
    match (a, b) {
        (Slot::Str(a), Slot::Str(b)) => Some(a.cmp(b)),
        (Slot::Int(a), Slot::Int(b)) => Some(a.cmp(&b)),
        _ => None,
    }
}

fn compare(how: Compare, a: Slot<'_>, b: Slot<'_>) -> bool {
    use core::cmp::Ordering::{Equal, Greater, Less};
    match how {
        Compare::Eq => same(a, b) == Some(true),
        Compare::Ne => same(a, b) == Some(false),
        Compare::Lt => order(a, b) == Some(Less),
        Compare::Le => matches!(order(a, b), Some(Less | Equal)),
        Compare::Gt => order(a, b) == Some(Greater),
        Compare::Ge => matches!(order(a, b), Some(Greater | Equal)),
        Compare::In => b.holds(a),
        Compare::Contains => a.holds(b),
    }
}

/// Runs a program the parser built (its depth checked against [`MAX_DEPTH`]).
pub(super) fn run(program: &[Op], attributes: &impl Attributes) -> bool {
    let mut stack = [Slot::Missing; MAX_DEPTH];
    let mut depth = 0usize;
    for op in program {
        let pushed = match op {
            Op::Scalar(scalar) => Slot::of_scalar(scalar),
            Op::List(list) => Slot::Literals(list),
            Op::Path(root, name) => attributes.value(*root, name).map_or(Slot::Missing, Slot::of_value),
            Op::Compare(how) => {
                let b = pop(&mut stack, &mut depth);
                let a = pop(&mut stack, &mut depth);
                Slot::Bool(compare(*how, a, b))
            }
            Op::Truth => Slot::Bool(pop(&mut stack, &mut depth).is_true()),
            Op::Not => Slot::Bool(!pop(&mut stack, &mut depth).is_true()),
            Op::And | Op::Or => {
                let b = pop(&mut stack, &mut depth).is_true();
                let a = pop(&mut stack, &mut depth).is_true();
                Slot::Bool(if *op == Op::And { a && b } else { a || b })
            }
        };
        if let Some(slot) = stack.get_mut(depth) {
            *slot = pushed;
            depth += 1;
        }
    }
    depth == 1 && stack.first().is_some_and(|slot| slot.is_true())
}

/// Takes the top value. The parser proves every pop has a value and every push has
/// room; a program that broke that would read `Missing`, which is false, never past
/// the stack.
fn pop<'a>(stack: &mut [Slot<'a>; MAX_DEPTH], depth: &mut usize) -> Slot<'a> {
    *depth = depth.saturating_sub(1);
    stack.get(*depth).copied().unwrap_or(Slot::Missing)
}
