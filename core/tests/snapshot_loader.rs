//! Every refusal of the snapshot loader, each with its own error, through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use tessera_core::{
    EncryptionKey, Policy, PolicyDocument, SigningKey, Snapshot, SnapshotError, SnapshotLoader, VerifyingKey,
};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
const NOW: i64 = 1_800_000_000;

fn policy(tenant: &str) -> Policy {
    PolicyDocument::from_json(&format!(
        r#"{{"tenant": "{tenant}",
            "roles": {{"viewer": {{"grants": ["posts:read"]}}, "editor": {{"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}}}},
            "members": {{"alice": ["editor"]}}}}"#
    ))
    .and_then(PolicyDocument::into_policy)
    .unwrap()
}

fn snapshot(revision: u64) -> Snapshot {
    Snapshot { revision, issued_at: NOW - 10, expires_at: Some(NOW + 3600), policy: policy(TENANT) }
}

fn key() -> SigningKey {
    SigningKey::generate().unwrap()
}

fn loader(key: &SigningKey) -> SnapshotLoader {
    SnapshotLoader::new().trust(key.verifying_key())
}

#[test]
fn a_signed_snapshot_loads_and_answers() {
    let key = key();
    let bytes = snapshot(3).seal(&key).unwrap();
    let loaded = loader(&key).load(&bytes, NOW, None).unwrap();
    assert_eq!(loaded.info.revision, 3);
    assert_eq!(loaded.info.tenant, TENANT);
    assert_eq!(loaded.info.signed_by, key.kid());
    assert_eq!(loaded.info.encrypted_with, None);
    assert!(loaded.authorizer_at(NOW).unwrap().has_permission("alice", "posts:edit").unwrap());
    assert!(!loaded.authorizer_at(NOW).unwrap().has_permission("alice", "posts:delete").unwrap());
}

#[test]
fn a_loaded_snapshot_decides_until_it_expires_and_then_nothing() {
    let key = key();
    let loaded = loader(&key).load(&snapshot(3).seal(&key).unwrap(), NOW, None).unwrap();
    assert!(loaded.expires());
    let expires_at = NOW + 3600;
    assert!(loaded.authorizer_at(expires_at - 1).is_ok(), "in force until the second it expires");
    for now in [expires_at, expires_at + 1, i64::MAX] {
        let refused = loaded.authorizer_at(now).unwrap_err();
        assert_eq!(refused, SnapshotError::Expired { expires_at, now });
        assert_eq!(refused.code(), "ERR_SNAPSHOT_EXPIRED");
        assert_eq!(loaded.info.in_force(now), Err(refused));
    }
    // Loading judges by the same rule: refused from the second it expires.
    assert!(loader(&key).load(&snapshot(3).seal(&key).unwrap(), expires_at, None).is_err());
    let lasting = Snapshot { expires_at: None, ..snapshot(4) };
    let loaded = loader(&key).load(&lasting.seal(&key).unwrap(), NOW, None).unwrap();
    assert!(!loaded.expires());
    assert!(loaded.authorizer_at(i64::MAX).is_ok(), "a snapshot without expires_at never expires");
}

#[test]
fn an_encrypted_snapshot_needs_its_key() {
    let key = key();
    let enc = EncryptionKey::new("data-1", [42; 32]).unwrap();
    let bytes = snapshot(1).seal_encrypted(&key, &enc).unwrap();
    // The policy is not readable in the envelope.
    assert!(!bytes.windows(5).any(|w| w == b"alice"));
    let err = loader(&key).load(&bytes, NOW, None).unwrap_err();
    assert_eq!(err, SnapshotError::UnknownDecryptionKey { kid: "data-1".into() });
    let wrong = EncryptionKey::new("data-1", [43; 32]).unwrap();
    let err = loader(&key).decrypt_with(wrong).load(&bytes, NOW, None).unwrap_err();
    assert_eq!(err, SnapshotError::DecryptionFailed);
    let loaded = loader(&key)
        .decrypt_with(EncryptionKey::new("data-1", [42; 32]).unwrap())
        .load(&bytes, NOW, None)
        .unwrap();
    assert_eq!(loaded.info.encrypted_with.as_deref(), Some("data-1"));
    assert!(loaded.authorizer_at(NOW).unwrap().has_permission("alice", "posts:read").unwrap());
}

#[test]
fn each_refusal_has_its_own_error() {
    let key = key();
    let bytes = snapshot(5).seal(&key).unwrap();

    let other = SigningKey::generate().unwrap();
    let err = loader(&other).load(&bytes, NOW, None).unwrap_err();
    assert_eq!(err, SnapshotError::UnknownKeyId { kid: key.kid().into() });
    assert_eq!(err.code(), "ERR_SNAPSHOT_UNKNOWN_KEY_ID");

    // A different key published under the signer's kid: the signature must not verify.
    let impostor_jwk = other.verifying_key().to_jwk().replace(other.kid(), key.kid());
    let impostor = VerifyingKey::from_jwk(&impostor_jwk).unwrap();
    let err = SnapshotLoader::new().trust(impostor).load(&bytes, NOW, None).unwrap_err();
    assert_eq!(err, SnapshotError::BadSignature);

    let err = loader(&key).load(&bytes, NOW + 3600, None).unwrap_err();
    assert_eq!(err, SnapshotError::Expired { expires_at: NOW + 3600, now: NOW + 3600 });

    let err = loader(&key).max_bytes(bytes.len() - 1).load(&bytes, NOW, None).unwrap_err();
    assert_eq!(err, SnapshotError::Oversized { size: bytes.len(), limit: bytes.len() - 1 });

    assert_eq!(
        loader(&key).load(&bytes[..bytes.len() / 2], NOW, None).unwrap_err(),
        SnapshotError::Truncated
    );
    assert_eq!(loader(&key).load(&[], NOW, None).unwrap_err(), SnapshotError::Truncated);
    assert!(matches!(
        loader(&key).load(b"{\"json\": true}", NOW, None),
        Err(SnapshotError::Malformed { .. })
    ));

    let current = loader(&key).load(&bytes, NOW, None).unwrap().info;
    let older = snapshot(4).seal(&key).unwrap();
    assert_eq!(
        loader(&key).load(&older, NOW, Some(&current)).unwrap_err(),
        SnapshotError::Rollback { loaded: 5, offered: 4 }
    );
    // The same revision again is fine (a poller re-reading an unchanged snapshot).
    assert_eq!(loader(&key).load(&bytes, NOW, Some(&current)).unwrap().info.revision, 5);
    let newer = snapshot(6).seal(&key).unwrap();
    assert_eq!(loader(&key).load(&newer, NOW, Some(&current)).unwrap().info.revision, 6);

    let foreign = Snapshot { policy: policy("1b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b"), ..snapshot(9) };
    let err = loader(&key).load(&foreign.seal(&key).unwrap(), NOW, Some(&current)).unwrap_err();
    assert!(matches!(err, SnapshotError::TenantMismatch));
}
