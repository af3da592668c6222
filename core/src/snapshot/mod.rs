//! Snapshots: a tenant's policy with its revision and validity, encoded with
//! MessagePack and sealed in a signed (optionally encrypted) envelope.
//!
//! Wire format, version 1 (all MessagePack, structs as maps with field names):
//! - envelope: `{header: bin, payload: bin, signature: bin}`
//! - header: `{v: 1, alg: "EdDSA", kid: str, enc?: {alg: "A256GCM", kid: str, nonce: bin(12)}}`
//! - signature: Ed25519 over `"tessera-snapshot-v1\0" || u32be(len(header)) || header || payload`,
//!   so the bytes verified are exactly the bytes decoded afterwards
//! - payload: the snapshot, or its AES-256-GCM ciphertext with the header as associated data
//! - snapshot: `{format: 1 | 2 | 3 | 4, revision: u64, issued_at: i64, expires_at?: i64, policy}`;
//!   format 4 is written exactly when the policy is scoped to one subject, else
//!   format 3 exactly when the policy has a resource model, else format 2
//!   exactly when it is under strict users, else format 1: a reader that predates
//!   what a policy carries refuses it (unsupported version) rather than answering
//!   without it
//! - policy: `{tenant, patterns: [str], roles: [[name, description | nil, [parent index],
//!   [grant pattern index], [deny pattern index]]], members: {shared: bin,
//!   suffixes: [str], counts: [u32], roles: [index]}, key_backed?: [str]}`: the grant and deny patterns in
//!   one sorted table; users sorted and front-coded (bytes shared with the previous
//!   name, then the rest), with each user's count of direct roles and all role indices
//!   in one list; `model?`: the resource model in columns (format 3; see
//!   `policy::resources::wire`); `subject?`: the one user a subject-scoped policy
//!   answers for (format 4)

mod codec;
mod envelope;
mod loader;
pub(crate) mod reader;
mod summary;

use alloc::format;
use alloc::vec::Vec;

use serde::Serialize;

pub use loader::{DEFAULT_MAX_SNAPSHOT_BYTES, LoadedSnapshot, SnapshotInfo, SnapshotLoader, peek_header};
pub use summary::PolicySummary;

use crate::error::SnapshotError;
#[cfg(feature = "getrandom")]
use crate::keys::EncryptionKey;
use crate::keys::SigningKey;
use crate::policy::{Policy, RawPolicy};
use reader::{Reader, once, required};

/// The newest snapshot format version this build writes and reads (it reads every
/// older one too).
pub const FORMAT_VERSION: u32 = 4;

/// The format a policy needs: the oldest that carries everything in it. A reader
/// from before subject-scoped snapshots refuses one (format 4) instead of answering
/// for every user from one user's slice.
fn format_for(scoped: bool, strict: bool, model: bool) -> u32 {
    match (scoped, model, strict) {
        (true, _, _) => 4,
        (false, true, _) => 3,
        (false, false, true) => 2,
        (false, false, false) => 1,
    }
}

/// A tenant's policy at one revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Monotonic revision; a loader refuses one older than what it holds.
    pub revision: u64,
    /// When it was issued, seconds since the Unix epoch.
    pub issued_at: i64,
    /// When it stops being valid, seconds since the Unix epoch.
    pub expires_at: Option<i64>,
    /// The policy.
    pub policy: Policy,
}

#[derive(Serialize)]
struct PayloadRef<'a> {
    format: u32,
    revision: u64,
    issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    policy: &'a Policy,
}

struct Payload<'a> {
    format: u64,
    revision: u64,
    issued_at: i64,
    expires_at: Option<i64>,
    policy: RawPolicy<'a>,
}

impl<'a> Payload<'a> {
    fn read(bytes: &'a [u8]) -> Result<Self, SnapshotError> {
        let mut reader = Reader::new(bytes);
        let (mut format, mut revision, mut issued_at, mut expires_at, mut policy) =
            (None, None, None, None, None);
        reader.fields("snapshot", true, |r, name| match name {
            "format" => once(&mut format, r.int("format")?, "format"),
            "revision" => once(&mut revision, r.int("revision")?, "revision"),
            "issued_at" => once(&mut issued_at, r.int("issued_at")?, "issued_at"),
            "expires_at" => once(&mut expires_at, r.option(|r| r.int("expires_at"))?, "expires_at"),
            "policy" => once(&mut policy, RawPolicy::read(r)?, "policy"),
            _ => Ok(false),
        })?;
        reader.finish("snapshot")?;
        Ok(Self {
            format: required(format, "format")?,
            revision: required(revision, "revision")?,
            issued_at: required(issued_at, "issued_at")?,
            expires_at: expires_at.flatten(),
            policy: required(policy, "policy")?,
        })
    }

    /// Just the version, to tell "newer format" from "broken" when a payload fails
    /// to decode.
    fn format_of(bytes: &[u8]) -> Option<u64> {
        let mut reader = Reader::new(bytes);
        let mut format = None;
        // Whatever fails after `format` was read (a newer format may nest deeper
        // than this reader skips), the version is what the caller reports.
        let _ = reader.fields("snapshot", true, |r, name| match name {
            "format" => once(&mut format, r.int("format")?, "format"),
            _ => Ok(false),
        });
        format
    }
}

impl Snapshot {
    /// The snapshot's MessagePack payload (unsigned).
    pub fn encode(&self) -> Result<Vec<u8>, SnapshotError> {
        codec::encode(&PayloadRef {
            format: format_for(
                self.policy.subject.is_some(),
                self.policy.key_backed.is_some(),
                self.policy.has_resource_model(),
            ),
            revision: self.revision,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            policy: &self.policy,
        })
    }

