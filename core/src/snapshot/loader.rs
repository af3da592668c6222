//! Loading snapshots: every check in one place, in an order that trusts nothing
//! before the signature verifies.

use alloc::string::String;
use alloc::vec::Vec;

use super::{PolicySummary, Snapshot, envelope};
use crate::authz::Authorizer;
use crate::error::SnapshotError;
use crate::keys::{EncryptionKey, VerifyingKey};

/// Default upper bound on snapshot size: 64 MiB.
pub const DEFAULT_MAX_SNAPSHOT_BYTES: usize = 64 << 20;

/// Who is trusted to sign snapshots, which keys decrypt them, and how large they may be.
#[derive(Debug)]
pub struct SnapshotLoader {
    trusted: Vec<VerifyingKey>,
    decryption: Vec<EncryptionKey>,
    max_bytes: usize,
}

/// What a loaded snapshot is, without its policy. Serializes with these field names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    /// The tenant's client key.
    pub tenant: String,
    /// The revision.
    pub revision: u64,
    /// Issued at, seconds since the Unix epoch.
    pub issued_at: i64,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: Option<i64>,
    /// Id of the key that signed it.
    pub signed_by: String,
    /// Id of the key that encrypted it, if it was encrypted.
    pub encrypted_with: Option<String>,
    /// The one user a subject-scoped snapshot answers for; `None` for a tenant's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A verified snapshot compiled for queries. Its authorizer is reached through
/// [`authorizer_at`](Self::authorizer_at), which refuses it past the snapshot's
/// expiry.
#[derive(Debug)]
pub struct LoadedSnapshot {
    /// What was loaded.
    pub info: SnapshotInfo,
    authorizer: Authorizer,
}

/// Whether a snapshot expiring at `expires_at` is in force at `now`: until the second
/// it expires, never after. The one rule for loading and for deciding.
fn in_force(expires_at: Option<i64>, now: i64) -> Result<(), SnapshotError> {
    match expires_at {
        Some(expires_at) if now >= expires_at => Err(SnapshotError::Expired { expires_at, now }),
        _ => Ok(()),
    }
}

impl SnapshotInfo {
    /// Whether the snapshot is in force at `now` (seconds since the Unix epoch):
    /// past its `expires_at` it answers no decision (`ERR_SNAPSHOT_EXPIRED`).
    pub fn in_force(&self, now: i64) -> Result<(), SnapshotError> {
        in_force(self.expires_at, now)
    }
}

impl LoadedSnapshot {
    /// The authorizer, to decide at `now` (seconds since the Unix epoch): refused
    /// past the snapshot's expiry, until a fresh snapshot replaces it. Every face
    /// decides through this, so an expired snapshot answers nothing anywhere.
    pub fn authorizer_at(&self, now: i64) -> Result<&Authorizer, SnapshotError> {
        self.info.in_force(now)?;
        Ok(&self.authorizer)
    }

    /// Whether deciding needs the clock: only a snapshot that expires does (a face
    /// may skip reading it otherwise).
    pub fn expires(&self) -> bool {
        self.info.expires_at.is_some()
    }

    /// What was loaded and its compiled policy, for a face that keeps them apart
    /// (and checks [`SnapshotInfo::in_force`] before each decision itself).
    pub fn into_parts(self) -> (SnapshotInfo, Authorizer) {
        (self.info, self.authorizer)
    }

    /// What is in force, as every face reports it.
    pub fn summary(&self) -> PolicySummary<'_> {
        PolicySummary::new(&self.authorizer, Some(&self.info))
    }
}

impl Default for SnapshotLoader {
    fn default() -> Self {
        Self::new()
    }
}

impl SnapshotLoader {
    /// A loader that trusts no key yet and accepts up to 64 MiB.
    pub fn new() -> Self {
        Self { trusted: Vec::new(), decryption: Vec::new(), max_bytes: DEFAULT_MAX_SNAPSHOT_BYTES }
    }

    /// Trusts `key` to sign snapshots.
    pub fn trust(mut self, key: VerifyingKey) -> Self {
        self.trusted.push(key);
        self
    }

    /// Decrypts payloads encrypted with `key`.
    pub fn decrypt_with(mut self, key: EncryptionKey) -> Self {
        self.decryption.push(key);
        self
    }

    /// Refuses inputs larger than `max_bytes`.
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Verifies, decrypts, decodes and validates a snapshot, and checks its expiry
    /// against `now` (seconds since the Unix epoch, supplied by the caller).
    pub fn open(&self, bytes: &[u8], now: i64) -> Result<(Snapshot, SnapshotInfo), SnapshotError> {
        if bytes.len() > self.max_bytes {
            return Err(SnapshotError::Oversized { size: bytes.len(), limit: self.max_bytes });
        }
        let opened = envelope::open(bytes)?;
        let payload = opened.verify_and_decrypt(&self.trusted, &self.decryption)?;
        let snapshot = Snapshot::decode(&payload)?;
        in_force(snapshot.expires_at, now)?;
        let info = SnapshotInfo {
            tenant: snapshot.policy.tenant().into(),
            revision: snapshot.revision,
            issued_at: snapshot.issued_at,
            expires_at: snapshot.expires_at,
            signed_by: opened.header.kid.clone(),
            encrypted_with: opened.header.enc.as_ref().map(|e| e.kid.clone()),
            subject: snapshot.policy.subject().map(Into::into),
        };
        Ok((snapshot, info))
    }

    /// Opens a snapshot and compiles it. With `current` (what is in force now), a
    /// snapshot for another tenant or subject, or with an older revision, is refused; the same
    /// revision is accepted, so re-reading an unchanged snapshot is harmless.
    pub fn load(
        &self,
        bytes: &[u8],
        now: i64,
        current: Option<&SnapshotInfo>,
    ) -> Result<LoadedSnapshot, SnapshotError> {
        let (snapshot, info) = self.open(bytes, now)?;
        if let Some(current) = current {
            if current.tenant != info.tenant {
                return Err(SnapshotError::TenantMismatch);
            }
            if current.subject != info.subject {
                return Err(SnapshotError::SubjectMismatch);
            }
            if info.revision < current.revision {
                return Err(SnapshotError::Rollback { loaded: current.revision, offered: info.revision });
            }
        }
        Ok(LoadedSnapshot { info, authorizer: Authorizer::new(snapshot.policy) })
    }
}

/// Reads what an envelope claims about itself, without verifying it: for `inspect`
/// tools only. Never base a decision on this.
pub fn peek_header(bytes: &[u8]) -> Result<(String, Option<String>), SnapshotError> {
    let opened = envelope::open(bytes)?;
    Ok((opened.header.kid.clone(), opened.header.enc.as_ref().map(|e| e.kid.clone())))
}
