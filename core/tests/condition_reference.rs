//! The compiled condition language against a plain tree-walking interpreter written
//! from the rules in `tessera_core::condition`'s docs: random expressions over random
//! attributes, rendered to text, must be refused by both or decide alike.

use proptest::prelude::*;
use tessera_core::condition::{Attributes, Condition, Root, Value};

#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Str(&'static str),
    Int(i64),
    Bool(bool),
    List(Vec<Lit>),
}

#[derive(Clone, Debug)]
enum Expr {
    Lit(Lit),
    Path(Root, &'static str),
    Cmp(&'static str, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

const NAMES: [&str; 3] = ["a", "b", "tags"];
const STRS: [&str; 3] = ["x", "y", "Legal"];
const OPS: [&str; 8] = ["==", "!=", "<", "<=", ">", ">=", "in", "contains"];

fn scalar() -> impl Strategy<Value = Lit> {
    prop_oneof![
        prop::sample::select(&STRS[..]).prop_map(Lit::Str),
        (-2i64..3).prop_map(Lit::Int),
        any::<bool>().prop_map(Lit::Bool),
    ]
}

fn root() -> impl Strategy<Value = Root> {
    prop::sample::select(vec![Root::Subject, Root::Resource, Root::Action, Root::Context])
}

/// Mostly well-typed conditions (comparisons of values, logic over them), and some
/// of any shape, which the rules mostly refuse.
fn expr() -> impl Strategy<Value = Expr> {
    prop_oneof![3 => truth(), 1 => any_shape()]
}

/// A value: mostly a path.
fn operand() -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => (root(), prop::sample::select(&NAMES[..])).prop_map(|(r, n)| Expr::Path(r, n)),
        1 => scalar().prop_map(Expr::Lit),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(|l| Expr::Lit(Lit::List(l))),
    ]
}

/// A truth value: comparisons of values, paths and booleans, under `!`, `&&`, `||`.
fn truth() -> impl Strategy<Value = Expr> {
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

fn any_shape() -> impl Strategy<Value = Expr> {
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

fn render_lit(lit: &Lit) -> String {
    match lit {
        Lit::Str(s) => format!("'{s}'"),
        Lit::Int(i) => i.to_string(),
        Lit::Bool(b) => b.to_string(),
        Lit::List(items) => format!("[{}]", items.iter().map(render_lit).collect::<Vec<_>>().join(", ")),
    }
}

fn render(e: &Expr) -> String {
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
enum Kind {
    Truth,
    Path,
    Str,
    Int,
    Bool,
    List,
}

fn kind(e: &Expr) -> Kind {
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
fn truthy(k: Kind) -> bool {
    matches!(k, Kind::Truth | Kind::Path | Kind::Bool)
}

/// The authoring rules, plainly: is the expression accepted?
fn accepted(e: &Expr) -> bool {
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
enum V {
    Missing,
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<V>),
}

#[derive(Debug, Clone)]
struct Env(Vec<(Root, &'static str, Stored)>);

#[derive(Debug, Clone)]
enum Stored {
    Str(&'static str),
    Int(i64),
    Bool(bool),
    Strs(Vec<String>),
}

impl Attributes for Env {
    fn value(&self, root: Root, name: &str) -> Option<Value<'_>> {
        self.0.iter().rev().find(|(r, n, _)| *r == root && *n == name).map(|(_, _, v)| match v {
            Stored::Str(s) => Value::Str(s),
            Stored::Int(i) => Value::Int(*i),
            Stored::Bool(b) => Value::Bool(*b),
            Stored::Strs(l) => Value::Strs(l),
        })
    }
}

fn env() -> impl Strategy<Value = Env> {
    let stored = prop_oneof![
        prop::sample::select(&STRS[..]).prop_map(Stored::Str),
        (-2i64..3).prop_map(Stored::Int),
        any::<bool>().prop_map(Stored::Bool),
        prop::collection::vec(prop::sample::select(&STRS[..]).prop_map(String::from), 0..3)
            .prop_map(Stored::Strs),
    ];
    prop::collection::vec((root(), prop::sample::select(&NAMES[..]), stored), 0..8).prop_map(Env)
}

fn lit_value(l: &Lit) -> V {
    match l {
        Lit::Str(s) => V::Str((*s).to_owned()),
        Lit::Int(i) => V::Int(*i),
        Lit::Bool(b) => V::Bool(*b),
        Lit::List(items) => V::List(items.iter().map(lit_value).collect()),
    }
}

/// The reference interpreter: a tree walk over owned values.
fn value(e: &Expr, env: &Env) -> V {
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

fn compare(op: &str, a: &V, b: &V) -> bool {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn compiled_conditions_agree_with_the_reference(e in expr(), env in env()) {
        let text = render(&e);
        match Condition::parse(&text) {
            Ok(condition) => {
                prop_assert!(accepted(&e), "accepted what the rules refuse: {text}");
                prop_assert_eq!(condition.holds(&env), value(&e, &env) == V::Bool(true), "{} with {:?}", text, env);
            }
            Err(error) => prop_assert!(!accepted(&e), "refused {text}: {error}"),
        }
    }
}

/// The comparison above is not vacuous: many generated conditions are accepted, and
/// of those many hold and many do not.
#[test]
fn the_generated_conditions_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut refused, mut holds, mut fails) = (0, 0, 0);
    for _ in 0..2_000 {
        let e = expr().new_tree(&mut runner).expect("a tree").current();
        let env = env().new_tree(&mut runner).expect("a tree").current();
        match Condition::parse(&render(&e)) {
            Err(_) => refused += 1,
            Ok(c) if c.holds(&env) => holds += 1,
            Ok(_) => fails += 1,
        }
    }
    assert!(refused > 200 && holds > 200 && fails > 200, "refused {refused}, holds {holds}, fails {fails}");
}
