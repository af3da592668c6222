//! The sandbox: hostile snapshots (huge, deeply nested, thousands of roles) and calls
//! that run too long fail that one call with a clear error; the host, and every
//! authorizer on it, keeps serving the policy in force.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use std::fmt::Write;
use std::time::Duration;

use tessera_runtime::{GuestConfig, GuestError, RuntimeConfig};

use common::{Fixture, TENANT, blog_policy};

/// `roles` roles in one chain, each the parent of the next: closures grow as n²/2.
fn chain_policy(roles: usize) -> String {
    let mut json = format!(r#"{{"tenant": "{TENANT}", "roles": {{"r0": {{"grants": ["a:b"]}}"#);
    for i in 1..roles {
        write!(json, r#", "r{i}": {{"parents": ["r{}"], "grants": ["p{i}:x"]}}"#, i - 1).unwrap();
    }
    write!(json, r#"}}, "members": {{"alice": ["r{}"]}}}}"#, roles - 1).unwrap();
    json
}

fn still_serving(authz: &tessera_runtime::Authorizer) {
    assert_eq!(authz.info().revision, 1);
    assert!(authz.can("alice", "posts:edit").unwrap());
    assert!(!authz.can("alice", "posts:delete").unwrap());
}

#[test]
fn a_snapshot_needing_more_memory_than_the_limit_is_refused_and_the_old_one_serves() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig { memory_limit: 64 << 20, ..RuntimeConfig::default() });
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();

    // 8,000 roles nested 8,000 deep: their closures need ~128 MiB, twice the limit.
    let hostile = fixture.seal(&chain_policy(8_000), 2);
    assert!(hostile.len() < 1 << 20, "the snapshot itself is small");
    let error = authz.replace(&hostile).unwrap_err();
    assert_eq!(error, GuestError::MemoryLimit { limit: 64 << 20 }, "{error}");
    assert_eq!(error.code(), "ERR_GUEST_MEMORY_LIMIT");
    still_serving(&authz);
}

#[test]
fn a_snapshot_larger_than_the_instance_memory_is_stopped_before_it_is_read() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig { memory_limit: 32 << 20, ..RuntimeConfig::default() });
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();

    let huge = vec![0x93u8; 48 << 20];
    assert_eq!(authz.replace(&huge).unwrap_err().code(), "ERR_GUEST_MEMORY_LIMIT");
    still_serving(&authz);
}

#[test]
fn a_snapshot_over_the_size_limit_is_refused_by_the_core() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    fixture.publish(&blog_policy(""), 1);
    let config = GuestConfig { max_snapshot_bytes: 1 << 20, ..GuestConfig::default() };
    let authz = runtime.authorizer(TENANT, config).unwrap();

    let error = authz.replace(&vec![0u8; 2 << 20]).unwrap_err();
    assert_eq!(error.code(), "ERR_SNAPSHOT_OVERSIZED", "{error}");
    still_serving(&authz);
}

#[test]
fn a_load_past_its_deadline_is_stopped_and_the_host_keeps_serving() {
    let fixture = Fixture::new();
    let runtime = fixture
        .runtime(RuntimeConfig { load_timeout: Duration::from_millis(50), ..RuntimeConfig::default() });
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();

    // Fits in memory (~128 MiB of 512) but takes seconds of closure computation.
    let slow = fixture.seal(&chain_policy(8_000), 2);
    let error = authz.replace(&slow).unwrap_err();
    assert_eq!(error, GuestError::Timeout { limit: Duration::from_millis(50) }, "{error}");
    assert_eq!(error.code(), "ERR_GUEST_TIMEOUT");
    still_serving(&authz);

    // A single instance that timed out is retired; the runtime gives a working new one.
    let mut guest = runtime.guest().unwrap();
    assert_eq!(guest.load_bytes(&slow).unwrap_err().code(), "ERR_GUEST_TIMEOUT");
    assert!(guest.is_poisoned());
    assert_eq!(guest.roles().unwrap_err().code(), "ERR_GUEST_TRAP", "a retired instance answers nothing");
    let mut fresh = runtime.guest().unwrap();
    fresh.compile_policy(&blog_policy("")).unwrap();
    assert!(fresh.can("bob", "posts:read").unwrap());
}

#[test]
fn many_roles_within_limits_load_and_decide() {
    // The same shape, small enough for the limits: the sandbox stops only what exceeds them.
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    let mut guest = runtime.guest().unwrap();
    guest.load_bytes(&fixture.seal(&chain_policy(1_000), 1)).unwrap();
    assert!(guest.can("alice", "a:b").unwrap(), "the deepest role inherits the root's grant");
    assert_eq!(guest.user_permissions("alice").unwrap().len(), 1_000);
}

#[test]
fn tampered_and_garbage_snapshots_are_refused_without_harm() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    fixture.publish(&blog_policy(""), 1);
    let authz = runtime.authorizer(TENANT, GuestConfig::default()).unwrap();

    let mut tampered = fixture.seal(&blog_policy(r#", "mallory": ["editor"]"#), 2);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(authz.replace(&tampered).unwrap_err().code(), "ERR_SNAPSHOT_BAD_SIGNATURE");
    for garbage in [&b""[..], b"\x00", b"\x93\xc4", &[0xdc, 0xff, 0xff]] {
        let error = authz.replace(garbage).unwrap_err();
        assert!(error.code().starts_with("ERR_SNAPSHOT_"), "{garbage:?}: {error}");
    }
    still_serving(&authz);
    assert!(!authz.can("mallory", "posts:read").unwrap());
}
