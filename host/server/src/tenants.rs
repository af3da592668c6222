//! What the server holds per tenant: the signed snapshot of the store's current
//! revision and an [`Authorizer`] (guest instances in wasmtime) deciding from it.
//!
//! Built on first use and rebuilt when the tenant changes. A change is noticed three
//! ways: a write through this process marks the tenant at once (so a client reads its
//! own writes), PostgreSQL's NOTIFY marks it when another process commits one, and a
//! poll of the revisions catches anything else (the CLI writing to SQLite). A mark
//! bumps a counter; a rebuild records the counter it started from, so a change that
//! lands during a rebuild is never lost.
//!
//! Every snapshot is pushed to its authorizer as bytes (never read back through the
//! guest's storage import): a tenant forgotten by one thread cannot take the bytes
//! from under another thread's load.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tessera_core::{EncryptionKey, SigningKey, Snapshot};

use crate::subject_snapshot::{SubjectSnapshot, SubjectSnapshots};

use tessera_runtime::{Authorizer, GuestConfig, GuestError, Runtime, ServiceError, SnapshotStore};
use tessera_store::{Store, StoreError};

/// A tenant's snapshot as built from one revision of the store.
#[derive(Debug)]
pub(crate) struct View {
    /// The store's revision it was built from.
    pub(crate) revision: u64,
    /// What `GET /api/snapshot` serves: the signed snapshot, encrypted too when
    /// `AUTH_SNAPSHOT_ENCRYPTION` is on.
    pub(crate) snapshot: Arc<[u8]>,
    /// Its entity tag.
    pub(crate) etag: String,
    /// The signed snapshot in the clear: what the tenant's authorizer loads.
    sealed: Arc<[u8]>,
    /// When the policy changes without a new revision (a key-backed user's last key
    /// expires): the view is built again from then on.
    changes_at: Option<i64>,
}

/// One tenant, loaded.
pub(crate) struct Tenant {
    pub(crate) authorizer: Authorizer,
    /// The digest of its client key: how the store and its change notices name it.
    digest: String,
    view: RwLock<Arc<View>>,
    /// Marks (changes noticed) so far, and the mark the current view was built at.
    wanted: AtomicU64,
    built: AtomicU64,
    /// The view's `changes_at` (`i64::MAX`: never), read without its lock.
    changes_at: AtomicI64,
    /// One rebuild at a time.
    rebuilding: Mutex<()>,
}

