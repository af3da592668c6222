//! SQL injection rules. They read the SQL view: `+` is a space, a comment is one
//! [`COMMENT`] byte (which [`is_space`] skips), versioned comments are code.

use alloc::vec::Vec;

use super::view::COMMENT;
use super::{
    FindingKind, any_word, at, before, initials, is_space, is_word, may_start, skip_space, within, word_at,
    word_end, words,
};

pub(super) fn scan(t: &[u8], add: &mut impl FnMut(FindingKind, usize)) {
    if let Some(i) = juggled_quotes(t) {
        add(FindingKind::SqlInjection, i);
    }
    // For each quote, whether it is the first, third, ... of its kind: one that can
    // close a string the text did not open.
    let mut open = [false; 2];
    let unbalanced: Vec<bool> = t
        .iter()
        .map(|&b| {
            let kind = usize::from(b == b'"');
            if is_quote(b) {
                open[kind] = !open[kind];
            }
            is_quote(b) && open[kind]
        })
        .collect();
    let q = &Query { t, unbalanced };
    for (i, &b) in t.iter().enumerate() {
        let word_start = !before(t, i).is_some_and(is_word);
        let found = match b {
            b'\'' | b'"' => quote(q, i),
            b';' => stacked_query(t, i),
            b'(' => subquery(t, i),
            b'|' | b'&' => boolean(q, i),
            _ if !word_start => false,
            b'o' | b'g' => boolean(q, i) || order_by(q, i) || marker(t, i),
            b'a' | b'x' | b'h' => boolean(q, i) || marker(t, i),
            b'u' => union_select(t, i) || marker(t, i),
            b'@' | b'a'..=b'z' => marker(t, i),
            _ => false,
        };
        if found {
            add(FindingKind::SqlInjection, i);
        }
    }
}

