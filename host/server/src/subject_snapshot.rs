//! Subject-scoped snapshots: one user's slice of the tenant's policy
//! ([`Policy::for_subject`]), signed with the server's snapshot key, for a browser
//! signed in as that user. Never encrypted: a page cannot hold a data key, and the
//! slice holds nothing the user may not know about their own access.
//!
//! Validity runs in windows of half the TTL: a snapshot is issued at the start of
//! the current window and expires a TTL later. Signing is deterministic, so every
//! request in one window gets the same bytes (and a `304` for its entity tag),
//! and whatever a page holds has at least half the TTL left when it gets it.
//!
//! What is cut is kept: per tenant (by key digest: a signed-in user's token names
//! no client key) its published policy, per user their snapshot of the current
//! window and revision, so a page's revalidation costs a revision read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use tessera_core::{Policy, SigningKey, Snapshot};
use tessera_store::{Store, StoreError};

/// How many users' snapshots are kept at most; past it the whole cache starts again
/// (pages poll, so the active ones fill it back within a window).
const MAX_KEPT: usize = 10_000;

/// A sealed snapshot for one user, and what its response says about it.
pub(crate) struct SubjectSnapshot {
    pub(crate) bytes: Vec<u8>,
    /// The entity tag: the digest of the bytes, quoted.
    pub(crate) etag: String,
    pub(crate) revision: u64,
    pub(crate) expires_at: i64,
    window: Window,
}

/// A tenant's published policy, with the revision it was read at and when it
/// changes without one.
struct Source {
    revision: u64,
    changes_at: Option<i64>,
    policy: Policy,
}

/// Subject snapshots issued, and the policies they are cut from.
#[derive(Default)]
pub(crate) struct SubjectSnapshots {
    sources: Mutex<HashMap<String, Arc<Source>>>,
    issued: Mutex<HashMap<(String, String), Arc<SubjectSnapshot>>>,
}

impl SubjectSnapshots {
    /// `user`'s snapshot of the tenant with key digest `digest`, valid for `ttl`
    /// seconds: the one issued in this window at this revision, or a new one.
    pub(crate) fn get(
        &self,
        store: &Store,
        signer: &SigningKey,
        (digest, user): (&str, &str),
        ttl: i64,
    ) -> Result<Arc<SubjectSnapshot>, StoreError> {
        let now = tessera_store::now();
        let source = self.source(store, digest, now)?;
        let window = Window::at(now, ttl, source.changes_at);
        let key = (digest.to_owned(), user.to_owned());
        let kept = lock(&self.issued).get(&key).cloned();
        if let Some(kept) = kept.filter(|k| k.revision == source.revision && k.window == window) {
            return Ok(kept);
        }
        let sealed = Arc::new(
            seal(&source.policy, source.revision, user, window, signer)
                .map_err(|e| StoreError::Crypto(format!("building a subject snapshot: {e}")))?,
        );
        let mut issued = lock(&self.issued);
        if issued.len() >= MAX_KEPT {
            issued.clear();
        }
        issued.insert(key, Arc::clone(&sealed));
        Ok(sealed)
    }

    /// The published policy of the tenant with key digest `digest`, read again when
    /// its revision moved or its key-backed users changed.
    fn source(&self, store: &Store, digest: &str, now: i64) -> Result<Arc<Source>, StoreError> {
        let revision = match store.revision_of_digest(digest) {
            Err(gone @ StoreError::UnknownTenant(_)) => {
                // Gone (its key rotated): nothing of it stays here.
                lock(&self.sources).remove(digest);
                lock(&self.issued).retain(|(tenant, _), _| tenant != digest);
                return Err(gone);
            }
            other => other?,
        };
        let cached = lock(&self.sources).get(digest).cloned();
        if let Some(source) =
            cached.filter(|s| s.revision == revision && s.changes_at.is_none_or(|at| now < at))
        {
            return Ok(source);
        }
        let published = store.published_by_digest(digest)?;
        let source = Arc::new(Source {
            revision: published.revision,
            changes_at: published.changes_at,
            policy: published.policy,
        });
        lock(&self.sources).insert(digest.to_owned(), Arc::clone(&source));
        Ok(source)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// When a snapshot is valid: from the start of the current window to a TTL later,
/// or until the policy changes without a new revision (a key-backed user's last API
/// key expires), whichever comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    issued_at: i64,
    expires_at: i64,
}

impl Window {
    /// The window a snapshot issued at `now` belongs to.
    pub(crate) fn at(now: i64, ttl: i64, changes_at: Option<i64>) -> Self {
        let step = (ttl / 2).max(1);
        let issued_at = now - now.rem_euclid(step);
        let expires_at = issued_at.saturating_add(ttl);
        Self { issued_at, expires_at: changes_at.map_or(expires_at, |at| at.min(expires_at)) }
    }
}

/// `user`'s slice of `policy` at `revision`, valid in `window`, sealed with `signer`.
fn seal(
    policy: &Policy,
    revision: u64,
    user: &str,
    window: Window,
    signer: &SigningKey,
) -> Result<SubjectSnapshot, tessera_core::Error> {
    let Window { issued_at, expires_at } = window;
    let snapshot =
        Snapshot { revision, issued_at, expires_at: Some(expires_at), policy: policy.for_subject(user)? };
    let bytes = snapshot.seal(signer)?;
    let digest = Sha256::digest(&bytes);
    let etag = format!("\"s-{}\"", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    Ok(SubjectSnapshot { bytes, etag, revision, expires_at, window })
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
                let Window { issued_at, expires_at } = Window::at(now, ttl, None);
                assert!(issued_at <= now && expires_at - now >= ttl - (ttl / 2).max(1), "{ttl} {now}");
                assert!(expires_at - now <= ttl);
                assert_eq!(Window::at(issued_at, ttl, None), Window { issued_at, expires_at });
            }
        }
    }

    /// A snapshot never outlives the policy it was cut from.
    #[test]
    fn a_window_ends_when_the_policy_changes() {
        let now = 1_700_000_000;
        assert_eq!(Window::at(now, 300, Some(now + 10)).expires_at, now + 10);
        assert_eq!(Window::at(now, 300, Some(now + 10_000)), Window::at(now, 300, None));
    }
}
