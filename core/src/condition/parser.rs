//! Recursive descent from tokens to the postfix program, checking as it goes what
//! can be known before any request: types of literals, truth values, depth.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{ConditionError, ConditionErrorKind};
use super::eval::{Compare, Op, Scalar};
use super::lexer::{Token, tokens};
use super::{MAX_DEPTH, Root};

/// What a parsed piece is known to be before any request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A comparison or logic: a truth value.
    Truth,
    /// A path: any value, or missing.
    Path,
    /// A literal string, integer or boolean.
    Str,
    Int,
    Bool,
    /// A literal list.
    List,
}

impl Kind {
    fn is_literal(self) -> bool {
        !matches!(self, Self::Truth | Self::Path)
    }
}

/// Deepest nesting of parentheses and `!` the parser recurses into.
const MAX_NESTING: usize = 64;

struct Parser<'t> {
    tokens: Vec<(usize, Token<'t>)>,
    next: usize,
    program: Vec<Op>,
    /// Values on the evaluation stack after the program so far, and the most ever.
    depth: usize,
    nesting: usize,
}

/// Parses and checks `text` into a program.
pub(super) fn parse(text: &str) -> Result<Vec<Op>, ConditionError> {
    let mut parser = Parser { tokens: tokens(text)?, next: 0, program: Vec::new(), depth: 0, nesting: 0 };
    let start = parser.offset();
    let kind = parser.or()?;
    parser.truth(kind, start)?;
    if parser.peek() != Token::End {
        return Err(parser.fail(ConditionErrorKind::Expected("an operator or the end")));
    }
    Ok(parser.program)
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Token<'t> {
        self.tokens.get(self.next).map_or(Token::End, |(_, token)| *token)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.next).or(self.tokens.last()).map_or(0, |(offset, _)| *offset)
    }

    fn fail(&self, kind: ConditionErrorKind) -> ConditionError {
        ConditionError { offset: self.offset(), kind }
    }

    fn bump(&mut self) -> Token<'t> {
        let token = self.peek();
        self.next += 1;
        token
    }

    fn eat(&mut self, punct: &'static str) -> bool {
        let found = self.peek() == Token::Punct(punct);
        if found {
            self.next += 1;
        }
        found
    }

    /// Emits `op`, which pops `pops` values and pushes one.
    fn emit(&mut self, op: Op, pops: usize, at: usize) -> Result<(), ConditionError> {
        self.depth = self.depth.saturating_sub(pops) + 1;
        if self.depth > MAX_DEPTH {
            return Err(ConditionError { offset: at, kind: ConditionErrorKind::TooDeep });
        }
        self.program.push(op);
        Ok(())
    }

    /// Makes the piece of `kind` just emitted a truth value, or refuses it.
    fn truth(&mut self, kind: Kind, at: usize) -> Result<(), ConditionError> {
        match kind {
            Kind::Truth | Kind::Bool => Ok(()),
            Kind::Path => self.emit(Op::Truth, 1, at),
            _ => Err(ConditionError { offset: at, kind: ConditionErrorKind::NotATruthValue }),
        }
    }

    fn or(&mut self) -> Result<Kind, ConditionError> {
        self.logic("||", Op::Or, Self::and)
    }

    fn and(&mut self) -> Result<Kind, ConditionError> {
        self.logic("&&", Op::And, Self::not)
    }

    fn logic(
        &mut self,
        punct: &'static str,
        op: Op,
        operand: fn(&mut Self) -> Result<Kind, ConditionError>,
    ) -> Result<Kind, ConditionError> {
        let start = self.offset();
        let mut kind = operand(self)?;
        while self.peek() == Token::Punct(punct) {
            self.truth(kind, start)?;
            let at = self.offset();
            self.next += 1;
            let right_at = self.offset();
            let right = operand(self)?;
            self.truth(right, right_at)?;
            self.emit(op.clone(), 2, at)?;
            kind = Kind::Truth;
        }
        Ok(kind)
    }

    fn not(&mut self) -> Result<Kind, ConditionError> {
        let at = self.offset();
        if !self.eat("!") {
            return self.compare();
        }
        self.nest(at)?;
        let operand_at = self.offset();
        let kind = self.not()?;
        self.truth(kind, operand_at)?;
        self.nesting -= 1;
        self.emit(Op::Not, 1, at)?;
        Ok(Kind::Truth)
    }

    fn nest(&mut self, at: usize) -> Result<(), ConditionError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(ConditionError { offset: at, kind: ConditionErrorKind::TooDeep });
        }
        Ok(())
    }

    fn compare(&mut self) -> Result<Kind, ConditionError> {
        let left_at = self.offset();
        let left = self.operand()?;
        let at = self.offset();
        let how = match self.peek() {
            Token::Punct("==") => Compare::Eq,
            Token::Punct("!=") => Compare::Ne,
            Token::Punct("<") => Compare::Lt,
            Token::Punct("<=") => Compare::Le,
            Token::Punct(">") => Compare::Gt,
            Token::Punct(">=") => Compare::Ge,
            Token::Name("in") => Compare::In,
            Token::Name("contains") => Compare::Contains,
            _ => return Ok(left),
        };
        self.next += 1;
        let right = self.operand()?;
        check_comparison(how, left, right)
            .map_err(|kind| ConditionError { offset: left_at.min(at), kind })?;
        self.emit(Op::Compare(how), 2, at)?;
        Ok(Kind::Truth)
    }

    fn operand(&mut self) -> Result<Kind, ConditionError> {
        let at = self.offset();
        match self.bump() {
            Token::Punct("(") => {
                self.nest(at)?;
                let kind = self.or()?;
                if !self.eat(")") {
                    return Err(self.fail(ConditionErrorKind::Expected("`)`")));
                }
                self.nesting -= 1;
                Ok(kind)
            }
            Token::Punct("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.scalar()?);
                        if self.eat("]") {
                            break;
                        }
                        if !self.eat(",") {
                            return Err(self.fail(ConditionErrorKind::Expected("`,` or `]`")));
                        }
                    }
                }
                self.emit(Op::List(items), 0, at)?;
                Ok(Kind::List)
            }
            Token::Name(name) if !matches!(name, "true" | "false" | "in" | "contains") => {
                let root = match name {
                    "subject" => Root::Subject,
                    "resource" => Root::Resource,
                    "action" => Root::Action,
                    "context" => Root::Context,
                    _ => return Err(ConditionError { offset: at, kind: ConditionErrorKind::UnknownRoot }),
                };
                if !self.eat(".") {
                    return Err(self.fail(ConditionErrorKind::Expected("`.` and an attribute name")));
                }
                let Token::Name(attribute) = self.bump() else {
                    self.next -= 1;
                    return Err(self.fail(ConditionErrorKind::Expected("an attribute name")));
                };
                self.emit(Op::Path(root, String::from(attribute)), 0, at)?;
                Ok(Kind::Path)
            }
            _ => {
                self.next -= 1;
                let scalar = self.scalar()?;
                let kind = match scalar {
                    Scalar::Str(_) => Kind::Str,
                    Scalar::Int(_) => Kind::Int,
                    Scalar::Bool(_) => Kind::Bool,
                };
                self.emit(Op::Scalar(scalar), 0, at)?;
                Ok(kind)
            }
        }
    }

    fn scalar(&mut self) -> Result<Scalar, ConditionError> {
        match self.bump() {
            Token::Str(s) => Ok(Scalar::Str(String::from(s))),
            Token::Int(i) => Ok(Scalar::Int(i)),
            Token::Name("true") => Ok(Scalar::Bool(true)),
            Token::Name("false") => Ok(Scalar::Bool(false)),
            _ => {
                self.next -= 1;
                Err(self.fail(ConditionErrorKind::Expected("a value")))
            }
        }
    }
}

/// What can be refused of a comparison before any request.
fn check_comparison(how: Compare, left: Kind, right: Kind) -> Result<(), ConditionErrorKind> {
    let scalar = |kind: Kind| matches!(kind, Kind::Str | Kind::Int | Kind::Bool);
    match how {
        Compare::In if right.is_literal() && right != Kind::List => Err(ConditionErrorKind::NotAList),
        Compare::Contains if left.is_literal() && left != Kind::List => Err(ConditionErrorKind::NotAList),
        Compare::In | Compare::Contains => Ok(()),
        Compare::Lt | Compare::Le | Compare::Gt | Compare::Ge
            if matches!(left, Kind::Bool | Kind::List | Kind::Truth)
                || matches!(right, Kind::Bool | Kind::List | Kind::Truth) =>
        {
            Err(ConditionErrorKind::NotOrdered)
        }
        _ if scalar(left) && scalar(right) && left != right => Err(ConditionErrorKind::LiteralTypeClash),
        _ if left == Kind::List || right == Kind::List => Err(ConditionErrorKind::NotATruthValue),
        _ => Ok(()),
    }
}
