//! Run with: `cargo bench -p tessera-runtime --bench guest`
//!
//! The guest in wasmtime against the native core on the same tenant (the synthetic
//! 100k users / 1k roles of `tessera_conformance::synthetic`, as in the core's
//! `authz` bench): a check through one instance owned by the thread, through a
//! shared pooled `Authorizer`, and natively; engine start-up with the cached module
//! and without; loading a 1M-membership snapshot through the guest and natively.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "benchmark code")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_conformance::synthetic::{self, Rng, TENANT, queries};
use tessera_core::{Authorizer, PolicyDocument, SigningKey, Snapshot, SnapshotLoader, VerifyingKey};
use tessera_runtime::{
    AuditChecks, GuestConfig, KeyProvider, Runtime, RuntimeConfig, ServiceError, Services, SnapshotStore,
};

struct Store(Vec<u8>);

impl SnapshotStore for Store {
    fn snapshot(&self, _tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(Some(self.0.clone()))
    }
}

struct Keys(VerifyingKey);

impl KeyProvider for Keys {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        (kid == self.0.kid()).then(|| self.0.clone())
    }
}

fn sealed(key: &SigningKey, users: usize) -> Vec<u8> {
    let policy =
        PolicyDocument::from_json(&synthetic::policy_json(users, 2, 1)).unwrap().into_policy().unwrap();
    Snapshot { revision: 1, issued_at: 0, expires_at: None, policy }.seal(key).unwrap()
}

fn runtime(key: &SigningKey, snapshot: Vec<u8>, cache_dir: Option<std::path::PathBuf>) -> Runtime {
    let config =
        RuntimeConfig { cache_dir, load_timeout: Duration::from_secs(120), ..RuntimeConfig::default() };
    Runtime::new(config, Services::new(Store(snapshot), Keys(key.verifying_key()))).unwrap()
}

fn check(c: &mut Criterion) {
    let key = SigningKey::generate().unwrap();
    let bytes = sealed(&key, 100_000);
    let native =
        SnapshotLoader::new().trust(key.verifying_key()).load(&bytes, 0, None).unwrap().into_parts().1;
    let runtime = runtime(&key, bytes.clone(), None);
    // The native core audits nothing, so neither do these guests; the cost of auditing
    // is measured on its own below.
    let quiet = GuestConfig { audit_checks: AuditChecks::None, ..GuestConfig::default() };
    let mut guest = runtime.guest().unwrap();
    guest.configure(&quiet).unwrap();
    guest.load_bytes(&bytes).unwrap();
    let pooled = runtime.authorizer(TENANT, quiet.clone()).unwrap();
    let queries = queries(&mut Rng(7), 100_000, 4096);
    // Same answers first, or the timings compare different work.
    for (user, permission) in &queries {
        assert_eq!(guest.can(user, permission).unwrap(), native.has_permission(user, permission).unwrap());
    }
    let (hot_user, hot_permission) =
        queries.iter().find(|(u, p)| native.has_permission(u, p).unwrap()).unwrap();

    let mut group = c.benchmark_group("check");
    group.bench_function("native, one query repeated", |b| {
        b.iter(|| black_box(native.check(black_box(hot_user), black_box(hot_permission)).unwrap()))
    });
    group.bench_function("guest check, one query repeated", |b| {
        b.iter(|| black_box(guest.check(black_box(hot_user), black_box(hot_permission)).unwrap()))
    });
    group.bench_function("guest can, one query repeated", |b| {
        b.iter(|| black_box(guest.can(black_box(hot_user), black_box(hot_permission)).unwrap()))
    });
    group.bench_function("pooled authorizer can, one query repeated", |b| {
        b.iter(|| black_box(pooled.can(black_box(hot_user), black_box(hot_permission)).unwrap()))
    });
    let mut i = 0;
    let mut next = || {
        i += 1;
        &queries[i % queries.len()]
    };
    group.bench_function("native, 100k users random", |b| {
        b.iter(|| {
            let (user, permission) = next();
            black_box(native.check(user, permission).unwrap())
        })
    });
    group.bench_function("guest check, 100k users random", |b| {
        b.iter(|| {
            let (user, permission) = next();
            black_box(guest.check(user, permission).unwrap())
        })
    });
    let (denied_user, denied_permission) =
        queries.iter().find(|(u, p)| u != "nobody" && !native.has_permission(u, p).unwrap()).unwrap();
    let mut audited = runtime.guest().unwrap();
    audited.load_bytes(&bytes).unwrap();
    group.bench_function("guest check, denied and audited (default config, log sink)", |b| {
        b.iter(|| black_box(audited.check(black_box(denied_user), black_box(denied_permission)).unwrap()))
    });
    let batch: Vec<&str> = queries.iter().take(100).map(|(_, p)| p.as_str()).collect();
    group.bench_function("native check_many 100", |b| {
        b.iter(|| black_box(native.check_many("user-0000042", &batch).unwrap()))
    });
    group.bench_function("guest check_many 100", |b| {
        b.iter(|| black_box(guest.check_many("user-0000042", &batch).unwrap()))
    });
    // Two threads at once (this machine has two cores): the pool's lock under
    // contention, against one instance owned by each thread. Time per call, wall clock.
    group.bench_function("pooled authorizer can, 2 threads", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        for _ in 0..iters / 2 {
                            black_box(pooled.can(hot_user, hot_permission).unwrap());
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    let mut per_thread: Vec<_> = (0..2)
        .map(|_| {
            let mut guest = runtime.guest().unwrap();
            guest.configure(&quiet).unwrap();
            guest.load_bytes(&bytes).unwrap();
            guest
        })
        .collect();
    group.bench_function("guest per thread can, 2 threads", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for guest in per_thread.iter_mut() {
                    scope.spawn(move || {
                        for _ in 0..iters / 2 {
                            black_box(guest.can(hot_user, hot_permission).unwrap());
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let key = SigningKey::generate().unwrap();
    let cache = tempfile::tempdir().unwrap();
    drop(runtime(&key, Vec::new(), Some(cache.path().to_path_buf())));
    let mut group = c.benchmark_group("startup");
    group.sample_size(10);
    group.bench_function("runtime with the cached module", |b| {
        b.iter(|| black_box(runtime(&key, Vec::new(), Some(cache.path().to_path_buf()))))
    });
    group.bench_function("runtime compiling the module", |b| {
        b.iter(|| black_box(runtime(&key, Vec::new(), None)))
    });
    let warm = runtime(&key, Vec::new(), None);
    group.bench_function("new instance", |b| b.iter(|| black_box(warm.guest().unwrap())));
    group.finish();
}

fn load(c: &mut Criterion) {
    let key = SigningKey::generate().unwrap();
    let bytes = sealed(&key, 500_000);
    let loader = SnapshotLoader::new().trust(key.verifying_key()).max_bytes(1 << 30);
    let runtime = runtime(&key, bytes.clone(), None);
    let config = GuestConfig { max_snapshot_bytes: 1 << 30, ..GuestConfig::default() };
    println!("1M-membership snapshot: {} bytes", bytes.len());
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("native load 1M memberships", |b| {
        b.iter(|| black_box::<Authorizer>(loader.load(&bytes, 0, None).unwrap().into_parts().1))
    });
    group.bench_function("guest load 1M memberships", |b| {
        b.iter(|| {
            let mut guest = runtime.guest().unwrap();
            guest.configure(&config).unwrap();
            black_box(guest.load_bytes(&bytes).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, check, startup, load);
criterion_main!(benches);
