//! What the server holds per tenant: the signed snapshot of the store's current
//! revision and an [`Authorizer`] (guest instances in wasmtime) deciding from it.
//!
//! Built on first use and rebuilt when the tenant changes. A change is noticed three
//! ways: a write through this process marks the tenant at once (so a client reads its
//! own writes), PostgreSQL's NOTIFY marks it when another process commits one, and a
//! poll of the revisions catches anything else (the CLI writing to SQLite). A mark
//! bumps a counter; a rebuild records the counter it started from, so a change that
//! lands during a rebuild is never lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tessera_core::{EncryptionKey, SigningKey, Snapshot};

use crate::runtime::{Authorizer, GuestConfig, GuestError, Runtime, ServiceError, SnapshotStore};
use crate::store::{Store, StoreError};

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
    /// The tenant's `strict_users` setting.
    pub(crate) strict_users: bool,
    /// Users with a live API key, with when their last key expires.
    key_backed: HashMap<String, Option<i64>>,
}

impl View {
    /// Whether strict users answers `user` negatively at `now`.
    pub(crate) fn strict_blocks(&self, user: &str, now: i64) -> bool {
        self.strict_users && !self.key_backed.get(user).is_some_and(|until| until.is_none_or(|at| at > now))
    }
}

/// One tenant, loaded.
pub(crate) struct Tenant {
    pub(crate) authorizer: Authorizer,
    view: RwLock<Arc<View>>,
    /// Marks (changes noticed) so far, and the mark the current view was built at.
    wanted: AtomicU64,
    built: AtomicU64,
    /// One rebuild at a time.
    rebuilding: Mutex<()>,
}

impl Tenant {
    /// What is in force.
    pub(crate) fn view(&self) -> Arc<View> {
        Arc::clone(&self.view.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn fresh(&self) -> bool {
        self.built.load(Ordering::Acquire) >= self.wanted.load(Ordering::Acquire)
    }
}

/// The sealed bytes of every tenant's current view, which is where each tenant's
/// authorizer loads its snapshot from.
#[derive(Clone, Default)]
pub(crate) struct Sealed(Arc<RwLock<HashMap<String, Arc<[u8]>>>>);

impl SnapshotStore for Sealed {
    fn snapshot(&self, tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(self.0.read().unwrap_or_else(PoisonError::into_inner).get(tenant).map(|b| b.to_vec()))
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
    sealed: Sealed,
    signer: SigningKey,
    /// The data key served snapshots are encrypted with, if any.
    encryption: Option<EncryptionKey>,
    config: GuestConfig,
    loaded: RwLock<HashMap<String, Arc<Tenant>>>,
    /// Serializes first loads, so two requests do not build one tenant twice.
    loading: Mutex<()>,
}

impl Tenants {
    pub(crate) fn new(
        store: Arc<Store>,
        runtime: Runtime,
        sealed: Sealed,
        (signer, encryption): (SigningKey, Option<EncryptionKey>),
        config: GuestConfig,
    ) -> Self {
        Self {
            store,
            runtime,
            sealed,
            signer,
            encryption,
            config,
            loaded: RwLock::default(),
            loading: Mutex::default(),
        }
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
        let mut config = self.config.clone();
        config.token.audiences = vec![super::app::tenant_audience(key)];
        let authorizer = self.runtime.authorizer(key, config)?;
        let tenant = Arc::new(Tenant {
            authorizer,
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
        if tenant.built.load(Ordering::Acquire) >= wanted {
            return Ok(());
        }
        let Some(view) = self.build(key)? else {
            self.forget(key);
            return Ok(());
        };
        if view.revision > tenant.view().revision {
            tenant.authorizer.reload()?;
            *tenant.view.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(view);
        }
        tenant.built.store(wanted, Ordering::Release);
        Ok(())
    }

    /// Reads the tenant from the store and seals its snapshot, which becomes what
    /// its authorizer loads. `None`: the tenant does not exist.
    fn build(&self, key: &str) -> Result<Option<View>, LoadError> {
        let (document, revision) = match self.store.policy(key) {
            Ok(found) => found,
            Err(StoreError::UnknownTenant(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let settings = self.store.settings(key)?;
        let key_backed =
            if settings.strict_users { self.store.key_backed_users(key)? } else { HashMap::new() };
        let policy = document.into_policy().map_err(|e| LoadError::Store(StoreError::Policy(e)))?;
        let snapshot = Snapshot { revision, issued_at: crate::store::now(), expires_at: None, policy };
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
        let etag = format!("\"{}-{revision}\"", &key[..8]);
        self.sealed.0.write().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned(), bytes);
        Ok(Some(View { revision, snapshot: served, etag, strict_users: settings.strict_users, key_backed }))
    }

    /// Notes that `key` changed: its next use rebuilds it.
    pub(crate) fn mark(&self, key: &str) {
        if let Some(tenant) = self.cached(key) {
            tenant.wanted.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Drops `key` (its client key was rotated away, or the tenant is gone).
    pub(crate) fn forget(&self, key: &str) {
        self.loaded.write().unwrap_or_else(PoisonError::into_inner).remove(key);
        self.sealed.0.write().unwrap_or_else(PoisonError::into_inner).remove(key);
    }

    /// Compares the loaded tenants with the store's revisions: marks the changed ones
    /// and forgets those whose client key no longer exists.
    pub(crate) fn poll(&self) -> Result<(), StoreError> {
        let revisions: HashMap<String, u64> = self.store.revisions()?.into_iter().collect();
        let loaded: Vec<(String, Arc<Tenant>)> = self
            .loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(k, t)| (k.clone(), Arc::clone(t)))
            .collect();
        for (key, tenant) in loaded {
            match revisions.get(&key) {
                None => self.forget(&key),
                Some(&revision) if revision > tenant.view().revision && tenant.fresh() => self.mark(&key),
                Some(_) => {}
            }
        }
        Ok(())
    }
}
