//! Subject-scoped snapshots: one user's slice of the tenant's policy
//! ([`Policy::for_subject`]), signed with the server's snapshot key, for a browser
//! signed in as that user. Never encrypted: a page cannot hold a data key, and the
//! slice holds nothing the user may not know about their own access.
//!
//! Validity runs in windows of half the TTL: a snapshot is issued at the start of
//! the current window and expires a TTL later. Signing is deterministic, so every
//! request in one window gets the same bytes (and a `304` for its entity tag),
//! and whatever a page holds has at least half the TTL left when it gets it.

use sha2::{Digest, Sha256};
use tessera_core::{Policy, SigningKey, Snapshot};

/// A sealed snapshot for one user, and what its response says about it.
pub(crate) struct SubjectSnapshot {
    pub(crate) bytes: Vec<u8>,
    /// The entity tag: the digest of the bytes, quoted.
    pub(crate) etag: String,
    pub(crate) revision: u64,
    pub(crate) expires_at: i64,
}

/// When a snapshot issued at `now` starts and stops being valid.
pub(crate) fn window(now: i64, ttl: i64) -> (i64, i64) {
    let step = (ttl / 2).max(1);
    let issued_at = now - now.rem_euclid(step);
    (issued_at, issued_at.saturating_add(ttl))
}

/// `user`'s slice of `policy` at `revision`, sealed with `signer`.
pub(crate) fn seal(
    policy: &Policy,
    revision: u64,
    user: &str,
    (now, ttl): (i64, i64),
    signer: &SigningKey,
) -> Result<SubjectSnapshot, tessera_core::Error> {
    let (issued_at, expires_at) = window(now, ttl);
    let snapshot =
        Snapshot { revision, issued_at, expires_at: Some(expires_at), policy: policy.for_subject(user)? };
    let bytes = snapshot.seal(signer)?;
    let digest = Sha256::digest(&bytes);
    let etag = format!("\"s-{}\"", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    Ok(SubjectSnapshot { bytes, etag, revision, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every snapshot a window issues has at least half the TTL left, and one
    /// window's requests share one validity (so one entity tag).
    #[test]
    fn windows_leave_at_least_half_the_ttl() {
        for ttl in [1, 2, 3, 60, 300, 301] {
            for now in 1_700_000_000..1_700_000_000 + 2 * ttl {
                let (issued, expires) = window(now, ttl);
                assert!(issued <= now && expires - now >= ttl - (ttl / 2).max(1), "{ttl} {now}");
                assert!(expires - now <= ttl);
                assert_eq!(window(issued, ttl), (issued, expires));
            }
        }
    }
}
