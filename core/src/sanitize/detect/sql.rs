//! SQL injection rules. They read the SQL view: `+` is a space, a comment is one
//! [`COMMENT`] byte (which [`is_space`] skips), versioned comments are code.

use super::view::COMMENT;
use super::{FindingKind, any_word, at, before, is_space, is_word, skip_space, within, word_at, word_end};

pub(super) fn scan(t: &[u8], add: &mut impl FnMut(FindingKind, usize)) {
    if let Some(i) = juggled_quotes(t) {
        add(FindingKind::SqlInjection, i);
    }
    for (i, &b) in t.iter().enumerate() {
        let found = match b {
            b'\'' | b'"' => quote(t, i),
            b';' => stacked_query(t, i),
            b'(' => subquery(t, i),
            b'|' | b'&' => boolean(t, i),
            b'o' | b'g' => boolean(t, i) || order_by(t, i) || marker(t, i),
            b'a' | b'x' | b'h' => boolean(t, i) || marker(t, i),
            b'u' => union_select(t, i) || marker(t, i),
            b'@' | b'a'..=b'z' => marker(t, i),
            _ => false,
        };
        if found {
            add(FindingKind::SqlInjection, i);
        }
    }
}

/// How far an expression after an operator is read.
const EXPRESSION_LIMIT: usize = 256;

/// SQL string quotes (backticks quote names, and in prose they mark code).
fn is_quote(b: u8) -> bool {
    matches!(b, b'\'' | b'"')
}

/// Skips whitespace but stops at a comment.
fn skip_blank(t: &[u8], mut i: usize) -> usize {
    while t.get(i).is_some_and(|&c| c != COMMENT && is_space(c)) {
        i += 1;
    }
    i
}

/// Whether what follows `i` is only comment filler to the end: `-- -`, `#`, `--+`.
fn comment_to_end(t: &[u8], i: usize) -> bool {
    t.get(i..).unwrap_or_default().iter().all(|&c| is_space(c) || matches!(c, b'-' | b'+' | b'#'))
}

/// A comment at `i`: the SQL view's [`COMMENT`], or `--`/`#` running to the end.
fn comment_at(t: &[u8], i: usize) -> bool {
    t.get(i) == Some(&COMMENT) || (at(t, i, b"--") || t.get(i) == Some(&b'#')) && comment_to_end(t, i)
}

/// After a quote (closing parentheses allowed): a comment (`admin'--`, `' #`,
/// `'/*`), `;` and a comment or statement, a comparison with a quote or a number
/// (`'='`, `'=0--`), a boolean operator with a tautology or a probe, `ORDER BY`.
fn quote(t: &[u8], i: usize) -> bool {
    // A quote that can close a string: at the start, or right after the value. One
    // after a space or an opening bracket opens a string ("the '--keep' option").
    if before(t, i).is_some_and(|c| is_space(c) || b"([{<".contains(&c)) {
        return false;
    }
    let mut j = i + 1;
    while t.get(j) == Some(&b')') {
        j += 1;
    }
    let adjacent = j;
    j = skip_blank(t, j);
    while t.get(j) == Some(&b')') {
        j = skip_blank(t, j + 1);
    }
    if t.get(j) == Some(&COMMENT) {
        return true;
    }
    if at(t, j, b"--") || t.get(j) == Some(&b'#') {
        return j == adjacent || comment_to_end(t, j);
    }
    if t.get(j) == Some(&b';') {
        let k = skip_space(t, j + 1);
        return comment_at(t, k) || stacked_query(t, j);
    }
    if let Some(len) = comparison_operator(t, i + 1) {
        // `'='`, `'<>'`, `'=0--`: written together, as injections are.
        let k = i + 1 + len;
        return match t.get(k) {
            Some(&c) if is_quote(c) => true,
            Some(c) if c.is_ascii_digit() => {
                let end = skip_blank(t, word_end(t, k));
                end == t.len() || comment_at(t, end)
            }
            _ => false,
        };
    }
    boolean(t, j) || order_by(t, j)
}

