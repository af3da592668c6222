//! Run with: `cargo bench -p tessera-core --bench condition`
//!
//! Evaluating compiled rule conditions against a request's attributes: the owner
//! rule, an attribute-and-context rule, and a list membership. The attributes are a
//! small linear table, as a request's usually are.

#![allow(clippy::unwrap_used, missing_docs, reason = "benchmark code")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_core::condition::{Attributes, Condition, Root, Value};

struct Request<'a>(Vec<(Root, &'a str, Value<'a>)>);

impl Attributes for Request<'_> {
    fn value(&self, root: Root, name: &str) -> Option<Value<'_>> {
        self.0.iter().find(|(r, n, _)| *r == root && *n == name).map(|(_, _, v)| *v)
    }
}

fn bench(c: &mut Criterion) {
    let tags: Vec<String> = ["legal", "q3", "board"].map(String::from).to_vec();
    let request = Request(vec![
        (Root::Subject, "id", Value::Str("alice")),
        (Root::Subject, "department", Value::Str("Legal")),
        (Root::Resource, "owner", Value::Str("alice")),
        (Root::Resource, "department", Value::Str("Legal")),
        (Root::Resource, "archived", Value::Bool(false)),
        (Root::Resource, "tags", Value::Strs(&tags)),
        (Root::Context, "mfa", Value::Bool(true)),
    ]);
    let mut group = c.benchmark_group("condition");
    for (label, text) in [
        ("owner", "resource.owner == subject.id"),
        (
            "department and context",
            "subject.department == resource.department && !resource.archived && context.mfa",
        ),
        ("list membership", "'board' in resource.tags || resource.tags contains 'exec'"),
    ] {
        let condition = Condition::parse(text).unwrap();
        assert!(condition.holds(&request), "{label}");
        group.bench_function(label, |b| b.iter(|| black_box(condition.holds(black_box(&request)))));
    }
    group.bench_function("parse and check (owner)", |b| {
        b.iter(|| black_box(Condition::parse(black_box("resource.owner == subject.id")).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
