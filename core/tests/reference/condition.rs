//! A plain reference for the condition language, written from the rules in
//! `tessera_core::condition`'s docs: random expressions, their text, the authoring
//! rules as a predicate, and a tree-walking interpreter over owned values. Shared by
//! the condition and the resource-model reference tests.

#![allow(dead_code, reason = "each test uses the part it needs")]

use proptest::prelude::*;
use tessera_core::condition::{Attributes, Root, Value};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Str(&'static str),
    Int(i64),
    Bool(bool),
    List(Vec<Lit>),
}

#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Lit(Lit),
    Path(Root, &'static str),
    Cmp(&'static str, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

pub(crate) const NAMES: [&str; 4] = ["a", "b", "tags", "id"];
pub(crate) const STRS: [&str; 3] = ["x", "y", "Legal"];
pub(crate) const OPS: [&str; 8] = ["==", "!=", "<", "<=", ">", ">=", "in", "contains"];

pub(crate) fn scalar() -> impl Strategy<Value = Lit> {
    prop_oneof![
        prop::sample::select(&STRS[..]).prop_map(Lit::Str),
        (-2i64..3).prop_map(Lit::Int),
        any::<bool>().prop_map(Lit::Bool),
    ]
}

pub(crate) fn root() -> impl Strategy<Value = Root> {
    prop::sample::select(vec![Root::Subject, Root::Resource, Root::Action, Root::Context])
}

/// Mostly well-typed conditions (comparisons of values, logic over them), and some
/// of any shape, which the rules mostly refuse.
pub(crate) fn expr() -> impl Strategy<Value = Expr> {
    prop_oneof![3 => truth(), 1 => any_shape()]
}

/// A value: mostly a path.
pub(crate) fn operand() -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => (root(), prop::sample::select(&NAMES[..])).prop_map(|(r, n)| Expr::Path(r, n)),
        1 => scalar().prop_map(Expr::Lit),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(|l| Expr::Lit(Lit::List(l))),
    ]
}

/// A truth value: comparisons of values, paths and booleans, under `!`, `&&`, `||`.
pub(crate) fn truth() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        4 => (prop::sample::select(&OPS[..]), operand(), operand())
            .prop_map(|(op, a, b)| Expr::Cmp(op, Box::new(a), Box::new(b))),
        1 => (root(), prop::sample::select(&NAMES[..])).prop_map(|(r, n)| Expr::Path(r, n)),
        1 => any::<bool>().prop_map(|b| Expr::Lit(Lit::Bool(b))),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
        ]
    })
}

pub(crate) fn any_shape() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        scalar().prop_map(Expr::Lit),
        prop::collection::vec(scalar(), 0..3).prop_map(|l| Expr::Lit(Lit::List(l))),
        (root(), prop::sample::select(&NAMES[..])).prop_map(|(r, n)| Expr::Path(r, n)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (prop::sample::select(&OPS[..]), inner.clone(), inner.clone()).prop_map(|(op, a, b)| Expr::Cmp(
                op,
                Box::new(a),
                Box::new(b)
            )),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
        ]
    })
}

pub(crate) fn render_lit(lit: &Lit) -> String {
    match lit {
        Lit::Str(s) => format!("'{s}'"),
        Lit::Int(i) => i.to_string(),
        Lit::Bool(b) => b.to_string(),
        Lit::List(items) => format!("[{}]", items.iter().map(render_lit).collect::<Vec<_>>().join(", ")),
    }
}

pub(crate) fn render(e: &Expr) -> String {
    let root = |r: &Root| match r {
        Root::Subject => "subject",
        Root::Resource => "resource",
        Root::Action => "action",
        Root::Context => "context",
    };
    match e {
        Expr::Lit(l) => render_lit(l),
        Expr::Path(r, n) => format!("{}.{n}", root(r)),
        Expr::Cmp(op, a, b) => format!("({} {op} {})", render(a), render(b)),
        Expr::Not(a) => format!("(!({}))", render(a)),
        Expr::And(a, b) => format!("({} && {})", render(a), render(b)),
        Expr::Or(a, b) => format!("({} || {})", render(a), render(b)),
    }
}

/// What the reference knows of a piece before any request.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Truth,
    Path,
    Str,
    Int,
    Bool,
    List,
}

