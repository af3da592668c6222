//! # tessera-runtime
//!
//! The wasmtime runtime: the same core that ships to browsers, run as a sandboxed
//! guest, so a server decides exactly as every other runtime does.
//!
//! - [`Runtime`]: built once per process. Holds the compiled guest (cached on disk,
//!   so start-up does not recompile it), the sandbox limits, and the [`Services`] the
//!   guest imports (storage, keys, audit, clock).
//! - [`Guest`]: one instance with its own memory; `&mut self`, for one thread.
//! - [`Authorizer`]: one tenant's policy, shared by any number of threads: a pool of
//!   instances, hot swap of snapshots ([`Authorizer::reload`], [`Authorizer::replace`]).
//!
//! Every call runs under a memory limit and a deadline. A guest that traps, runs out
//! of memory or time fails that call only; its instance is thrown away.
//!
//! ```no_run
//! use tessera_runtime::{GuestConfig, KeyProvider, Runtime, RuntimeConfig, Services, SnapshotStore, ServiceError};
//! use tessera_core::VerifyingKey;
//!
//! struct Files;
//! impl SnapshotStore for Files {
//!     fn snapshot(&self, tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
//!         Ok(std::fs::read(format!("{tenant}.snapshot")).ok())
//!     }
//! }
//! struct Trusted(VerifyingKey);
//! impl KeyProvider for Trusted {
//!     fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
//!         (kid == self.0.kid()).then(|| self.0.clone())
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = VerifyingKey::from_jwk("{}")?;
//! let runtime = Runtime::new(RuntimeConfig::default(), Services::new(Files, Trusted(key)))?;
//! let authz = runtime.authorizer("0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b", GuestConfig::default())?;
//! let decision = authz.check("alice", "posts:edit")?;
//! println!("{} ({})", decision.allowed(), decision.reason());
//! # Ok(()) }
//! ```

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod abi_fuzz;
mod authorizer;
mod cache;
mod error;
mod guest;
mod imports;
mod services;
mod types;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstancePre, Linker, OptLevel};

pub use authorizer::Authorizer;
pub use cache::ModuleSource;
pub use error::GuestError;
pub use guest::Guest;
pub use services::{
    AuditEvent, AuditSink, Clock, KeyProvider, ServiceError, Services, SnapshotStore, SystemClock,
    TracingAudit,
};
pub use tessera_abi::config::{AuditChecks, GuestConfig};
pub use types::{Authorization, Decision, Finding, LoadedInfo};

use imports::HostState;

/// The guest module, built from `wasm/guest` by `build.rs`.
pub static GUEST_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tessera_guest.wasm"));

/// How often the deadline clock ticks; deadlines are rounded up to it.
const TICK: Duration = Duration::from_millis(5);

/// Sandbox limits and the module cache.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Where the compiled guest is cached; `None` compiles on every start.
    /// Default: `$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`.
    pub cache_dir: Option<PathBuf>,
    /// Most linear memory one instance may use, in bytes (default 512 MiB).
    pub memory_limit: usize,
    /// Deadline of a query, check or token call (default 1 s).
    pub call_timeout: Duration,
    /// Deadline of loading a snapshot or policy (default 30 s: a large tenant's
    /// snapshot is verified and compiled inside it).
    pub load_timeout: Duration,
    /// Instances an [`Authorizer`] keeps idle for reuse (default: twice the CPUs).
    pub pool_size: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            cache_dir: cache::default_dir(),
            memory_limit: 512 << 20,
            call_timeout: Duration::from_secs(1),
            load_timeout: Duration::from_secs(30),
            pool_size: std::thread::available_parallelism().map_or(4, |n| n.get() * 2),
        }
    }
}

/// The compiled guest, its limits and its services. Cheap to clone; build it once.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    instance_pre: InstancePre<HostState>,
    services: Services,
    config: RuntimeConfig,
    source: ModuleSource,
    ticking: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.ticking.store(false, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.inner.config)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl Runtime {
    /// Compiles (or loads from the cache) the guest and starts the deadline clock.
    pub fn new(config: RuntimeConfig, services: Services) -> Result<Self, GuestError> {
        Self::with_module(config, services, GUEST_WASM)
    }

    /// Like [`Runtime::new`] with another build of the guest module (for tests and
    /// packagers; it must speak the same ABI version).
    pub fn with_module(config: RuntimeConfig, services: Services, wasm: &[u8]) -> Result<Self, GuestError> {
        let mut wasm_config = Config::new();
        wasm_config.epoch_interruption(true).cranelift_opt_level(OptLevel::Speed);
        let engine = Engine::new(&wasm_config).map_err(GuestError::setup)?;
        let (module, source) =
            cache::load_or_compile(&engine, wasm, config.cache_dir.as_deref()).map_err(GuestError::setup)?;
        let mut linker = Linker::new(&engine);
        imports::define(&mut linker).map_err(GuestError::setup)?;
        let instance_pre = linker.instantiate_pre(&module).map_err(GuestError::setup)?;
        let ticking = Arc::new(AtomicBool::new(true));
        spawn_ticker(&engine, Arc::clone(&ticking)).map_err(GuestError::setup)?;
        Ok(Self { inner: Arc::new(Inner { engine, instance_pre, services, config, source, ticking }) })
    }

    /// Whether the compiled module came from the cache or was compiled now.
    pub fn module_source(&self) -> ModuleSource {
        self.inner.source
    }

    /// The limits in force.
    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    /// A fresh instance, with nothing loaded.
    pub fn guest(&self) -> Result<Guest, GuestError> {
        let inner = &self.inner;
        Guest::instantiate(
            &inner.engine,
            &inner.instance_pre,
            HostState::new(inner.services.clone(), inner.config.memory_limit),
            &inner.config,
        )
    }

    /// One tenant's authorizer: loads the tenant's snapshot from the store and keeps
    /// a pool of instances over it.
    pub fn authorizer(&self, tenant: &str, config: GuestConfig) -> Result<Authorizer, GuestError> {
        Authorizer::new(self.clone(), tenant, config, |guest| guest.load_from_store(tenant))
    }

    /// One tenant's authorizer over snapshot bytes the embedder holds, verified as
    /// [`Authorizer::replace`] verifies them; the storage import is not read. An
    /// embedder that pushes every snapshot this way never races its own store.
    pub fn authorizer_with_snapshot(
        &self,
        tenant: &str,
        config: GuestConfig,
        snapshot: &[u8],
    ) -> Result<Authorizer, GuestError> {
        Authorizer::new(self.clone(), tenant, config, |guest| {
            Ok((guest.load_bytes(snapshot)?, Arc::from(snapshot)))
        })
    }
}

/// Advances the engine's epoch every tick until the runtime is dropped; deadlines
/// count these ticks.
fn spawn_ticker(engine: &Engine, ticking: Arc<AtomicBool>) -> std::io::Result<()> {
    let engine = engine.weak();
    std::thread::Builder::new().name("tessera-deadlines".into()).spawn(move || {
        while ticking.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    })?;
    Ok(())
}

/// A deadline in ticks: rounded up, plus one for the tick that may be about to land.
fn deadline_ticks(timeout: Duration) -> u64 {
    let ticks = timeout.as_nanos().div_ceil(TICK.as_nanos());
    u64::try_from(ticks).unwrap_or(u64::MAX - 1).saturating_add(1)
}