    /// Decodes and validates a payload (no signature involved).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let payload = match Payload::read(bytes) {
            Ok(payload) => payload,
            Err(e) => {
                return Err(match Payload::format_of(bytes) {
                    Some(version) if version == 0 || version > u64::from(FORMAT_VERSION) => {
                        SnapshotError::UnsupportedVersion { version }
                    }
                    _ => e,
                });
            }
        };
        if payload.format == 0 || payload.format > u64::from(FORMAT_VERSION) {
            return Err(SnapshotError::UnsupportedVersion { version: payload.format });
        }
        // Each snapshot is written in the format its policy needs: any other is not
        // one this signer wrote.
        let needed =
            format_for(payload.policy.is_scoped(), payload.policy.is_strict(), payload.policy.has_model());
        if payload.format != u64::from(needed) {
            return Err(SnapshotError::Malformed {
                reason: format!(
                    "format {} does not match what its policy carries (subject, strict users, resource model)",
                    payload.format
                ),
            });
        }
        let policy = payload.policy.validate().map_err(SnapshotError::InvalidPolicy)?;
        Ok(Self {
            revision: payload.revision,
            issued_at: payload.issued_at,
            expires_at: payload.expires_at,
            policy,
        })
    }

    /// Signs the snapshot with `key`: the bytes every runtime loads.
    pub fn seal(&self, key: &SigningKey) -> Result<Vec<u8>, SnapshotError> {
        envelope::seal(&self.encode()?, key, None)
    }

    /// Encrypts the payload with `encryption` (fresh random nonce), then signs.
    #[cfg(feature = "getrandom")]
    pub fn seal_encrypted(
        &self,
        key: &SigningKey,
        encryption: &EncryptionKey,
    ) -> Result<Vec<u8>, crate::Error> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|_| crate::error::KeyError::Randomness)?;
        Ok(envelope::seal(&self.encode()?, key, Some((encryption, nonce)))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyDocument;

    fn policy() -> Policy {
        PolicyDocument::from_json(
            r#"{"tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
                "roles": {"viewer": {"description": "Reads", "grants": ["posts:read"]},
                          "editor": {"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}},
                "members": {"alice": ["editor"], "bob": ["viewer"], "carol": ["viewer", "editor"]}}"#,
        )
        .and_then(PolicyDocument::into_policy)
        .expect("valid policy")
    }

    /// The host side of the contract is rmp-serde: both encoders must give the same bytes,
    /// and our decoder must read rmp-serde's output.
    #[test]
    fn messagepack_serde_and_rmp_serde_agree_byte_for_byte() {
        let policy = policy();
        for expires_at in [None, Some(1_900_000_000)] {
            let payload =
                PayloadRef { format: 1, revision: 7, issued_at: 1_700_000_000, expires_at, policy: &policy };
            let ours = codec::encode(&payload).expect("encodes");
            let theirs = rmp_serde::to_vec_named(&payload).expect("rmp encodes");
            assert_eq!(ours, theirs);
            let decoded = Snapshot::decode(&theirs).expect("decodes rmp-serde output");
            assert_eq!(decoded.policy, policy);
            assert_eq!(decoded.expires_at, expires_at);
        }
        let header = envelope::Header {
            v: 1,
            alg: "EdDSA".into(),
            kid: "k".into(),
            enc: Some(envelope::Encryption {
                alg: "A256GCM".into(),
                kid: "e".into(),
                nonce: alloc::vec![1; 12],
            }),
        };
        assert_eq!(
            codec::encode(&header).expect("encodes"),
            rmp_serde::to_vec_named(&header).expect("rmp encodes")
        );
    }

    #[test]
    fn newer_format_is_reported_as_such() {
        let policy = policy();
        let payload = PayloadRef { format: 5, revision: 1, issued_at: 0, expires_at: None, policy: &policy };
        let bytes = codec::encode(&payload).expect("encodes");
        assert_eq!(Snapshot::decode(&bytes), Err(SnapshotError::UnsupportedVersion { version: 5 }));
    }

    /// Strict users need format 2, and only they: a reader from before them refuses
    /// the snapshot instead of answering for users it should not.
    #[test]
    fn strict_users_travel_in_format_2_only() {
        let strict = policy().with_strict_users(["alice", "bob"]).expect("valid");
        let snapshot = Snapshot { revision: 1, issued_at: 0, expires_at: None, policy: strict.clone() };
        let bytes = snapshot.encode().expect("encodes");
        assert_eq!(Payload::format_of(&bytes), Some(2));
        assert_eq!(Snapshot::decode(&bytes).expect("decodes").policy, strict);
        let plain = Snapshot { policy: policy(), ..snapshot };
        assert_eq!(Payload::format_of(&plain.encode().expect("encodes")), Some(1));
        for (format, policy) in [(1, &strict), (2, &plain.policy)] {
            let payload = PayloadRef { format, revision: 1, issued_at: 0, expires_at: None, policy };
            let bytes = codec::encode(&payload).expect("encodes");
            assert!(
                matches!(Snapshot::decode(&bytes), Err(SnapshotError::Malformed { .. })),
                "format {format}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_malformed_and_missing_bytes_truncated() {
        let snapshot = Snapshot { revision: 1, issued_at: 0, expires_at: None, policy: policy() };
        let mut bytes = snapshot.encode().expect("encodes");
        assert_eq!(Snapshot::decode(&bytes[..bytes.len() - 1]), Err(SnapshotError::Truncated));
        bytes.push(0);
        assert!(matches!(Snapshot::decode(&bytes), Err(SnapshotError::Malformed { .. })));
    }
}
