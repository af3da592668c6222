//! Run with: `cargo bench -p tessera-core --bench resources`
//!
//! The resource model on the synthetic tenant of `synthetic::resource_tenant_json`
//! (100k resources in four levels, 10k users, 100 groups, 1M grants, 20 rules): a
//! check on a document whose role is held on its folder (a three-level ancestor walk)
//! with one forbid rule evaluated; the tenant-wide check on the same authorizer and
//! on the role-only tenant of the `authz` bench, side by side; `resources(...)` over
//! the 98,890 documents; and decode+compile of the tenant's signed snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "benchmark code")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_conformance::synthetic;
use tessera_core::{
    Authorizer, Page, PolicyDocument, Query, RequestAttributes, SigningKey, Snapshot, SnapshotLoader,
};

fn bench(c: &mut Criterion) {
    let started = Instant::now();
    let policy =
        PolicyDocument::from_json(&synthetic::resource_tenant_json(11)).unwrap().into_policy().unwrap();
    println!("built the tenant in {:?}", started.elapsed());
    let key = SigningKey::generate().unwrap();
    let sealed =
        Snapshot { revision: 1, issued_at: 0, expires_at: None, policy: policy.clone() }.seal(&key).unwrap();
    println!("signed snapshot: {} bytes", sealed.len());
    let authz = Authorizer::new(policy);

    // Queries whose decision walks from the document to the folder holding the role:
    // grants on documents are skipped by taking users granted on folders only.
    let mut queries = Vec::new();
    let mut rng = synthetic::Rng(5);
    while queries.len() < 1024 {
        let (user, doc) = (format!("u{:05}", rng.below(10_000)), format!("d{:05}", rng.below(98_890)));
        let decision = authz.evaluate(&Query::on(&user, "read", "document", &doc)).unwrap();
        if decision.on().is_some_and(|on| on.starts_with("folder:")) {
            queries.push((user, doc));
        }
    }
    let mut group = c.benchmark_group("resources");
    let mut i = 0;
    group.bench_function("check on a document, role held on its folder, one rule", |b| {
        b.iter(|| {
            let (user, doc) = &queries[i % queries.len()];
            i += 1;
            black_box(
                authz.evaluate(&Query::on(black_box(user), "read", "document", black_box(doc))).unwrap(),
            )
        })
    });
    let (user, doc) = &queries[0];
    group.bench_function("the same check repeated (cache-hot)", |b| {
        b.iter(|| {
            black_box(
                authz.evaluate(&Query::on(black_box(user), "read", "document", black_box(doc))).unwrap(),
            )
        })
    });
    group.bench_function("tenant-wide check on the same authorizer", |b| {
        b.iter(|| black_box(authz.check(black_box(user), black_box("document:read")).unwrap()))
    });
    let roles_only = Authorizer::new(
        PolicyDocument::from_json(&synthetic::policy_json(100_000, 2, 1)).unwrap().into_policy().unwrap(),
    );
    let role_queries = synthetic::queries(&mut synthetic::Rng(7), 100_000, 4096);
    let mut j = 0;
    group.bench_function("tenant-wide check, role-only tenant (the authz bench's)", |b| {
        b.iter(|| {
            let (user, permission) = &role_queries[j % role_queries.len()];
            j += 1;
            black_box(roles_only.check(black_box(user), black_box(permission)).unwrap())
        })
    });
    group.sample_size(20);
    let found = authz.resources(user, "read", "document", &RequestAttributes::NONE, Page::ALL).unwrap();
    println!("{user} may read {} of 98,890 documents", found.items.len());
    group.bench_function("resources(user, read, document) over 98,890 documents", |b| {
        b.iter(|| {
            black_box(
                authz
                    .resources(black_box(user), "read", "document", &RequestAttributes::NONE, Page::ALL)
                    .unwrap(),
            )
        })
    });
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    let loader = SnapshotLoader::new().trust(key.verifying_key()).max_bytes(1 << 30);
    group.bench_function("decode+compile the tenant's snapshot", |b| {
        b.iter(|| black_box(loader.load(black_box(&sealed), 0, None).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
