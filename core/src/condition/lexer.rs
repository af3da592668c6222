//! Tokens of the condition language, with their byte offsets.

use super::error::{ConditionError, ConditionErrorKind};

/// One token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Token<'t> {
    /// A quoted string, without its quotes (no escapes: use the other quote).
    Str(&'t str),
    /// An integer.
    Int(i64),
    /// A name: a root, an attribute, or the words `true`, `false`, `in`, `contains`.
    Name(&'t str),
    /// Punctuation and operators.
    Punct(&'static str),
    /// The end of the text.
    End,
}

const PUNCTS: [&str; 15] = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ",", "."];

/// Splits `text` into tokens, each with its offset; the last one is [`Token::End`].
pub(super) fn tokens(text: &str) -> Result<alloc::vec::Vec<(usize, Token<'_>)>, ConditionError> {
    let bytes = text.as_bytes();
    let mut out = alloc::vec::Vec::new();
    let mut at = 0;
    let fail = |offset, kind| ConditionError { offset, kind };
    while at < bytes.len() {
        let rest = &text[at..];
        let Some(&first) = bytes.get(at) else { break };
        if first.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        if first == b'"' || first == b'\'' {
            let close =
                rest[1..].find(char::from(first)).ok_or(fail(at, ConditionErrorKind::UnterminatedString))?;
            out.push((at, Token::Str(&rest[1..=close])));
            at += close + 2;
            continue;
        }
        let negative = first == b'-' && bytes.get(at + 1).is_some_and(u8::is_ascii_digit);
        if first.is_ascii_digit() || negative {
            let len = usize::from(negative)
                + rest[usize::from(negative)..].bytes().take_while(u8::is_ascii_digit).count();
            let value =
                rest[..len].parse::<i64>().map_err(|_| fail(at, ConditionErrorKind::IntegerOutOfRange))?;
            out.push((at, Token::Int(value)));
            at += len;
            continue;
        }
        if first.is_ascii_alphabetic() || first == b'_' {
            let len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            out.push((at, Token::Name(&rest[..len])));
            at += len;
            continue;
        }
        let punct = PUNCTS
            .iter()
            .find(|p| rest.starts_with(**p))
            .ok_or(fail(at, ConditionErrorKind::UnexpectedCharacter))?;
        out.push((at, Token::Punct(punct)));
        at += punct.len();
    }
    out.push((text.len(), Token::End));
    Ok(out)
}