/// A whole value that closes a string and opens the next around an operator, so the
/// comparison becomes `'' - ''` (0, equal to every non-numeric string in MySQL):
/// `'-'`, `'&'`, `' '`, `' or ''*'`. The value's start, if it is one.
fn juggled_quotes(t: &[u8]) -> Option<usize> {
    let start = skip_space(t, 0);
    let end = t.iter().rposition(|&c| !is_space(c))?;
    let (&q, &last) = (t.get(start)?, t.get(end)?);
    if !is_quote(q) || last != q || end < start + 2 {
        return None;
    }
    let mut j = start + 1;
    let next = skip_space(t, j);
    if let Some(len) = any_word(t, next, &[b"or"]).or_else(|| at(t, next, b"||").then_some(2)) {
        let k = skip_space(t, next + len);
        if t.get(k) != Some(&q) || t.get(k + 1) != Some(&q) {
            return None;
        }
        j = k + 2;
    }
    let middle = t.get(j..end)?;
    let operators = middle.iter().filter(|c| b"-&^*|".contains(c)).count();
    let spaces = middle.iter().filter(|&&c| is_space(c)).count();
    (!middle.is_empty() && operators <= 1 && operators + spaces == middle.len()).then_some(start)
}

/// `=`, `<>`, `!=`, `<=`, `>=`, `<`, `>`, `<=>` at `i`: the length.
fn comparison_operator(t: &[u8], i: usize) -> Option<usize> {
    for op in [&b"<=>"[..], b"<>", b"!=", b"<=", b">=", b"==", b"=", b"<", b">"] {
        if at(t, i, op) {
            return Some(op.len());
        }
    }
    None
}

/// What stands left of a boolean operator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Left {
    /// A quote (maybe then closing parentheses): a string was just broken out of.
    Quote,
    /// A number, as in `id=1 and 1=1`.
    Number,
    /// Nothing: the text starts with the operator.
    Start,
    /// A word, or a number that ends a comparison (`5 > 3 and 2 < 4`: math).
    Other,
}

fn left_of(t: &[u8], i: usize) -> Left {
    let mut k = i;
    let mut parens = 0;
    loop {
        while k > 0 && t.get(k - 1).copied().is_some_and(is_space) {
            k -= 1;
        }
        if k > 0 && t.get(k - 1) == Some(&b')') && parens < 8 {
            k -= 1;
            parens += 1;
        } else {
            break;
        }
    }
    let Some(last) = before(t, k) else { return Left::Start };
    if is_quote(last) {
        return Left::Quote;
    }
    if !is_word(last) {
        return Left::Other;
    }
    let mut start = k;
    while start > 0 && k - start < 32 && t.get(start - 1).is_some_and(|&c| is_word(c) || c == b'.') {
        start -= 1;
    }
    if !t.get(start).is_some_and(u8::is_ascii_digit) {
        return Left::Other;
    }
    // A number right of a comparison is math unless a name stands left of it (`id=1`).
    let mut p = start;
    while p > 0 && t.get(p - 1).copied().is_some_and(is_space) {
        p -= 1;
    }
    match before(t, p) {
        Some(b'<' | b'>') => Left::Other,
        Some(b'=') => {
            let mut q = p - 1;
            while q > 0 && t.get(q - 1).is_some_and(|&c| is_space(c) || matches!(c, b'<' | b'>' | b'!')) {
                q -= 1;
            }
            if before(t, q).is_some_and(|c| c.is_ascii_digit() || c == b')') {
                Left::Other
            } else {
                Left::Number
            }
        }
        _ => Left::Number,
    }
}

/// One operand of an expression.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    /// A number, hex literal included (`0x41`).
    Number,
    /// A string literal (the last may be left open for the query to close).
    Text,
    /// `true`, `false`, `null`.
    Keyword(usize, usize),
    /// A column or other name: its bytes.
    Name(usize, usize),
    /// A function call; `true` if the function is one injections use to probe.
    Call(bool),
    /// `(SELECT …)`.
    Subquery,
}

impl Operand {
    fn constant(self) -> bool {
        matches!(self, Self::Number | Self::Text | Self::Call(_) | Self::Subquery)
    }
}

/// Functions that blind and error-based injections call.
const PROBES: &[&[u8]] = &[
    b"sleep",
    b"benchmark",
    b"pg_sleep",
    b"exists",
    b"if",
    b"iif",
    b"case",
    b"extractvalue",
    b"updatexml",
    b"gtid_subset",
    b"exp",
    b"elt",
    b"randomblob",
    b"name_const",
    b"ascii",
    b"substring",
    b"substr",
    b"mid",
    b"length",
    b"ord",
    b"convert",
    b"cast",
    b"load_file",
];