impl Tenant {
    /// What is in force.
    pub(crate) fn view(&self) -> Arc<View> {
        Arc::clone(&self.view.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn fresh(&self) -> bool {
        let changes_at = self.changes_at.load(Ordering::Acquire);
        self.built.load(Ordering::Acquire) >= self.wanted.load(Ordering::Acquire)
            && (changes_at == i64::MAX || tessera_store::now() < changes_at)
    }

    /// Puts `view` in force.
    fn install(&self, view: View) {
        self.changes_at.store(view.changes_at.unwrap_or(i64::MAX), Ordering::Release);
        *self.view.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(view);
    }
}

/// The guest's storage import in the server: empty, because the server pushes every
/// snapshot to its authorizers (`Tenants::build` seals it, the authorizer verifies it).
#[derive(Clone, Copy, Default)]
pub(crate) struct Pushed;

impl SnapshotStore for Pushed {
    fn snapshot(&self, _tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(None)
    }
}

/// Why a tenant could not be loaded.
#[derive(Debug)]
pub(crate) enum LoadError {
    Store(StoreError),
    Guest(GuestError),
}

impl From<StoreError> for LoadError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<GuestError> for LoadError {
    fn from(e: GuestError) -> Self {
        Self::Guest(e)
    }
}

/// Every loaded tenant.
pub(crate) struct Tenants {
    store: Arc<Store>,
    runtime: Runtime,
    signer: SigningKey,
    /// The data key served snapshots are encrypted with, if any.
    encryption: Option<EncryptionKey>,
    config: GuestConfig,
    /// Where the audit queue looks up the tenant id of each loaded key.
    directory: crate::audit_writer::Directory,
    loaded: RwLock<HashMap<String, Arc<Tenant>>>,
    /// Serializes first loads, so two requests do not build one tenant twice.
    loading: Mutex<()>,
    /// Subject-scoped snapshots, and the published policies they are cut from.
    subjects: SubjectSnapshots,
}

impl Tenants {
    pub(crate) fn new(
        store: Arc<Store>,
        runtime: Runtime,
        (signer, encryption): (SigningKey, Option<EncryptionKey>),
        config: GuestConfig,
        directory: crate::audit_writer::Directory,
    ) -> Self {
        Self {
            store,
            runtime,
            signer,
            encryption,
            config,
            directory,
            loaded: RwLock::default(),
            loading: Mutex::default(),
            subjects: SubjectSnapshots::default(),
        }
    }

    /// `user`'s subject-scoped snapshot of the tenant with key digest `digest`,
    /// valid for `ttl` seconds (blocking: a revision read, and a policy read when it
    /// changed).
    pub(crate) fn subject_snapshot(
        &self,
        digest: &str,
        user: &str,
        ttl: i64,
    ) -> Result<Arc<SubjectSnapshot>, StoreError> {
        self.subjects.get(&self.store, &self.signer, (digest, user), ttl)
    }

    fn cached(&self, key: &str) -> Option<Arc<Tenant>> {
        self.loaded.read().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    /// The loaded, current tenant, if it is loaded and nothing changed since: the fast
    /// path, which touches neither the database nor a lock held for long.
    pub(crate) fn ready(&self, key: &str) -> Option<Arc<Tenant>> {
        self.cached(key).filter(|t| t.fresh())
    }

    /// The tenant with its current revision in force, loading or rebuilding it when
    /// needed (blocking: database reads and a snapshot compile). `None`: no such tenant.
    pub(crate) fn get(&self, key: &str) -> Result<Option<Arc<Tenant>>, LoadError> {
        if let Some(tenant) = self.cached(key) {
            if !tenant.fresh() {
                self.rebuild(key, &tenant)?;
            }
            return Ok(Some(tenant));
        }
        let _loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tenant) = self.cached(key) {
            return Ok(Some(tenant));
        }
        let Some(view) = self.build(key)? else { return Ok(None) };
        self.directory.insert(key, self.store.tenant_id(key)?);
        let mut config = self.config.clone();
        config.token.audiences = vec![super::app::tenant_audience(key)];
        let authorizer = self.runtime.authorizer_with_snapshot(key, config, &view.sealed)?;
        let tenant = Arc::new(Tenant {
            authorizer,
            digest: tessera_store::key_digest(key),
            changes_at: AtomicI64::new(view.changes_at.unwrap_or(i64::MAX)),
            view: RwLock::new(Arc::new(view)),
            wanted: AtomicU64::new(0),
            built: AtomicU64::new(0),
            rebuilding: Mutex::new(()),
        });
        self.loaded
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned(), Arc::clone(&tenant));
        Ok(Some(tenant))
    }

    fn rebuild(&self, key: &str, tenant: &Tenant) -> Result<(), LoadError> {
        let _one = tenant.rebuilding.lock().unwrap_or_else(PoisonError::into_inner);
        let wanted = tenant.wanted.load(Ordering::Acquire);
        if tenant.fresh() {
            return Ok(());
        }
        let Some(view) = self.build(key)? else {
            self.forget(key);
            return Ok(());
        };
        // A newer revision, or the same one with other key-backed users (a key expired).
        let current = tenant.view();
        if view.revision > current.revision
            || (view.revision == current.revision && view.etag != current.etag)
        {
            tenant.authorizer.replace(&view.sealed)?;
            tenant.install(view);
        } else {
            tenant.changes_at.store(view.changes_at.unwrap_or(i64::MAX), Ordering::Release);
        }
        tenant.built.store(wanted, Ordering::Release);
        Ok(())
    }

    /// Reads the tenant from the store and seals its snapshot. `None`: the tenant
    /// does not exist.
    fn build(&self, key: &str) -> Result<Option<View>, LoadError> {
        let published = match self.store.published(key) {
            Ok(found) => found,
            Err(StoreError::UnknownTenant(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let revision = published.revision;
        // Named by the key's digest: an ETag reaches caches and logs, a key must not.
        // Under strict users, the key-backed users are part of it: they change at one
        // revision when a key expires.
        let digest = tessera_store::key_digest(key);
        let mut etag = format!("{}-{revision}", digest.get(..16).unwrap_or_default());
        if let Some(users) = published.policy.strict_users() {
            etag.push_str(&format!(
                "-{}",
                tessera_store::key_digest(&users.join("\n")).get(..8).unwrap_or_default()
            ));
        }
        let snapshot = Snapshot {
            revision,
            issued_at: tessera_store::now(),
            expires_at: None,
            policy: published.policy,
        };
        let bytes: Arc<[u8]> = snapshot
            .seal(&self.signer)
            .map_err(|e| LoadError::Store(StoreError::Crypto(format!("sealing the snapshot: {e}"))))?
            .into();
        let served = match &self.encryption {
            Some(data_key) => snapshot
                .seal_encrypted(&self.signer, data_key)
                .map_err(|e| LoadError::Store(StoreError::Crypto(format!("encrypting the snapshot: {e}"))))?
                .into(),
            None => Arc::clone(&bytes),
        };
        Ok(Some(View {
            revision,
            snapshot: served,
            etag: format!("\"{etag}\""),
            sealed: bytes,
            changes_at: published.changes_at,
        }))
    }

    /// Notes that `key` changed: its next use rebuilds it.
    pub(crate) fn mark(&self, key: &str) {
        if let Some(tenant) = self.cached(key) {
            tenant.wanted.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Notes that the tenant whose client key has this digest changed (a change
    /// notice names tenants by digest, never by key).
    pub(crate) fn mark_digest(&self, digest: &str) {
        let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(tenant) = loaded.values().find(|tenant| tenant.digest == digest) {
            tenant.wanted.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Drops `key` (its client key was rotated away, or the tenant is gone).
    pub(crate) fn forget(&self, key: &str) {
        self.loaded.write().unwrap_or_else(PoisonError::into_inner).remove(key);
    }

    /// Compares the loaded tenants with the store's revisions: marks the changed ones
    /// and forgets those whose client key no longer exists.
    pub(crate) fn poll(&self) -> Result<(), StoreError> {
        // The loaded tenants first, the revisions after: a tenant created and loaded
        // between the two reads would otherwise look deleted and be forgotten.
        let loaded: Vec<(String, Arc<Tenant>)> = self
            .loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(k, t)| (k.clone(), Arc::clone(t)))
            .collect();
        let revisions: HashMap<String, u64> = self.store.revisions()?.into_iter().collect();
        for (key, tenant) in loaded {
            match revisions.get(&tenant.digest) {
                None => self.forget(&key),
                Some(&revision) if revision > tenant.view().revision && tenant.fresh() => self.mark(&key),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "test code: a failed unwrap is a failed test"
    )]

    use std::sync::atomic::AtomicBool;

    use tessera_core::VerifyingKey;

    use super::*;
    use tessera_runtime::{KeyProvider, RuntimeConfig, Services};
    use tessera_store::{FieldKeys, Location, Scope};

    struct Trusted(VerifyingKey);

    impl KeyProvider for Trusted {
        fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
            (self.0.kid() == kid).then(|| self.0.clone())
        }
    }

    /// New tenants are created, loaded, changed and rebuilt while another thread polls
    /// the revisions as fast as it can: no load may fail. A poll that read the
    /// revisions before a tenant existed and the loaded list after it was loaded used
    /// to forget the tenant, and with it the bytes a concurrent load was reading
    /// (`ERR_SNAPSHOT_NOT_FOUND`, a 500 on the first writes of a new client key).
    #[test]
    fn polling_never_breaks_a_concurrent_load() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("tessera.db"));
        let store = Arc::new(Store::open(&location, FieldKeys::plain(), true).unwrap());
        let signer = SigningKey::generate().unwrap();
        let services = Services::new(Pushed, Trusted(signer.verifying_key()));
        let runtime = Runtime::new(RuntimeConfig::default(), services).unwrap();
        let tenants = Arc::new(Tenants::new(
            Arc::clone(&store),
            runtime,
            (signer, None),
            GuestConfig::default(),
            Default::default(),
        ));
        let done = Arc::new(AtomicBool::new(false));
        let poller = {
            let (tenants, done) = (Arc::clone(&tenants), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut polls = 0_u64;
                while !done.load(Ordering::Relaxed) {
                    tenants.poll().unwrap();
                    polls += 1;
                }
                polls
            })
        };
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (tenants, store) = (Arc::clone(&tenants), Arc::clone(&store));
                std::thread::spawn(move || {
                    for _ in 0..40 {
                        let key = store.create_tenant(None, "test").unwrap();
                        let scope = Scope { tenant: key.clone(), actor: "test".into() };
                        let tenant = tenants.get(&key).expect("first load").expect("the tenant exists");
                        assert!(!tenant.authorizer.can("alice", "posts:read").unwrap());
                        store.add_role(&scope, "viewer", None, &[]).unwrap();
                        store.add_member(&scope, "alice", "viewer").unwrap();
                        tenants.mark(&key);
                        tenants.get(&key).expect("rebuild").expect("the tenant exists");
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        assert!(poller.join().unwrap() > 0);
    }
}