/// The SQL view and which of its quotes are unbalanced.
struct Query<'a> {
    t: &'a [u8],
    unbalanced: Vec<bool>,
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
fn quote(q: &Query<'_>, i: usize) -> bool {
    let t = q.t;
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
    boolean(q, j) || order_by(q, j)
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
    if let Some(len) = any_word(t, next, "or").or_else(|| at(t, next, b"||").then_some(2)) {
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

fn left_of(q: &Query<'_>, i: usize) -> Left {
    let t = q.t;
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
        // A quote that closes a literal the text opened (`name = 'bob' and age > 30`)
        // is code, read like a number.
        return if q.unbalanced.get(k - 1) == Some(&true) { Left::Quote } else { Left::Number };
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
const PROBES: &str = "sleep benchmark pg_sleep exists if iif case extractvalue updatexml gtid_subset exp \
    elt randomblob name_const ascii substring substr mid length ord convert cast load_file";

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
            (
                Operand::Call(words(PROBES).any(|w| w == name) || name.starts_with(b"dbms_")),
                group_end(t, open, limit),
            )
        } else if name == b"case" {
            (Operand::Call(true), end)
        } else if words("true false null unknown").any(|w| w == name) {
            (Operand::Keyword(k, end), end)
        } else if words("or and xor select from where union").any(|w| w == name) {
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
        comparison_operator(t, k).or_else(|| any_word(t, k, "like rlike regexp glob"))
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
            weak && (any_word(t, k, "or and xor limit order group union having into").is_some()
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
fn boolean(q: &Query<'_>, i: usize) -> bool {
    let t = q.t;
    let len = match t.get(i) {
        Some(b'o') => word_at(t, i, b"or").then_some(2),
        Some(b'a') => word_at(t, i, b"and").then_some(3),
        Some(b'x') => word_at(t, i, b"xor").then_some(3),
        Some(b'h') => word_at(t, i, b"having").then_some(6),
        Some(&c @ (b'|' | b'&')) => {
            (t.get(i + 1) == Some(&c) && before(t, i) != Some(c) && t.get(i + 2) != Some(&c)).then_some(2)
        }
        _ => None,
    };
    let Some(len) = len else { return false };
    let left = left_of(q, i);
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
fn order_by(q: &Query<'_>, i: usize) -> bool {
    let t = q.t;
    if !(word_at(t, i, b"order") || word_at(t, i, b"group")) {
        return false;
    }
    let len = 5;
    let by = skip_space(t, i + len);
    if !word_at(t, by, b"by") {
        return false;
    }
    let left = left_of(q, i);
    if left == Left::Other {
        return false;
    }
    let k = skip_space(t, by + 2);
    match t.get(k) {
        Some(c) if c.is_ascii_digit() => {
            let end = word_end(t, k);
            t.get(skip_blank(t, end)) == Some(&b',')
                || query_ends(t, end, true)
                || any_word(t, skip_blank(t, end), "asc desc").is_some()
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
    if let Some(len) = any_word(t, j, "all distinct") {
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
        || words("from , null concat version user database table_name password --")
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
                || any_word(t, k, "null top case distinct").is_some()
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
    let listed = words(STACKED).any(|entry| {
        let mut parts = entry.split(|&c| c == b':');
        let (Some(verb), Some(objects)) = (parts.next(), parts.next()) else { return false };
        word_at(t, j, verb) && {
            let k = skip_space(t, j + verb.len());
            objects.split(|&c| c == b',').any(|o| word_at(t, k, o) || o == b"@" && t.get(k) == Some(&b'@'))
        }
    });
    listed
        || word_at(t, j, b"shutdown") && {
            let k = skip_space(t, j + 8);
            k == t.len() || comment_at(t, k) || t.get(k) == Some(&b';') || word_at(t, k, b"with")
        }
        || any_word(t, j, "exec execute").is_some_and(|len| {
            let k = skip_space(t, j + len);
            t.get(k).is_some_and(|&c| c == b'(' || c == b'@' || is_quote(c))
                || words("xp_ sp_ master immediate dbms_").any(|p| at(t, k, p))
        })
        || word_at(t, j, b"copy") && within(t, j, 80, b"program")
        || word_at(t, j, b"update") && within(t, j, 60, b" set ")
        || select_query(t, j)
}

/// Statements an attacker stacks after `;`: a verb, `:`, then what it acts on (`@`
/// for a variable).
const STACKED: &str = "drop:table,database,schema,view,index,user,procedure,function,trigger delete:from \
    insert:into truncate:table alter:table,user,database,login,system \
    create:table,user,database,procedure,function,login,trigger rename:table,user \
    grant:all,select,insert,update,delete,execute,dba,sysadmin backup:database,log attach:database \
    load:data declare:@ set:@ waitfor:delay,time";

/// Names and calls that appear in injections, not in prose: system tables and
/// packages, file and network functions, time delays, server variables.
const MARKERS: &str = "information_schema sys.databases sys.tables sys.objects \
    sys.sql_logins mysql.user pg_shadow sqlite_master sqlite_schema all_tables v$version ctxsys. \
    utl_http utl_inaddr utl_file utl_tcp dbms_pipe dbms_lock dbms_ldap dbms_xmlgen dbms_java \
    xp_cmdshell xp_dirtree xp_fileexist xp_regread xp_regwrite xp_servicecontrol \
    xp_subdirs sp_executesql sp_configure sp_oacreate sp_oamethod sp_makewebtask sp_addsrvrolemember";

/// Whether the name at `i` starts like one of [`MARKERS`] (the part before `_`, `.` or
/// `$`), so that list is read only for those.
fn marker_head(t: &[u8], i: usize) -> bool {
    let head = t.get(i..).unwrap_or_default().iter().take(12).take_while(|c| c.is_ascii_alphabetic()).count();
    let head = t.get(i..i + head).unwrap_or_default();
    words("information sys mysql pg sqlite all v ctxsys utl dbms xp sp").any(|w| w == head)
}

/// Functions whose call alone marks an injection.
const MARKER_CALLS: &str = "pg_sleep pg_read_file pg_read_binary_file pg_ls_dir lo_import lo_export \
    load_file extractvalue updatexml group_concat name_const gtid_subset openrowset opendatasource \
    openquery randomblob sqlite_version unhex";
const CALL_INITIALS: u32 = initials(MARKER_CALLS);

fn marker(t: &[u8], i: usize) -> bool {
    // Most markers are joined or qualified names (`information_schema`, `sys.tables`,
    // `v$version`) or calls; a plain word is looked up only by its first letter.
    let name =
        t.get(i..).unwrap_or_default().iter().take(24).take_while(|&&c| is_word(c) || b".$".contains(&c));
    let joined = name.clone().any(|c| b"_.$".contains(c));
    let end = i + name.count();
    let called = t.get(skip_space(t, end)) == Some(&b'(');
    let call = |name: &[u8]| called && word_at(t, i, name);
    let args = skip_space(t, skip_space(t, end) + 1);
    let then = |word: &[u8], next: &'static str| {
        word_at(t, i, word) && any_word(t, skip_space(t, i + word.len()), next).is_some()
    };
    match t.get(i) {
        _ if joined && marker_head(t, i) && words(MARKERS).any(|m| at(t, i, m)) => true,
        _ if called && may_start(CALL_INITIALS, t.get(i)) && words(MARKER_CALLS).any(call) => true,
        Some(b'@') => at(t, i, b"@@") && t.get(i + 2).is_some_and(u8::is_ascii_alphabetic),
        Some(b's') => {
            any_word(t, i, "sysobjects syscolumns").is_some()
                || call(b"sleep") && {
                    // `sleep(5)`, not "sleep(8 hours)".
                    let digits = t.get(args..).unwrap_or_default().iter();
                    let end = args + digits.take_while(|c| c.is_ascii_digit() || **c == b'.').count();
                    end > args && t.get(skip_space(t, end)) == Some(&b')')
                }
        }
        Some(b'b') => call(b"benchmark") && t.get(args).is_some_and(u8::is_ascii_digit),
        Some(b'c') => {
            call(b"char") && {
                let digits = word_end(t, args) - args;
                digits > 0 && t.get(skip_space(t, args + digits)) == Some(&b',')
            } || call(b"concat") && at(t, args, b"0x")
        }
        Some(b'h') => word_at(t, i, b"httpuritype"),
        Some(b'w') => then(b"waitfor", "delay time"),
        Some(b'i') => then(b"into", "outfile dumpfile"),
        Some(b'p') => then(b"procedure", "analyse"),
        Some(b'l') => then(b"load", "data") && within(t, i, 40, b"infile"),
        _ => false,
    }
}