/// The end of the parenthesized group opening at `i` (or the limit, or the end of the text).
fn group_end(t: &[u8], i: usize, limit: usize) -> usize {
    let mut depth = 0usize;
    let mut k = i;
    while k < limit.min(t.len()) {
        match t.get(k) {
            Some(b'(') => depth += 1,
            Some(b')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    k
}

/// One operand at `i` (unary operators and opening parentheses first), and its end.
fn operand(t: &[u8], i: usize, limit: usize) -> Option<(Operand, usize)> {
    let mut k = skip_space(t, i);
    let mut opened = 0;
    while k < limit {
        match t.get(k) {
            Some(b'-' | b'+' | b'~' | b'!') => k = skip_space(t, k + 1),
            Some(b'(') => {
                opened += 1;
                k = skip_space(t, k + 1);
            }
            _ if word_at(t, k, b"not") => k = skip_space(t, k + 3),
            _ => break,
        }
    }
    let &first = t.get(k).filter(|_| k < limit)?;
    let (kind, mut end) = if opened > 0 && word_at(t, k, b"select") {
        (Operand::Subquery, k + 6)
    } else if is_quote(first) {
        let close = t.get(k + 1..limit.min(t.len()))?.iter().position(|&c| c == first);
        match close {
            Some(p) => (Operand::Text, k + p + 2),
            None if limit >= t.len() => (Operand::Text, t.len()),
            None => return None,
        }
    } else if first.is_ascii_digit() {
        let mut end = k;
        while t.get(end).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'.') {
            end += 1;
        }
        (Operand::Number, end)
    } else if first == b'@' || first.is_ascii_alphabetic() {
        let sigils = if first == b'@' { 1 + usize::from(t.get(k + 1) == Some(&b'@')) } else { 0 };
        let mut end = word_end(t, k + sigils);
        // A qualified name: `members.email`, `dbms_pipe.receive_message`.
        while t.get(end) == Some(&b'.') && t.get(end + 1).is_some_and(|&c| c.is_ascii_alphabetic()) {
            end = word_end(t, end + 1);
        }
        let name = t.get(k..end).unwrap_or_default();
        let open = skip_space(t, end);
        if sigils == 2 {
            // A server variable (`@@version`): what a probe reads.
            (Operand::Call(true), end)
        } else if t.get(open) == Some(&b'(') {
            (Operand::Call(PROBES.contains(&name) || name.starts_with(b"dbms_")), group_end(t, open, limit))
        } else if name == b"case" {
            (Operand::Call(true), end)
        } else if [&b"true"[..], b"false", b"null", b"unknown"].contains(&name) {
            (Operand::Keyword(k, end), end)
        } else if [&b"or"[..], b"and", b"xor", b"select", b"from", b"where", b"union"].contains(&name) {
            return None;
        } else {
            (Operand::Name(k, end), end)
        }
    } else {
        return None;
    };
    let mut closed = 0;
    while closed < opened && t.get(skip_space(t, end)) == Some(&b')') {
        end = skip_space(t, end) + 1;
        closed += 1;
    }
    Some((kind, end))
}

/// Operands joined by arithmetic or concatenation (`'a'||'b'`, `'some' 'thing'`).
fn term(t: &[u8], i: usize, limit: usize) -> Option<(Operand, usize)> {
    let (mut kind, mut end) = operand(t, i, limit)?;
    for _ in 0..8 {
        let k = skip_space(t, end);
        let len = match t.get(k) {
            Some(b'*' | b'/' | b'%' | b'^' | b'-') => 1,
            Some(b'|') if t.get(k + 1) == Some(&b'|') && kind == Operand::Text => 2,
            Some(&c) if is_quote(c) && kind == Operand::Text => 0,
            _ => break,
        };
        let Some((next, next_end)) = operand(t, k + len, limit) else { break };
        // The term is constant only if every part is.
        if kind.constant() && !next.constant() {
            kind = next;
        }
        end = next_end;
    }
    Some((kind, end))
}

/// The shape of a condition after a boolean operator.
enum Condition {
    /// Two operands compared (`1=1`, `'a' like 'a'`, `x is null`, `1 in (1)`).
    Compare(Operand, Operand),
    /// One operand standing alone (`true`, `1`, `sleep(5)`), and its end.
    Alone(Operand, usize),
}

fn condition(t: &[u8], i: usize) -> Option<Condition> {
    let limit = (i + EXPRESSION_LIMIT).min(t.len());
    let (left, end) = term(t, i, limit)?;
    let mut k = skip_space(t, end);
    if word_at(t, k, b"not") {
        k = skip_space(t, k + 3);
    }
    if word_at(t, k, b"is") {
        let mut j = skip_space(t, k + 2);
        if word_at(t, j, b"not") {
            j = skip_space(t, j + 3);
        }
        let (right, _) = operand(t, j, limit)?;
        return matches!(right, Operand::Keyword(..)).then_some(Condition::Compare(left, right));
    }
    if word_at(t, k, b"between") {
        let (low, low_end) = term(t, k + 7, limit)?;
        let and = skip_space(t, low_end);
        let (high, _) = term(t, and + 3, limit).filter(|_| word_at(t, and, b"and"))?;
        let right = if low.constant() && high.constant() { low } else { high };
        return Some(Condition::Compare(left, right));
    }
    if word_at(t, k, b"in") {
        let (right, _) = term(t, k + 2, limit).filter(|_| t.get(skip_space(t, k + 2)) == Some(&b'('))?;
        return Some(Condition::Compare(left, right));
    }
    let len = if word_at(t, k, b"sounds") && word_at(t, skip_space(t, k + 6), b"like") {
        Some(skip_space(t, k + 6) + 4 - k)
    } else {
        comparison_operator(t, k).or_else(|| any_word(t, k, &[b"like", b"rlike", b"regexp", b"glob"]))
    };
    match len {
        Some(len) => {
            let (right, _) = term(t, k + len, limit)?;
            Some(Condition::Compare(left, right))
        }
        None => Some(Condition::Alone(left, end)),
    }
}

/// Whether the query could end at `i`: the end of the text (`weak`), or a comment,
/// `;`, `)`, a quote, or a keyword that continues a query.
fn query_ends(t: &[u8], i: usize, weak: bool) -> bool {
    let k = skip_blank(t, i);
    match t.get(k) {
        None => weak,
        Some(&COMMENT | b';' | b'#') => true,
        Some(b'-') => at(t, k, b"--"),
        Some(&c) if is_quote(c) || c == b')' => weak,
        _ => {
            weak && (any_word(
                t,
                k,
                &[b"or", b"and", b"xor", b"limit", b"order", b"group", b"union", b"having", b"into"],
            )
            .is_some()
                || at(t, k, b"||")
                || at(t, k, b"&&"))
        }
    }
}

fn same_text(t: &[u8], a: Operand, b: Operand) -> bool {
    match (a, b) {
        (
            Operand::Name(s1, e1) | Operand::Keyword(s1, e1),
            Operand::Name(s2, e2) | Operand::Keyword(s2, e2),
        ) => t.get(s1..e1) == t.get(s2..e2),
        _ => false,
    }
}

/// `OR`/`AND`/`XOR`/`||`/`&&`/`HAVING` followed by a tautology or a probe, where a
/// query could be: after a quote any comparison or always-true value (`' or x=x`,
/// `' or true--`, `' || 1#`); after a number or at the start, constants compared
/// (`1 and 1=2`, `or 'a'='a'`), a name compared with itself, a probe function
/// (`and sleep(5)`, `and ascii(…)>64`) or a subquery. A number that ends a comparison
/// is math ("5 > 3 and 2 < 4"), and prose after a word is prose ("a = b or b = c").
fn boolean(t: &[u8], i: usize) -> bool {
    let len = match any_word(t, i, &[b"or", b"and", b"xor", b"having"]) {
        Some(len) => len,
        None if (at(t, i, b"||") || at(t, i, b"&&"))
            && before(t, i) != t.get(i).copied()
            && t.get(i + 2) != t.get(i) =>
        {
            2
        }
        None => return false,
    };
    let left = left_of(t, i);
    if left == Left::Other {
        return false;
    }
    match condition(t, i + len) {
        // A literal compared with a bare word is prose ("'A' or 'B' = same").
        Some(Condition::Compare(a, b)) => {
            left == Left::Quote
                && !(matches!(a, Operand::Number | Operand::Text) && matches!(b, Operand::Name(..)))
                || a.constant() && b.constant()
                || same_text(t, a, b)
        }
        Some(Condition::Alone(operand, end)) => match operand {
            Operand::Call(probe) => probe,
            Operand::Subquery => true,
            Operand::Keyword(..) => query_ends(t, end, true),
            Operand::Number => query_ends(t, end, left != Left::Number),
            _ => false,
        },
        None => false,
    }
}

/// `ORDER BY`/`GROUP BY` after a quote or a number with a column number
/// (`1' ORDER BY 3--`), a subquery or call, or (after a quote) a `HAVING`.
fn order_by(t: &[u8], i: usize) -> bool {
    let Some(len) = any_word(t, i, &[b"order", b"group"]) else { return false };
    let by = skip_space(t, i + len);
    if !word_at(t, by, b"by") {
        return false;
    }
    let left = left_of(t, i);
    if left == Left::Other {
        return false;
    }
    let k = skip_space(t, by + 2);
    match t.get(k) {
        Some(c) if c.is_ascii_digit() => {
            let end = word_end(t, k);
            t.get(skip_blank(t, end)) == Some(&b',')
                || query_ends(t, end, true)
                || any_word(t, skip_blank(t, end), &[b"asc", b"desc"]).is_some()
        }
        Some(b'(') => left != Left::Start,
        Some(c) if c.is_ascii_alphabetic() => {
            let end = word_end(t, k);
            left != Left::Start && t.get(skip_space(t, end)) == Some(&b'(')
                || left == Left::Quote && within(t, end, 64, b"having")
        }
        _ => false,
    }
}

/// `UNION [ALL|DISTINCT] SELECT` followed by something a query selects.
fn union_select(t: &[u8], i: usize) -> bool {
    if !word_at(t, i, b"union") {
        return false;
    }
    let mut j = skip_space(t, i + 5);
    if let Some(len) = any_word(t, j, &[b"all", b"distinct"]) {
        j = skip_space(t, j + len);
    }
    if t.get(j) == Some(&b'(') {
        j = skip_space(t, j + 1);
    }
    if !word_at(t, j, b"select") {
        return false;
    }
    let k = skip_space(t, j + 6);
    t.get(k)
        .is_some_and(|&c| c.is_ascii_digit() || matches!(c, b'*' | b'(' | b'@' | b'-' | b'#') || is_quote(c))
        || [
            &b"from"[..],
            b",",
            b"null",
            b"concat",
            b"version",
            b"user",
            b"database",
            b"table_name",
            b"password",
            b"--",
        ]
        .iter()
        .any(|w| within(t, j + 6, 44, w))
}

/// `SELECT` at `i` followed by what a query selects, not by prose ("select one").
fn select_query(t: &[u8], i: usize) -> bool {
    if !word_at(t, i, b"select") {
        return false;
    }
    let k = skip_space(t, i + 6);
    match t.get(k) {
        None => false,
        Some(b'*' | b'@' | b'(') => true,
        Some(&c) if is_quote(c) => true,
        Some(c) if c.is_ascii_digit() => {
            let end = skip_space(t, word_end(t, k));
            matches!(t.get(end), None | Some(b',' | b')' | b';' | b'#' | b'-')) || word_at(t, end, b"from")
        }
        Some(_) => {
            let end = word_end(t, k);
            t.get(skip_space(t, end)) == Some(&b'(')
                || any_word(t, k, &[b"null", b"top", b"case", b"distinct"]).is_some()
                || (k..(k + 60).min(t.len())).any(|p| word_at(t, p, b"from"))
        }
    }
}

/// A subquery where a value belongs: `(SELECT …)`.
fn subquery(t: &[u8], i: usize) -> bool {
    select_query(t, skip_space(t, i + 1))
}

/// `;` then a statement an attacker would stack: `DROP TABLE`, `DELETE FROM`,
/// `EXEC xp_…`, `SELECT … FROM`, `WAITFOR DELAY`, `COPY … PROGRAM`, ...
fn stacked_query(t: &[u8], i: usize) -> bool {
    let j = skip_space(t, i + 1);
    let then = |word: &[u8], next: &[&[u8]]| -> bool {
        word_at(t, j, word) && {
            let k = skip_space(t, j + word.len());
            next.iter().any(|n| word_at(t, k, n) || (n.len() == 1 && t.get(k) == n.first()))
        }
    };
    let after = |word: &[u8]| skip_space(t, j + word.len());
    then(
        b"drop",
        &[
            b"table",
            b"database",
            b"schema",
            b"view",
            b"index",
            b"user",
            b"procedure",
            b"function",
            b"trigger",
        ],
    ) || then(b"delete", &[b"from"])
        || then(b"insert", &[b"into"])
        || then(b"truncate", &[b"table"])
        || then(b"alter", &[b"table", b"user", b"database", b"login", b"system"])
        || then(b"create", &[b"table", b"user", b"database", b"procedure", b"function", b"login", b"trigger"])
        || then(b"rename", &[b"table", b"user"])
        || then(
            b"grant",
            &[b"all", b"select", b"insert", b"update", b"delete", b"execute", b"dba", b"sysadmin"],
        )
        || then(b"backup", &[b"database", b"log"])
        || then(b"attach", &[b"database"])
        || then(b"load", &[b"data"])
        || then(b"declare", &[b"@"])
        || then(b"set", &[b"@"])
        || then(b"waitfor", &[b"delay", b"time"])
        || word_at(t, j, b"shutdown") && {
            let k = after(b"shutdown");
            k == t.len() || comment_at(t, k) || t.get(k) == Some(&b';') || word_at(t, k, b"with")
        }
        || any_word(t, j, &[b"exec", b"execute"]).is_some_and(|len| {
            let k = skip_space(t, j + len);
            t.get(k).is_some_and(|&c| c == b'(' || c == b'@' || is_quote(c))
                || [&b"xp_"[..], b"sp_", b"master", b"immediate", b"dbms_"].iter().any(|p| at(t, k, p))
        })
        || word_at(t, j, b"copy") && within(t, j, 80, b"program")
        || word_at(t, j, b"update") && within(t, j, 60, b" set ")
        || select_query(t, j)
}

/// Names and calls that appear in injections, not in prose: system tables and
/// packages, file and network functions, time delays, server variables.
const MARKERS: &[&[u8]] = &[
    b"information_schema",
    b"sysobjects",
    b"syscolumns",
    b"sys.databases",
    b"sys.tables",
    b"sys.objects",
    b"sys.sql_logins",
    b"mysql.user",
    b"pg_shadow",
    b"sqlite_master",
    b"sqlite_schema",
    b"all_tables",
    b"v$version",
    b"ctxsys.",
    b"utl_http",
    b"utl_inaddr",
    b"utl_file",
    b"utl_tcp",
    b"dbms_pipe",
    b"dbms_lock",
    b"dbms_ldap",
    b"dbms_xmlgen",
    b"dbms_java",
    b"httpuritype",
    b"xp_cmdshell",
    b"xp_dirtree",
    b"xp_fileexist",
    b"xp_regread",
    b"xp_regwrite",
    b"xp_servicecontrol",
    b"xp_subdirs",
    b"sp_executesql",
    b"sp_configure",
    b"sp_oacreate",
    b"sp_oamethod",
    b"sp_makewebtask",
    b"sp_addsrvrolemember",
];

/// Functions whose call alone marks an injection.
const MARKER_CALLS: &[&[u8]] = &[
    b"pg_sleep",
    b"pg_read_file",
    b"pg_read_binary_file",
    b"pg_ls_dir",
    b"lo_import",
    b"lo_export",
    b"load_file",
    b"extractvalue",
    b"updatexml",
    b"group_concat",
    b"name_const",
    b"gtid_subset",
    b"openrowset",
    b"opendatasource",
    b"openquery",
    b"randomblob",
    b"sqlite_version",
    b"unhex",
];

fn marker(t: &[u8], i: usize) -> bool {
    if before(t, i).is_some_and(is_word) {
        return false;
    }
    let call = |name: &[u8]| word_at(t, i, name) && t.get(skip_space(t, i + name.len())) == Some(&b'(');
    let args = |name: &[u8]| skip_space(t, skip_space(t, i + name.len()) + 1);
    MARKERS.iter().any(|m| at(t, i, m))
        || MARKER_CALLS.iter().any(|m| call(m))
        || at(t, i, b"@@") && t.get(i + 2).is_some_and(u8::is_ascii_alphabetic)
        || call(b"sleep") && {
            // `sleep(5)`, not "sleep(8 hours)".
            let k = args(b"sleep");
            let end = t
                .get(k..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| c.is_ascii_digit() || **c == b'.')
                .count();
            end > 0 && t.get(skip_space(t, k + end)) == Some(&b')')
        }
        || call(b"benchmark") && t.get(args(b"benchmark")).is_some_and(u8::is_ascii_digit)
        || call(b"char") && {
            let k = args(b"char");
            let digits = word_end(t, k) - k;
            digits > 0 && t.get(skip_space(t, k + digits)) == Some(&b',')
        }
        || call(b"concat") && at(t, args(b"concat"), b"0x")
        || word_at(t, i, b"waitfor") && any_word(t, skip_space(t, i + 7), &[b"delay", b"time"]).is_some()
        || word_at(t, i, b"into") && any_word(t, skip_space(t, i + 4), &[b"outfile", b"dumpfile"]).is_some()
        || word_at(t, i, b"procedure") && word_at(t, skip_space(t, i + 9), b"analyse")
        || word_at(t, i, b"load") && word_at(t, skip_space(t, i + 4), b"data") && within(t, i, 40, b"infile")
}
