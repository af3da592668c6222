//! The compiled condition language against a plain tree-walking interpreter written
//! from the rules in `tessera_core::condition`'s docs: random expressions over random
//! attributes, rendered to text, must be refused by both or decide alike.

use proptest::prelude::*;
use tessera_core::condition::{Attributes, Condition, Root, Value};

mod reference;
use reference::condition::*;

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
