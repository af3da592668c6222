//! A large synthetic tenant for benchmarks, the same for every face (native core,
//! guest, and later the JS package): 1k roles (100 roots, 300 children, 600
//! grandchildren), 10 grants each (one in ten a subtree wildcard), a deny on every
//! other role, and users with random direct roles. Deterministic for a seed.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The tenant of the synthetic policy.
pub const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

/// xorshift64*: deterministic, dependency-free.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

fn role_name(i: usize) -> String {
    format!("role-{i:04}")
}

fn roles(rng: &mut Rng) -> Map<String, Value> {
    (0..1000)
        .map(|i| {
            let parents: Vec<String> = match i {
                0..100 => vec![],
                100..400 => vec![role_name(rng.below(100))],
                _ => vec![role_name(100 + rng.below(300))],
            };
            let grants: BTreeSet<String> = (0..10)
                .map(|k| {
                    let service = (i * 7 + k * 13) % 200;
                    if k == 9 { format!("svc{service}:*") } else { format!("svc{service}:op{k}") }
                })
                .collect();
            let denies: Vec<String> =
                if i % 2 == 0 { vec![format!("svc{}:op{}", rng.below(200), rng.below(10))] } else { vec![] };
            (role_name(i), json!({"parents": parents, "grants": grants, "denies": denies}))
        })
        .collect()
}

/// The policy document (JSON) with `users` users of `per_user` distinct direct roles each.
pub fn policy_json(users: usize, per_user: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let roles = roles(&mut rng);
    let members: Map<String, Value> = (0..users)
        .map(|u| {
            let mut picks: Vec<String> = Vec::new();
            while picks.len() < per_user {
                let role = role_name(rng.below(1000));
                if !picks.contains(&role) {
                    picks.push(role);
                }
            }
            (format!("user-{u:07}"), json!(picks))
        })
        .collect();
    json!({"tenant": TENANT, "roles": roles, "members": members}).to_string()
}

/// `count` (user, permission) queries over a policy of `users` users; one in twenty
/// names a user who does not exist.
pub fn queries(rng: &mut Rng, users: usize, count: usize) -> Vec<(String, String)> {
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
