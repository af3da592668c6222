use alloc::vec;
use alloc::vec::Vec;

use super::*;

/// A request's attributes as a list of `(root, name, value)`.
struct Facts<'a>(Vec<(Root, &'a str, Value<'a>)>);

impl Attributes for Facts<'_> {
    fn value(&self, root: Root, name: &str) -> Option<Value<'_>> {
        self.0.iter().find(|(r, n, _)| *r == root && *n == name).map(|(_, _, v)| *v)
    }
}

fn facts() -> Facts<'static> {
    // Leaked once per test: the facts borrow it for the test's life.
    let tags: &'static [alloc::string::String] = Vec::leak(vec!["legal".into(), "q3".into()]);
    Facts(vec![
        (Root::Subject, "id", Value::Str("alice")),
        (Root::Subject, "department", Value::Str("Legal")),
        (Root::Subject, "level", Value::Int(3)),
        (Root::Resource, "owner", Value::Str("alice")),
        (Root::Resource, "archived", Value::Bool(false)),
        (Root::Resource, "tags", Value::Strs(tags)),
        (Root::Resource, "size", Value::Int(120)),
        (Root::Action, "name", Value::Str("edit")),
        (Root::Context, "mfa", Value::Bool(true)),
    ])
}

fn holds(text: &str) -> bool {
    Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).holds(&facts())
}

fn refused(text: &str) -> ConditionErrorKind {
    Condition::parse(text).expect_err(text).kind
}

#[test]
fn comparisons_and_logic_decide_as_written() {
    for (text, expected) in [
        ("resource.owner == subject.id", true),
        ("resource.owner != subject.id", false),
        ("subject.department == 'Legal' && !resource.archived", true),
        ("resource.archived || context.mfa", true),
        ("subject.level >= 3 && subject.level < 4", true),
        ("resource.size > 100 && resource.size <= 120", true),
        ("\"legal\" in resource.tags", true),
        ("resource.tags contains 'q4'", false),
        ("action.name in ['read', 'edit']", true),
        ("subject.level in [1, 2, 3]", true),
        ("!(subject.level in [1, 2])", true),
        ("'a' < 'b'", true),
        ("true", true),
        ("context.mfa", true),
        ("(subject.id == 'alice') == true", true),
        ("-5 < 0", true),
    ] {
        assert_eq!(holds(text), expected, "{text}");
    }
}

#[test]
fn a_missing_attribute_or_another_type_makes_a_comparison_false() {
    for text in [
        "subject.missing == 'x'",
        "subject.missing != 'x'",
        "subject.level == '3'",
        "subject.level != '3'",
        "subject.department > 2",
        "resource.tags == 'legal'",
        "3 in resource.tags",
        "context.missing",
        "subject.department",
    ] {
        assert!(!holds(text), "{text}");
    }
    // Negation sees the comparison's false.
    assert!(holds("!(subject.missing == 'x')"));
}

#[test]
fn what_cannot_be_true_or_false_is_refused_when_authored() {
    assert_eq!(refused("'a' < 3"), ConditionErrorKind::LiteralTypeClash);
    assert_eq!(refused("1 == true"), ConditionErrorKind::LiteralTypeClash);
    assert_eq!(refused("true < false"), ConditionErrorKind::NotOrdered);
    assert_eq!(refused("subject.tags < ['a']"), ConditionErrorKind::NotOrdered);
    assert_eq!(refused("'a' in 'abc'"), ConditionErrorKind::NotAList);
    assert_eq!(refused("'abc' contains 'a'"), ConditionErrorKind::NotAList);
    assert_eq!(refused("resource.tags == ['a']"), ConditionErrorKind::NotATruthValue);
    assert_eq!(refused("'yes'"), ConditionErrorKind::NotATruthValue);
    assert_eq!(refused("subject.id == 'a' && 3"), ConditionErrorKind::NotATruthValue);
    assert_eq!(refused("user.id == 'a'"), ConditionErrorKind::UnknownRoot);
    assert_eq!(refused("subject == 'a'"), ConditionErrorKind::Expected("`.` and an attribute name"));
    assert_eq!(refused("subject.id = 'a'"), ConditionErrorKind::UnexpectedCharacter);
    assert_eq!(refused("subject.id == 'a"), ConditionErrorKind::UnterminatedString);
    assert_eq!(refused("subject.level > 99999999999999999999"), ConditionErrorKind::IntegerOutOfRange);
    assert_eq!(refused("(subject.id == 'a'"), ConditionErrorKind::Expected("`)`"));
    assert_eq!(
        refused("subject.id == 'a' subject.id"),
        ConditionErrorKind::Expected("an operator or the end")
    );
    assert_eq!(refused(""), ConditionErrorKind::Expected("a value"));
}

#[test]
fn errors_point_at_the_problem_and_carry_the_policy_code() {
    let error = Condition::parse("subject.id == 'a' && user.x").expect_err("unknown root");
    assert_eq!((error.offset, error.code()), (21, "ERR_POLICY_CONDITION"));
    assert!(alloc::string::ToString::to_string(&error).contains("byte 21"));
}

#[test]
fn depth_is_bounded_when_authored() {
    // Right-nested comparisons keep values waiting on the stack.
    let mut deep = alloc::string::String::new();
    for _ in 0..MAX_DEPTH {
        deep.push_str("true == (");
    }
    deep.push_str("true");
    deep.push_str(&")".repeat(MAX_DEPTH));
    assert_eq!(refused(&deep), ConditionErrorKind::TooDeep);
    // One level less fits, and evaluates.
    let fits = alloc::format!("{}true{}", "true == (".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
    assert!(holds(&fits));
    // Hostile nesting is refused without exhausting the parser's own stack.
    let hostile = alloc::format!("{}true", "!".repeat(100_000));
    assert_eq!(refused(&hostile), ConditionErrorKind::TooDeep);
    let parens = alloc::format!("{}true{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(refused(&parens), ConditionErrorKind::TooDeep);
    // A long flat condition is fine: `&&` folds as it goes.
    let flat = ["context.mfa"; 200].join(" && ");
    assert!(holds(&flat));
}