pub(crate) fn kind(e: &Expr) -> Kind {
    match e {
        Expr::Lit(Lit::Str(_)) => Kind::Str,
        Expr::Lit(Lit::Int(_)) => Kind::Int,
        Expr::Lit(Lit::Bool(_)) => Kind::Bool,
        Expr::Lit(Lit::List(_)) => Kind::List,
        Expr::Path(..) => Kind::Path,
        _ => Kind::Truth,
    }
}

/// Whether a piece can stand where true or false belongs.
pub(crate) fn truthy(k: Kind) -> bool {
    matches!(k, Kind::Truth | Kind::Path | Kind::Bool)
}

/// The authoring rules, plainly: is the expression accepted?
pub(crate) fn accepted(e: &Expr) -> bool {
    fn ok(e: &Expr) -> bool {
        match e {
            Expr::Lit(_) | Expr::Path(..) => true,
            Expr::Not(a) => ok(a) && truthy(kind(a)),
            Expr::And(a, b) | Expr::Or(a, b) => ok(a) && ok(b) && truthy(kind(a)) && truthy(kind(b)),
            Expr::Cmp(op, a, b) => {
                let (ka, kb) = (kind(a), kind(b));
                let literal = |k: Kind| !matches!(k, Kind::Truth | Kind::Path);
                let scalar = |k: Kind| matches!(k, Kind::Str | Kind::Int | Kind::Bool);
                let fine = match *op {
                    "in" => !(literal(kb) && kb != Kind::List),
                    "contains" => !(literal(ka) && ka != Kind::List),
                    "<" | "<=" | ">" | ">=" => {
                        let unordered = |k: Kind| matches!(k, Kind::Bool | Kind::List | Kind::Truth);
                        !(unordered(ka) || unordered(kb) || (scalar(ka) && scalar(kb) && ka != kb))
                    }
                    _ => !(scalar(ka) && scalar(kb) && ka != kb) && ka != Kind::List && kb != Kind::List,
                };
                ok(a) && ok(b) && fine
            }
        }
    }
    ok(e) && truthy(kind(e))
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum V {
    Missing,
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<V>),
}

pub(crate) fn lit_value(l: &Lit) -> V {
    match l {
        Lit::Str(s) => V::Str((*s).to_owned()),
        Lit::Int(i) => V::Int(*i),
        Lit::Bool(b) => V::Bool(*b),
        Lit::List(items) => V::List(items.iter().map(lit_value).collect()),
    }
}

/// The reference interpreter: a tree walk over owned values.
pub(crate) fn value(e: &Expr, env: &impl Attributes) -> V {
    match e {
        Expr::Lit(l) => lit_value(l),
        Expr::Path(r, n) => match env.value(*r, n) {
            None => V::Missing,
            Some(Value::Str(s)) => V::Str(s.to_owned()),
            Some(Value::Int(i)) => V::Int(i),
            Some(Value::Bool(b)) => V::Bool(b),
            Some(Value::Strs(l)) => V::List(l.iter().map(|s| V::Str(s.clone())).collect()),
        },
        Expr::Not(a) => V::Bool(value(a, env) != V::Bool(true)),
        Expr::And(a, b) => V::Bool(value(a, env) == V::Bool(true) && value(b, env) == V::Bool(true)),
        Expr::Or(a, b) => V::Bool(value(a, env) == V::Bool(true) || value(b, env) == V::Bool(true)),
        Expr::Cmp(op, a, b) => V::Bool(compare(op, &value(a, env), &value(b, env))),
    }
}

