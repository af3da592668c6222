//! The host side of the guest's imports (module `tessera`): each reads its
//! arguments out of guest memory with bounds checks and answers from [`Services`].
//! A guest that passes an out-of-bounds range traps; a service failure is an
//! answer ("unavailable"), never a trap.

use std::sync::Arc;

use tessera_abi::wire::KeyPurpose;
use wasmtime::{Caller, Extern, Linker, ResourceLimiter};
use zeroize::Zeroizing;

use super::services::{AuditEvent, Services};

/// Longest log line or random fill a guest may ask for.
const MAX_SMALL_TRANSFER: u32 = 64 << 10;

/// What a guest's store holds on the host side.
pub(crate) struct HostState {
    pub(crate) services: Services,
    pub(crate) limiter: MemoryLimiter,
    /// The value the last `snapshot` or `key` produced, until `take` copies it.
    pending: Zeroizing<Vec<u8>>,
    /// Set for an authorizer's load: keep a copy of the snapshot bytes the storage
    /// import serves (in `served`), to hand to its other instances once this one
    /// accepted them. Off otherwise, so a plain load copies nothing extra.
    pub(crate) keep_served: bool,
    pub(crate) served: Option<Arc<[u8]>>,
}

impl HostState {
    pub(crate) fn new(services: Services, memory_limit: usize) -> Self {
        Self {
            services,
            limiter: MemoryLimiter { limit: memory_limit, exceeded: false },
            pending: Zeroizing::new(Vec::new()),
            keep_served: false,
            served: None,
        }
    }
}

/// Caps an instance's linear memory and remembers that it tried to exceed the cap, so
/// the trap that follows reads as "memory limit", not as a bare guest abort.
pub(crate) struct MemoryLimiter {
    pub(crate) limit: usize,
    pub(crate) exceeded: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 10_000)
    }
}

fn memory(caller: &mut Caller<'_, HostState>) -> wasmtime::Result<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(wasmtime::Error::msg("the guest exports no memory")),
    }
}

/// Copies `len` bytes at `ptr` out of guest memory.
fn read(caller: &mut Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<Vec<u8>> {
    let memory = memory(caller)?;
    let (start, len) = (ptr as usize, len as usize);
    memory
        .data(&caller)
        .get(start..start.saturating_add(len))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| wasmtime::Error::msg("the guest passed a range outside its memory"))
}

fn read_str(caller: &mut Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<String> {
    String::from_utf8(read(caller, ptr, len)?)
        .map_err(|_| wasmtime::Error::msg("the guest passed a string that is not UTF-8"))
}

/// Copies `bytes` into guest memory at `ptr`.
fn write(caller: &mut Caller<'_, HostState>, ptr: u32, bytes: &[u8]) -> wasmtime::Result<()> {
    let memory = memory(caller)?;
    let start = ptr as usize;
    memory
        .data_mut(caller)
        .get_mut(start..start.saturating_add(bytes.len()))
        .ok_or_else(|| wasmtime::Error::msg("the guest passed a range outside its memory"))?
        .copy_from_slice(bytes);
    Ok(())
}

/// Parks `value` for `take` and answers its length (or -1 for none).
fn offer(caller: &mut Caller<'_, HostState>, value: Option<Zeroizing<Vec<u8>>>) -> i64 {
    match value {
        Some(value) => {
            let len = i64::try_from(value.len()).unwrap_or(-2);
            caller.data_mut().pending = value;
            len
        }
        None => -1,
    }
}

/// Registers every import on `linker`.
pub(crate) fn define(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap("tessera", "snapshot", |mut caller: Caller<'_, HostState>, ptr: u32, len: u32| {
        let tenant = read_str(&mut caller, ptr, len)?;
        let stored = caller.data().services.store.snapshot(&tenant);
        Ok(match stored {
            Ok(Some(bytes)) => {
                if caller.data().keep_served {
                    caller.data_mut().served = Some(Arc::from(bytes.as_slice()));
                }
                offer(&mut caller, Some(Zeroizing::new(bytes)))
            }
            Ok(None) => -1,
            Err(error) => {
                tracing::warn!(%tenant, %error, "snapshot store failed");
                -2
            }
        })
    })?;
    linker.func_wrap(
        "tessera",
        "key",
        |mut caller: Caller<'_, HostState>, purpose: u32, ptr: u32, len: u32| {
            let id = read_str(&mut caller, ptr, len)?;
            let keys = &caller.data().services.keys;
            let value = match KeyPurpose::from_code(purpose) {
                Some(KeyPurpose::SnapshotVerify) => {
                    keys.snapshot_key(&id).map(|key| key.to_jwk().into_bytes())
                }
                Some(KeyPurpose::SnapshotDecrypt) => {
                    keys.decryption_key(&id).map(|key| key.to_secret_bytes().to_vec())
                }
                Some(KeyPurpose::TokenKeys) => keys.token_keys(&id).map(String::into_bytes),
                None => return Err(wasmtime::Error::msg("the guest asked for a key of an unknown purpose")),
            };
            Ok(offer(&mut caller, value.map(Zeroizing::new)))
        },
    )?;
    linker.func_wrap("tessera", "take", |mut caller: Caller<'_, HostState>, ptr: u32, len: u32| {
        let pending = std::mem::take(&mut caller.data_mut().pending);
        if pending.len() != len as usize {
            return Err(wasmtime::Error::msg("the guest took a length other than the one offered"));
        }
        write(&mut caller, ptr, &pending)
    })?;
    linker.func_wrap("tessera", "audit", |mut caller: Caller<'_, HostState>, ptr: u32, len: u32| {
        let bytes = read(&mut caller, ptr, len)?;
        let services = &caller.data().services;
        let recorded =
            serde_json::from_slice::<AuditEvent>(&bytes).map_err(|e| e.to_string()).and_then(|mut event| {
                event.time = services.clock.now();
                services.audit.append(event).map_err(|e| e.to_string())
            });
        Ok(match recorded {
            Ok(()) => 0,
            Err(error) => {
                tracing::error!(%error, "audit event not recorded; the guest call fails");
                -1
            }
        })
    })?;
    linker.func_wrap("tessera", "now", |caller: Caller<'_, HostState>| caller.data().services.clock.now())?;
    linker.func_wrap("tessera", "random", |mut caller: Caller<'_, HostState>, ptr: u32, len: u32| {
        if len > MAX_SMALL_TRANSFER {
            return Err(wasmtime::Error::msg("the guest asked for too many random bytes"));
        }
        let mut bytes = vec![0u8; len as usize];
        getrandom::fill(&mut bytes).map_err(|e| wasmtime::Error::msg(format!("no randomness: {e}")))?;
        write(&mut caller, ptr, &bytes)
    })?;
    linker.func_wrap(
        "tessera",
        "log",
        |mut caller: Caller<'_, HostState>, level: u32, ptr: u32, len: u32| {
            let message = read(&mut caller, ptr, len.min(MAX_SMALL_TRANSFER))?;
            let message = String::from_utf8_lossy(&message);
            match level {
                0 => tracing::error!(target: "tessera::guest", "{message}"),
                1 => tracing::warn!(target: "tessera::guest", "{message}"),
                2 => tracing::info!(target: "tessera::guest", "{message}"),
                3 => tracing::debug!(target: "tessera::guest", "{message}"),
                _ => tracing::trace!(target: "tessera::guest", "{message}"),
            }
            Ok(())
        },
    )?;
    Ok(())
}
