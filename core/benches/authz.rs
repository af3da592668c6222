//! Run with: `cargo bench -p tessera-core --bench authz`
//!
//! Check latency on a large tenant (100k users, 1k roles, 10 grants per role, a
//! three-level hierarchy, ~5% of rules denies), a batch of 100 checks, and snapshot
//! size plus decode+compile time at 10k and 1M memberships.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "benchmark code")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tessera_conformance::synthetic::{self, Rng, queries};
use tessera_core::{Authorizer, PolicyDocument, SigningKey, Snapshot, SnapshotLoader};

/// The shared synthetic tenant, compiled by this build of the core.
fn policy(users: usize, per_user: usize, seed: u64) -> PolicyDocument {
    PolicyDocument::from_json(&synthetic::policy_json(users, per_user, seed)).unwrap()
}

fn check(c: &mut Criterion) {
    let authz = Authorizer::new(policy(100_000, 2, 1).into_policy().unwrap());
    let queries = queries(&mut Rng(7), 100_000, 4096);
    let allowed = queries.iter().filter(|(u, p)| authz.has_permission(u, p).unwrap()).count();
    println!("check mix: {allowed} of {} sample queries allowed", queries.len());

    let mut group = c.benchmark_group("check");
    let mut i = 0;
    group.bench_function("100k users, 1k roles", |b| {
        b.iter(|| {
            let (user, permission) = &queries[i % queries.len()];
            i += 1;
            black_box(authz.check(black_box(user), black_box(permission)).unwrap())
        })
    });
    // The same query over and over: everything in L1, so this is the compute cost alone.
    let (hot_user, hot_permission) =
        queries.iter().find(|(u, p)| authz.has_permission(u, p).unwrap()).unwrap();
    group.bench_function("one query repeated (cache-hot)", |b| {
        b.iter(|| black_box(authz.check(black_box(hot_user), black_box(hot_permission)).unwrap()))
    });
    let batch: Vec<String> = queries.iter().take(100).map(|(_, p)| p.clone()).collect();
    group.bench_function("batch of 100 permissions", |b| {
        b.iter(|| black_box(authz.check_many(black_box("user-0000042"), black_box(&batch)).unwrap()))
    });
    group.finish();
}

fn snapshots(c: &mut Criterion) {
    let key = SigningKey::generate().unwrap();
    let loader = SnapshotLoader::new().trust(key.verifying_key()).max_bytes(1 << 30);
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for memberships in [10_000usize, 1_000_000] {
        let doc = policy(memberships / 2, 2, 3);
        let json = serde_json::to_vec(&doc).unwrap();
        let snapshot =
            Snapshot { revision: 1, issued_at: 0, expires_at: None, policy: doc.into_policy().unwrap() };
        let sealed = snapshot.seal(&key).unwrap();
        println!(
            "snapshot {memberships} memberships: messagepack (signed) {} bytes, policy JSON {} bytes, ratio {:.3}",
            sealed.len(),
            json.len(),
            sealed.len() as f64 / json.len() as f64
        );
        group.bench_function(format!("decode+compile {memberships} memberships"), |b| {
            b.iter(|| black_box(loader.load(black_box(&sealed), 0, None).unwrap()))
        });
        group.bench_function(format!("encode+sign {memberships} memberships"), |b| {
            b.iter_batched(|| (), |()| black_box(snapshot.seal(&key).unwrap()), BatchSize::SmallInput)
        });
    }
    group.finish();
}

criterion_group!(benches, check, snapshots);
criterion_main!(benches);
