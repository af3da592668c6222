//! The module boundary: host imports behind safe wrappers, and the exported entry
//! points, each a one-line hand-off to [`crate::state`].
//!
//! This is the one module with `unsafe` code, and all of it is of two kinds, reviewed
//! together:
//! - `#[unsafe(no_mangle)]` on the exports, so the host finds them by name. No two
//!   exports share a name, and none collides with a symbol of std or the core.
//! - calls of the host imports. Every pointer handed to the host is the start of a
//!   live Rust slice (or vector buffer) and its length is that slice's length, so the
//!   host, which bounds-checks against linear memory anyway, only ever writes into
//!   memory we own and have exclusively borrowed for the call.
#![allow(unsafe_code, reason = "the ABI boundary; see the module docs")]

use zeroize::Zeroizing;

use crate::state;
use tessera_abi::wire::{ABI_VERSION, KeyPurpose};

#[link(wasm_import_module = "tessera")]
unsafe extern "C" {
    #[link_name = "snapshot"]
    fn host_snapshot(tenant_ptr: u32, tenant_len: u32) -> i64;
    #[link_name = "key"]
    fn host_key(purpose: u32, id_ptr: u32, id_len: u32) -> i64;
    #[link_name = "take"]
    fn host_take(dst_ptr: u32, len: u32);
    #[link_name = "audit"]
    fn host_audit(ptr: u32, len: u32) -> i32;
    #[link_name = "now"]
    fn host_now() -> i64;
    #[link_name = "random"]
    fn host_random(ptr: u32, len: u32);
    #[link_name = "log"]
    fn host_log(level: u32, ptr: u32, len: u32);
}

/// Address of a slice in linear memory (wasm32: pointers are 32 bits).
fn addr(bytes: &[u8]) -> u32 {
    bytes.as_ptr() as usize as u32
}

/// Address of a slice the host will write into: derived from a unique borrow, so the
/// write does not go through a shared reference.
fn addr_mut(bytes: &mut [u8]) -> u32 {
    bytes.as_mut_ptr() as usize as u32
}

fn len32(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.len()).unwrap_or(u32::MAX)
}

/// Copies the value the host just produced (`len` bytes) into a fresh buffer.
/// Zeroized on drop, since keys travel this way.
fn take(len: i64) -> Option<Zeroizing<Vec<u8>>> {
    let len = usize::try_from(len).ok()?;
    let mut buffer = Zeroizing::new(vec![0u8; len]);
    // SAFETY: `buffer` is a live, exclusively borrowed allocation of exactly `len` bytes.
    let len = len32(&buffer);
    unsafe { host_take(addr_mut(&mut buffer), len) };
    Some(buffer)
}

/// What the storage import answered.
pub(crate) enum Stored {
    /// The tenant's snapshot bytes.
    Found(Zeroizing<Vec<u8>>),
    /// The store has no snapshot for the tenant.
    Missing,
    /// The store failed (the host logged why).
    Failed,
}

/// The tenant's snapshot from the host's storage.
pub(crate) fn stored_snapshot(tenant: &str) -> Stored {
    // SAFETY: the pointer and length describe the live string `tenant`, read-only for the host.
    let len = unsafe { host_snapshot(addr(tenant.as_bytes()), len32(tenant.as_bytes())) };
    match len {
        -1 => Stored::Missing,
        len if len < 0 => Stored::Failed,
        len => take(len).map_or(Stored::Failed, Stored::Found),
    }
}

/// A key from the host, or `None` when it knows none by that id.
pub(crate) fn key(purpose: KeyPurpose, id: &str) -> Option<Zeroizing<Vec<u8>>> {
    // SAFETY: as in `stored_snapshot`.
    let len = unsafe { host_key(purpose as u32, addr(id.as_bytes()), len32(id.as_bytes())) };
    take(len)
}

/// Appends an audit event; false when the host could not record it.
pub(crate) fn audit(event: &[u8]) -> bool {
    // SAFETY: the pointer and length describe the live slice `event`, read-only for the host.
    unsafe { host_audit(addr(event), len32(event)) == 0 }
}

/// The host's clock, in seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    // SAFETY: no arguments; the host only returns a number.
    unsafe { host_now() }
}

/// Random bytes from the host.
pub(crate) fn random(buffer: &mut [u8]) {
    // SAFETY: `buffer` is a live, exclusively borrowed slice of the given length.
    let len = len32(buffer);
    unsafe { host_random(addr_mut(buffer), len) }
}

/// Log levels of the `log` import.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    /// Something failed.
    Warn = 1,
    /// Something worth knowing happened.
    Info = 2,
}

/// A diagnostic line for the host's log.
pub(crate) fn log(level: Level, message: &str) {
    // SAFETY: as in `stored_snapshot`.
    unsafe { host_log(level as u32, addr(message.as_bytes()), len32(message.as_bytes())) }
}

// The exports. Lengths and codes come from the host, which is trusted to call the ABI
// but not to get it right: the guest checks every length against the input buffer.

#[unsafe(no_mangle)]
extern "C" fn tessera_abi_version() -> u32 {
    ABI_VERSION
}

/// The input buffer, at least `len` bytes: its address, or 0 when the guest cannot
/// hold that much.
#[unsafe(no_mangle)]
extern "C" fn tessera_input(len: u32) -> u32 {
    state::with(|s| s.input(len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_configure(len: u32) -> i64 {
    state::call(|s| s.configure(len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_load(tenant_len: u32) -> i64 {
    state::call(|s| s.load(tenant_len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_load_bytes(len: u32, record: u32) -> i64 {
    state::call(|s| s.load_bytes(len, record != 0))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_compile_policy(len: u32) -> i64 {
    state::call(|s| s.compile_policy(len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_info() -> i64 {
    state::call(|s| s.info())
}

#[unsafe(no_mangle)]
extern "C" fn tessera_check(user_len: u32, permission_len: u32) -> i64 {
    state::call(|s| s.check(user_len, permission_len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_evaluate(len: u32) -> i64 {
    state::call(|s| s.evaluate(len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_search(len: u32) -> i64 {
    state::call(|s| s.search(len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_check_many(user_len: u32, list_len: u32) -> i64 {
    state::call(|s| s.check_many(user_len, list_len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_query(kind: u32, a_len: u32, b_len: u32) -> i64 {
    state::call(|s| s.query(kind, a_len, b_len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_verify_token(token_len: u32, now: i64) -> i64 {
    state::call(|s| s.verify_token(token_len, now))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_authorize(token_len: u32, permission_len: u32, now: i64) -> i64 {
    state::call(|s| s.authorize(token_len, permission_len, now))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_sanitize(mode: u32, len: u32, max_len: i64) -> i64 {
    state::call(|s| s.sanitize(mode, len, max_len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_inspect(len: u32) -> i64 {
    state::call(|s| s.inspect(len))
}

#[unsafe(no_mangle)]
extern "C" fn tessera_validate_identifier(kind_len: u32, value_len: u32) -> i64 {
    state::call(|s| s.validate_identifier(kind_len, value_len))
}
