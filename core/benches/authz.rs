//! Run with: `cargo bench -p tessera-core --bench authz`
//!
//! Check latency on a large tenant (100k users, 1k roles, 10 grants per role, a
//! three-level hierarchy, ~5% of rules denies), a batch of 100 checks, and snapshot
//! size plus decode+compile time at 10k and 1M memberships.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "benchmark code")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tessera_core::{Authorizer, Entries, PolicyDocument, RoleDocument, SigningKey, Snapshot, SnapshotLoader};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn role_name(i: usize) -> String {
    format!("role-{i:04}")
}

/// 1k roles: 100 roots, 300 children of a root, 600 grandchildren; 10 grants each
/// (one in ten a subtree wildcard); every other role also carries one deny.
fn roles(rng: &mut Rng) -> Vec<(String, RoleDocument)> {
    (0..1000)
        .map(|i| {
            let parents = match i {
                0..100 => vec![],
                100..400 => vec![role_name(rng.below(100))],
                _ => vec![role_name(100 + rng.below(300))],
            };
            let grants = (0..10)
                .map(|k| {
                    let service = (i * 7 + k * 13) % 200;
                    if k == 9 { format!("svc{service}:*") } else { format!("svc{service}:op{k}") }
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let denies =
                if i % 2 == 0 { vec![format!("svc{}:op{}", rng.below(200), rng.below(10))] } else { vec![] };
            (role_name(i), RoleDocument { description: None, parents, grants, denies })
        })
        .collect()
}

/// `users` users, each with `per_user` distinct random direct roles.
fn policy(users: usize, per_user: usize, seed: u64) -> PolicyDocument {
    let mut rng = Rng(seed);
    let roles = roles(&mut rng);
    let members = (0..users)
        .map(|u| {
            let mut picks: Vec<String> = Vec::new();
            while picks.len() < per_user {
                let role = role_name(rng.below(1000));
                if !picks.contains(&role) {
                    picks.push(role);
                }
            }
            (format!("user-{u:07}"), picks)
        })
        .collect();
    PolicyDocument { tenant: TENANT.into(), roles: Entries(roles), members: Entries(members) }
}

fn queries(rng: &mut Rng, users: usize, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|_| {
            let user = if rng.below(20) == 0 {
                "nobody".to_string()
            } else {
                format!("user-{:07}", rng.below(users))
            };
            (user, format!("svc{}:op{}", rng.below(200), rng.below(10)))
        })
        .collect()
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