pub(crate) fn compare(op: &str, a: &V, b: &V) -> bool {
    let scalar_pair =
        matches!((a, b), (V::Str(_), V::Str(_)) | (V::Int(_), V::Int(_)) | (V::Bool(_), V::Bool(_)));
    let ordered = |a: &V, b: &V| match (a, b) {
        (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let member = |list: &V, item: &V| match list {
        V::List(items) => items.iter().any(|i| compare("==", i, item)),
        _ => false,
    };
    match op {
        "==" => scalar_pair && a == b,
        "!=" => scalar_pair && a != b,
        "<" => ordered(a, b) == Some(std::cmp::Ordering::Less),
        "<=" => matches!(ordered(a, b), Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
        ">" => ordered(a, b) == Some(std::cmp::Ordering::Greater),
        ">=" => matches!(ordered(a, b), Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)),
        "in" => member(b, a),
        _ => member(a, b),
    }
}

/// Reads condition text into an expression, plainly (recursive descent over a
/// token list); `None` for text the grammar does not produce. Strings are leaked:
/// test conditions are few and short.
pub(crate) fn parse(text: &str) -> Option<Expr> {
    let tokens = tokenize(text)?;
    let mut at = 0;
    let expr = parse_or(&tokens, &mut at)?;
    (at == tokens.len()).then_some(expr)
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Str(String),
    Int(i64),
    Word(String),
    Sym(&'static str),
}

fn tokenize(text: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let end = chars[i + 1..].iter().position(|&d| d == c)? + i + 1;
            out.push(Tok::Str(chars[i + 1..end].iter().collect()));
            i = end + 1;
        } else if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            i += 1;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            out.push(Tok::Int(chars[start..i].iter().collect::<String>().parse().ok()?));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars.get(i).is_some_and(|d| d.is_ascii_alphanumeric() || *d == '_') {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = ["==", "!=", "<=", ">=", "&&", "||"].into_iter().find(|s| *s == two);
            let sym = sym.or_else(|| {
                ["<", ">", "!", "(", ")", "[", "]", ",", "."].into_iter().find(|s| s.starts_with(c))
            })?;
            i += sym.len();
            out.push(Tok::Sym(sym));
        }
    }
    Some(out)
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn parse_or(t: &[Tok], at: &mut usize) -> Option<Expr> {
    let mut left = parse_and(t, at)?;
    while t.get(*at) == Some(&Tok::Sym("||")) {
        *at += 1;
        left = Expr::Or(Box::new(left), Box::new(parse_and(t, at)?));
    }
    Some(left)
}

fn parse_and(t: &[Tok], at: &mut usize) -> Option<Expr> {
    let mut left = parse_not(t, at)?;
    while t.get(*at) == Some(&Tok::Sym("&&")) {
        *at += 1;
        left = Expr::And(Box::new(left), Box::new(parse_not(t, at)?));
    }
    Some(left)
}

fn parse_not(t: &[Tok], at: &mut usize) -> Option<Expr> {
    if t.get(*at) == Some(&Tok::Sym("!")) {
        *at += 1;
        return Some(Expr::Not(Box::new(parse_not(t, at)?)));
    }
    let left = parse_operand(t, at)?;
    let op = match t.get(*at) {
        Some(Tok::Sym(s)) if ["==", "!=", "<", "<=", ">", ">="].contains(s) => *s,
        Some(Tok::Word(w)) if w == "in" || w == "contains" => leak(w),
        _ => return Some(left),
    };
    *at += 1;
    let right = parse_operand(t, at)?;
    Some(Expr::Cmp(op, Box::new(left), Box::new(right)))
}

fn parse_literal(t: &[Tok], at: &mut usize) -> Option<Lit> {
    let lit = match t.get(*at)? {
        Tok::Str(s) => Lit::Str(leak(s)),
        Tok::Int(i) => Lit::Int(*i),
        Tok::Word(w) if w == "true" || w == "false" => Lit::Bool(w == "true"),
        _ => return None,
    };
    *at += 1;
    Some(lit)
}

fn parse_operand(t: &[Tok], at: &mut usize) -> Option<Expr> {
    match t.get(*at)? {
        Tok::Sym("(") => {
            *at += 1;
            let inner = parse_or(t, at)?;
            (t.get(*at) == Some(&Tok::Sym(")"))).then_some(())?;
            *at += 1;
            Some(inner)
        }
        Tok::Sym("[") => {
            *at += 1;
            let mut items = Vec::new();
            if t.get(*at) != Some(&Tok::Sym("]")) {
                items.push(parse_literal(t, at)?);
                while t.get(*at) == Some(&Tok::Sym(",")) {
                    *at += 1;
                    items.push(parse_literal(t, at)?);
                }
            }
            (t.get(*at) == Some(&Tok::Sym("]"))).then_some(())?;
            *at += 1;
            Some(Expr::Lit(Lit::List(items)))
        }
        Tok::Word(w) if ["subject", "resource", "action", "context"].contains(&w.as_str()) => {
            let root = match w.as_str() {
                "subject" => Root::Subject,
                "resource" => Root::Resource,
                "action" => Root::Action,
                _ => Root::Context,
            };
            let (Some(Tok::Sym(".")), Some(Tok::Word(name))) = (t.get(*at + 1), t.get(*at + 2)) else {
                return None;
            };
            *at += 3;
            Some(Expr::Path(root, leak(name)))
        }
        _ => parse_literal(t, at).map(Expr::Lit),
    }
}
