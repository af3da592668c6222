//! Run with: `cargo bench -p tessera-store --bench store_scale`
//! (`TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test` adds PostgreSQL;
//! `TESSERA_BENCH_USERS=N` changes the tenant size, default 500,000 users × 2 roles
//! = 1M memberships).
//!
//! One-shot timings of what takes seconds, not nanoseconds, so criterion's repeated
//! sampling would take an hour: importing 1M memberships (in the clear and with field
//! encryption), building the signed snapshot of that tenant, and single writes per
//! second (each its own durable transaction with its audit row).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "benchmark code")]

use std::time::Instant;

use tessera_conformance::synthetic::{self, TENANT};
use tessera_core::{EncryptionKey, PolicyDocument, SigningKey, Snapshot};
use tessera_store::{FieldKeys, Location, Scope, Store};

fn scope() -> Scope {
    Scope { tenant: TENANT.into(), actor: "bench".into() }
}

fn backends(dir: &std::path::Path) -> Vec<(&'static str, Location)> {
    let mut all = vec![("SQLite", Location::Sqlite(dir.join("bench.db")))];
    if let Ok(base) = std::env::var("TEST_POSTGRES_URL") {
        let schema = format!("tessera_bench_{}", std::process::id());
        let mut client =
            r2d2_postgres::postgres::Client::connect(&base, r2d2_postgres::postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        all.push((
            "PostgreSQL",
            Location::Postgres(format!("{base}{separator}options=-csearch_path%3D{schema}")),
        ));
    } else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL not measured");
    }
    all
}

fn main() {
    let users: usize =
        std::env::var("TESSERA_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(500_000);
    let started = Instant::now();
    let document = PolicyDocument::from_json(&synthetic::policy_json(users, 2, 1)).unwrap();
    let memberships: usize = document.members.0.iter().map(|(_, r)| r.len()).sum();
    println!(
        "tenant: {users} users, {memberships} memberships, 1000 roles (generated in {:.1?})",
        started.elapsed()
    );
    let key = EncryptionKey::new("bench-key", [0x42; 32]).unwrap();
    let signing = SigningKey::generate().unwrap();
    for (name, location) in backends(&tempfile::tempdir().unwrap().keep()) {
        for (mode, keys) in [
            ("clear", FieldKeys::plain()),
            (
                "encrypted",
                FieldKeys::new(&[EncryptionKey::new("bench-key", *key.to_secret_bytes()).unwrap()], true)
                    .unwrap(),
            ),
        ] {
            let store = Store::open(&location, keys, true).unwrap();
            let _ = store.create_tenant(Some(TENANT), "bench");
            let t = Instant::now();
            store.import(&scope(), &document, &|_| {}).unwrap();
            let import = t.elapsed();
            let t = Instant::now();
            let (read, revision) = store.policy(TENANT).unwrap();
            let read_time = t.elapsed();
            let t = Instant::now();
            let policy = read.into_policy().unwrap();
            let compile = t.elapsed();
            let t = Instant::now();
            let bytes = Snapshot { revision, issued_at: 0, expires_at: None, policy }.seal(&signing).unwrap();
            let seal = t.elapsed();
            let writes = 500;
            let t = Instant::now();
            for i in 0..writes {
                store.add_member(&scope(), &format!("bench-writer-{i}"), "role-0007").unwrap();
            }
            let single = t.elapsed();
            println!(
                "{name} ({mode}): import {memberships} memberships {:.1?} ({:.0}/s); snapshot build {:.1?} \
                 (read {read_time:.1?} + validate {compile:.1?} + seal {seal:.1?}, {} bytes); \
                 single writes {:.0}/s ({writes} in {single:.1?})",
                import,
                memberships as f64 / import.as_secs_f64(),
                read_time + compile + seal,
                bytes.len(),
                f64::from(writes) / single.as_secs_f64(),
            );
        }
    }
}
