//! Random mutations, truncations and bit flips of valid signed envelopes are never
//! accepted and never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use proptest::prelude::*;
use tessera_core::{EncryptionKey, PolicyDocument, SigningKey, Snapshot, SnapshotLoader};

const NOW: i64 = 1_800_000_000;

struct Fixture {
    loader: SnapshotLoader,
    plain: Vec<u8>,
    encrypted: Vec<u8>,
}

fn fixture() -> Fixture {
    let policy = PolicyDocument::from_json(
        r#"{"tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
            "roles": {"viewer": {"grants": ["posts:read"]},
                      "editor": {"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}},
            "members": {"alice": ["editor"], "bob": ["viewer"]}}"#,
    )
    .and_then(PolicyDocument::into_policy)
    .unwrap();
    let snapshot = Snapshot { revision: 1, issued_at: NOW, expires_at: Some(NOW + 60), policy };
    let key = SigningKey::generate().unwrap();
    let enc = EncryptionKey::new("data-1", [5; 32]).unwrap();
    Fixture {
        plain: snapshot.seal(&key).unwrap(),
        encrypted: snapshot.seal_encrypted(&key, &enc).unwrap(),
        loader: SnapshotLoader::new()
            .trust(key.verifying_key())
            .decrypt_with(EncryptionKey::new("data-1", [5; 32]).unwrap()),
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: prop::sample::Index, bit: u8 },
    Truncate { len: prop::sample::Index },
    Replace { at: prop::sample::Index, byte: u8 },
    Insert { at: prop::sample::Index, bytes: Vec<u8> },
    Remove { at: prop::sample::Index, count: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        any::<prop::sample::Index>().prop_map(|len| Mutation::Truncate { len }),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Replace { at, byte }),
        (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<prop::sample::Index>(), 1usize..8).prop_map(|(at, count)| Mutation::Remove { at, count }),
    ]
}

/// Applies the mutation; `None` when it would leave the input unchanged.
fn apply(original: &[u8], mutation: &Mutation) -> Option<Vec<u8>> {
    let mut bytes = original.to_vec();
    let len = bytes.len();
    if len == 0 && !matches!(mutation, Mutation::Insert { .. }) {
        return None;
    }
    match mutation {
        Mutation::Flip { at, bit } => bytes[at.index(len)] ^= 1 << bit,
        Mutation::Truncate { len: cut } => bytes.truncate(cut.index(len)),
        Mutation::Replace { at, byte } => bytes[at.index(len)] = *byte,
        Mutation::Insert { at, bytes: extra } => {
            let at = at.index(len + 1);
            bytes.splice(at..at, extra.iter().copied());
        }
        Mutation::Remove { at, count } => {
            let at = at.index(len);
            bytes.drain(at..(at + count).min(len));
        }
    }
    (bytes != original).then_some(bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn tampered_envelopes_are_refused(mutations in prop::collection::vec(mutation(), 1..4), encrypted in any::<bool>()) {
        thread_local!(static FIXTURE: Fixture = fixture());
        FIXTURE.with(|f| {
            let original = if encrypted { &f.encrypted } else { &f.plain };
            assert!(f.loader.load(original, NOW, None).is_ok());
            let mut bytes = original.clone();
            for m in &mutations {
                bytes = apply(&bytes, m).unwrap_or(bytes);
            }
            if &bytes != original {
                let result = f.loader.load(&bytes, NOW, None);
                assert!(result.is_err(), "a tampered envelope was accepted: {mutations:?}");
            }
        });
    }
}
