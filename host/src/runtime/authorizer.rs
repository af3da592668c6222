//! One tenant's policy for many threads: a pool of guest instances over the same
//! verified snapshot, and hot swap.
//!
//! A swap is verified by one instance (which refuses rollbacks, bad signatures and
//! everything else the core refuses); only then do its bytes become the current
//! generation. Idle instances are brought up to date right away, busy ones when they
//! are next checked out, so no call ever sees a snapshot that was not accepted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use super::types::{Authorization, Decision, GuestConfig, LoadedInfo};
use super::{Guest, GuestError, Runtime};

/// The accepted snapshot every instance must run.
struct Current {
    generation: u64,
    bytes: Arc<[u8]>,
    info: LoadedInfo,
}

struct Pooled {
    guest: Guest,
    generation: u64,
}

struct Shared {
    runtime: Runtime,
    tenant: String,
    config: GuestConfig,
    current: RwLock<Arc<Current>>,
    /// The current generation, readable without the lock on every checkout.
    generation: AtomicU64,
    idle: Mutex<Vec<Pooled>>,
    /// One swap at a time, so generations follow the order swaps were accepted in.
    swapping: Mutex<()>,
}

/// One tenant's authorizer, shared by any number of threads (`Clone` shares it).
#[derive(Clone)]
pub struct Authorizer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer").field("tenant", &self.shared.tenant).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a pool lock leaves the pool itself consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Authorizer {
    pub(crate) fn new(runtime: Runtime, tenant: &str, mut config: GuestConfig) -> Result<Self, GuestError> {
        config.tenant = Some(tenant.to_owned());
        let mut guest = runtime.guest()?;
        guest.configure(&config)?;
        let info = guest.load(tenant)?;
        let bytes =
            guest.take_served().ok_or_else(|| GuestError::abi("the guest loaded without reading storage"))?;
        let shared = Shared {
            runtime,
            tenant: tenant.to_owned(),
            config,
            current: RwLock::new(Arc::new(Current { generation: 0, bytes, info })),
            generation: AtomicU64::new(0),
            idle: Mutex::new(vec![Pooled { guest, generation: 0 }]),
            swapping: Mutex::new(()),
        };
        Ok(Self { shared: Arc::new(shared) })
    }

    /// The tenant.
    pub fn tenant(&self) -> &str {
        &self.shared.tenant
    }

    /// What is in force.
    pub fn info(&self) -> LoadedInfo {
        self.current().info.clone()
    }

    fn current(&self) -> Arc<Current> {
        Arc::clone(&self.shared.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// An instance running the current generation: an idle one, brought up to date if
    /// a swap happened since it ran, or a new one.
    fn checkout(&self) -> Result<Pooled, GuestError> {
        let pooled = lock(&self.shared.idle).pop();
        let generation = self.shared.generation.load(Ordering::Acquire);
        match pooled {
            Some(pooled) if pooled.generation == generation => Ok(pooled),
            Some(mut pooled) => {
                let current = self.current();
                pooled.guest.load_bytes(&current.bytes)?;
                pooled.generation = current.generation;
                Ok(pooled)
            }
            None => {
                let current = self.current();
                let mut guest = self.shared.runtime.guest()?;
                guest.configure(&self.shared.config)?;
                guest.load_bytes(&current.bytes)?;
                Ok(Pooled { guest, generation: current.generation })
            }
        }
    }

    /// Returns an instance to the pool, unless it failed or the pool is full.
    fn checkin(&self, pooled: Pooled) {
        if pooled.guest.is_poisoned() {
            return;
        }
        let mut idle = lock(&self.shared.idle);
        if idle.len() < self.shared.runtime.config().pool_size {
            idle.push(pooled);
        }
    }

    /// Runs `f` on an instance of this tenant's current snapshot. An instance whose
    /// call trapped, timed out or ran out of memory is dropped; the next call gets a
    /// fresh one.
    pub fn with<R>(&self, f: impl FnOnce(&mut Guest) -> Result<R, GuestError>) -> Result<R, GuestError> {
        let mut pooled = self.checkout()?;
        let result = f(&mut pooled.guest);
        self.checkin(pooled);
        result
    }

    /// Whether `user` holds `permission`, and why.
    pub fn check(&self, user: &str, permission: &str) -> Result<Decision, GuestError> {
        self.with(|guest| guest.check(user, permission))
    }

    /// Whether `user` holds `permission`.
    pub fn can(&self, user: &str, permission: &str) -> Result<bool, GuestError> {
        self.with(|guest| guest.can(user, permission))
    }

    /// One answer per permission.
    pub fn check_many<P: AsRef<str>>(&self, user: &str, permissions: &[P]) -> Result<Vec<bool>, GuestError> {
        self.with(|guest| guest.check_many(user, permissions))
    }

    /// Validates a token, then decides for its subject (`now` defaults to the host clock).
    pub fn authorize(
        &self,
        token: &str,
        permission: &str,
        now: Option<i64>,
    ) -> Result<Authorization, GuestError> {
        self.with(|guest| guest.authorize(token, permission, now))
    }

    /// Reads the tenant's snapshot from the store again and swaps it in if it is new.
    /// A refused snapshot (rollback, bad signature, ...) leaves the current one in force.
    pub fn reload(&self) -> Result<LoadedInfo, GuestError> {
        self.swap(|guest| {
            let info = guest.load(&self.shared.tenant)?;
            let bytes = guest
                .take_served()
                .ok_or_else(|| GuestError::abi("the guest loaded without reading storage"))?;
            Ok((info, bytes))
        })
    }

    /// Swaps in snapshot bytes pushed to the embedder, with the same checks as `reload`.
    pub fn replace(&self, snapshot: &[u8]) -> Result<LoadedInfo, GuestError> {
        self.swap(|guest| Ok((guest.load_bytes(snapshot)?, Arc::from(snapshot))))
    }

    fn swap(
        &self,
        load: impl FnOnce(&mut Guest) -> Result<(LoadedInfo, Arc<[u8]>), GuestError>,
    ) -> Result<LoadedInfo, GuestError> {
        let _one_at_a_time = lock(&self.shared.swapping);
        let mut pooled = self.checkout()?;
        let loaded = load(&mut pooled.guest);
        let (info, bytes) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                // The instance still runs the current snapshot (a refusal changes nothing),
                // unless the failure poisoned it, and then checkin drops it.
                self.checkin(pooled);
                return Err(error);
            }
        };
        let current = self.current();
        if info == current.info {
            self.checkin(pooled);
            return Ok(info);
        }
        let generation = current.generation + 1;
        *self.shared.current.write().unwrap_or_else(PoisonError::into_inner) =
            Arc::new(Current { generation, bytes: Arc::clone(&bytes), info: info.clone() });
        self.shared.generation.store(generation, Ordering::Release);
        pooled.generation = generation;
        self.checkin(pooled);
        self.refresh_idle(&bytes, generation);
        Ok(info)
    }

    /// Brings idle instances to `generation` now, so the first calls after a swap do
    /// not pay for loading it.
    fn refresh_idle(&self, bytes: &[u8], generation: u64) {
        let stale: Vec<Pooled> = {
            let mut idle = lock(&self.shared.idle);
            let (fresh, stale) = idle.drain(..).partition(|pooled| pooled.generation == generation);
            *idle = fresh;
            stale
        };
        for mut pooled in stale {
            if pooled.guest.load_bytes(bytes).is_ok() {
                pooled.generation = generation;
                self.checkin(pooled);
            }
        }
    }
}
