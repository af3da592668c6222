//! One tenant's policy for many threads: a pool of guest instances over the same
//! verified snapshot, and hot swap.
//!
//! A swap is verified by one instance (which refuses rollbacks, bad signatures and
//! everything else the core refuses); only then do its bytes become the current
//! generation. Idle instances are brought up to date right away, busy ones when they
//! are next checked out, so no call ever sees a snapshot that was not accepted.
//!
//! Idle instances sit in one shard per CPU, and a thread goes to its own shard first:
//! with a single shared list, two threads contending for its lock made each call
//! twice as slow as an instance per thread (BENCHMARKS.md).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use super::GuestConfig;
use super::types::{Authorization, Decision, LoadedInfo};
use super::{Guest, GuestError, Runtime};

/// The accepted snapshot every instance must run.
struct Current {
    generation: u64,
    bytes: Arc<[u8]>,
    info: LoadedInfo,
}

/// A pooled instance. Boxed: a `Guest` is a few hundred bytes of typed export handles,
/// and every checkout and checkin would otherwise copy it.
struct Pooled {
    guest: Box<Guest>,
    generation: u64,
}

struct Shared {
    runtime: Runtime,
    tenant: String,
    config: GuestConfig,
    current: RwLock<Arc<Current>>,
    /// The current generation, readable without the lock on every checkout.
    generation: AtomicU64,
    /// Idle instances, one shard per CPU.
    idle: Box<[Mutex<Vec<Pooled>>]>,
    /// Idle instances each shard keeps.
    per_shard: usize,
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

/// This thread's shard number: threads are dealt out round-robin on first use.
fn home_shard(shards: usize) -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static HOME: Cell<Option<usize>> = const { Cell::new(None) };
    }
    let home = HOME.with(|home| match home.get() {
        Some(home) => home,
        None => {
            let next = NEXT.fetch_add(1, Ordering::Relaxed);
            home.set(Some(next));
            next
        }
    });
    home % shards.max(1)
}

impl Authorizer {
    /// An authorizer over the snapshot `first` loads into its first instance: the
    /// tenant's from the storage import, or bytes the embedder pushes.
    pub(crate) fn new(
        runtime: Runtime,
        tenant: &str,
        mut config: GuestConfig,
        first: impl FnOnce(&mut Guest) -> Result<(LoadedInfo, Arc<[u8]>), GuestError>,
    ) -> Result<Self, GuestError> {
        config.tenant = Some(tenant.to_owned());
        let mut guest = runtime.guest()?;
        guest.configure(&config)?;
        let (info, bytes) = first(&mut guest)?;
        let shards = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per_shard = runtime.config().pool_size.div_ceil(shards).max(1);
        let idle: Box<[Mutex<Vec<Pooled>>]> = (0..shards).map(|_| Mutex::new(Vec::new())).collect();
        lock(&idle[home_shard(shards)]).push(Pooled { guest: Box::new(guest), generation: 0 });
        let shared = Shared {
            runtime,
            tenant: tenant.to_owned(),
            config,
            current: RwLock::new(Arc::new(Current { generation: 0, bytes, info })),
            generation: AtomicU64::new(0),
            idle,
            per_shard,
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
        let pooled = self.take_idle();
        let generation = self.shared.generation.load(Ordering::Acquire);
        match pooled {
            Some(pooled) if pooled.generation == generation => Ok(pooled),
            Some(mut pooled) => {
                let current = self.current();
                pooled.guest.refresh(&current.bytes)?;
                pooled.generation = current.generation;
                Ok(pooled)
            }
            None => {
                let current = self.current();
                let mut guest = self.shared.runtime.guest()?;
                guest.configure(&self.shared.config)?;
                guest.refresh(&current.bytes)?;
                Ok(Pooled { guest: Box::new(guest), generation: current.generation })
            }
        }
    }

    /// An idle instance: from this thread's shard, else from any shard not busy.
    fn take_idle(&self) -> Option<Pooled> {
        let shards = &self.shared.idle;
        let home = home_shard(shards.len());
        if let Some(pooled) = lock(&shards[home]).pop() {
            return Some(pooled);
        }
        shards.iter().filter_map(|shard| shard.try_lock().ok()).find_map(|mut shard| shard.pop())
    }

    /// Returns an instance to this thread's shard, unless it failed or the shard is full.
    fn checkin(&self, pooled: Pooled) {
        if pooled.guest.is_poisoned() {
            return;
        }
        let shards = &self.shared.idle;
        let mut idle = lock(&shards[home_shard(shards.len())]);
        if idle.len() < self.shared.per_shard {
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
        self.swap(|guest| guest.load_from_store(&self.shared.tenant))
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
        let mut stale: Vec<Pooled> = Vec::new();
        for shard in &self.shared.idle {
            let mut idle = lock(shard);
            let (fresh, old): (Vec<_>, Vec<_>) = idle.drain(..).partition(|p| p.generation == generation);
            *idle = fresh;
            stale.extend(old);
        }
        for mut pooled in stale {
            if pooled.guest.refresh(bytes).is_ok() {
                pooled.generation = generation;
                self.checkin(pooled);
            }
        }
    }
}
