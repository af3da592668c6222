//! Run with: `cargo bench -p tessera-core --bench jwt`
//!
//! Token verification and verify+authorize for HS256, ES256 and EdDSA: a typical
//! access token (sub, iss, aud, iat, exp, jti, scope) against a one-key set, then the
//! subject's check in a policy of 1,000 users.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "benchmark code")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Map;
use tessera_core::{
    Authorizer, Entries, JwtAlgorithm, KeySet, PolicyDocument, RoleDocument, TokenRequest, TokenSigner,
    ValidationOptions, authorize, verify_token,
};

const NOW: i64 = 1_800_000_000;

fn policy() -> Authorizer {
    let role = |grants: &[&str], parents: &[&str]| RoleDocument {
        description: None,
        parents: parents.iter().map(|p| p.to_string()).collect(),
        grants: grants.iter().map(|g| g.to_string()).collect(),
        denies: vec![],
    };
    let roles = vec![
        ("viewer".to_string(), role(&["posts:read", "comments:read"], &[])),
        ("editor".to_string(), role(&["posts:*"], &["viewer"])),
    ];
    let members = (0..1000)
        .map(|i| (format!("user-{i:04}"), vec![if i % 2 == 0 { "editor" } else { "viewer" }.to_string()]))
        .collect();
    let doc = PolicyDocument {
        roles: Entries(roles),
        members: Entries(members),
        ..PolicyDocument::new("0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b")
    };
    Authorizer::new(doc.into_policy().unwrap())
}

fn bench(c: &mut Criterion) {
    let authz = policy();
    let audience = vec!["tessera-api".to_string()];
    let options = ValidationOptions {
        issuers: vec!["https://tessera.example".into()],
        audiences: audience.clone(),
        ..ValidationOptions::default()
    };
    let mut group = c.benchmark_group("jwt");
    for alg in [JwtAlgorithm::Hs256, JwtAlgorithm::Es256, JwtAlgorithm::EdDsa] {
        let signer = TokenSigner::generate("key-1", alg).unwrap();
        let mut keys = KeySet::new();
        keys.add(signer.verification_key()).unwrap();
        let mut extra = Map::new();
        extra.insert("scope".into(), "posts:read posts:edit".into());
        let token = signer
            .issue(&TokenRequest {
                subject: "user-0042",
                issuer: "https://tessera.example",
                audience: &audience,
                now: NOW,
                ttl_seconds: 900,
                token_type: "at+jwt",
                extra,
            })
            .unwrap()
            .token;
        assert!(authorize(&authz, &keys, &options, &token, "posts:edit", NOW).unwrap().allowed());
        group.bench_function(format!("verify {}", alg.name()), |b| {
            b.iter(|| black_box(verify_token(black_box(&token), &keys, &options, NOW).unwrap()))
        });
        group.bench_function(format!("verify+authorize {}", alg.name()), |b| {
            b.iter(|| {
                black_box(authorize(&authz, &keys, &options, black_box(&token), "posts:edit", NOW).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
