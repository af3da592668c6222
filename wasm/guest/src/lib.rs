//! # tessera-guest
//!
//! The Tessera core as a WebAssembly module that a wasmtime host instantiates
//! (`tessera-runtime` does; both sides share `tessera-abi`). The guest decides; the host supplies what the core must not
//! do itself: snapshot storage, keys, audit persistence, the clock, randomness and logs.
//!
//! ## ABI, version 1
//!
//! A core module (not a component: see `wasm/README.md` for the measurement that
//! decided it). All integers are little-endian; strings are UTF-8 and checked.
//!
//! **Arguments** travel through one input buffer owned by the guest. The host calls
//! `tessera_input(len) -> ptr` to get a buffer of at least `len` bytes (the pointer
//! stays valid until the next `tessera_input`; 0 means the guest cannot hold `len`
//! bytes, and the buffer is as it was), writes the arguments back to back, and
//! passes their lengths. A list of strings is framed: each item is `u32 len` + bytes.
//!
//! **Results** come back as one `i64`: bits 0–31 the address of the output, bits 32–61
//! its length, bit 62 set when the call failed. The output stays valid until the next
//! call. A failure's output is JSON `{"code", "message", "violation"?}` with the core's
//! stable error codes.
//!
//! | export | arguments (input buffer) | output |
//! |---|---|---|
//! | `tessera_abi_version() -> u32` | | `1` |
//! | `tessera_input(len) -> ptr` | | |
//! | `tessera_configure(len)` | config JSON (below) | |
//! | `tessera_load(tenant_len)` | tenant | snapshot info JSON |
//! | `tessera_load_bytes(len, record)` | snapshot bytes | snapshot info JSON (`record` 0: no audit event on success) |
//! | `tessera_compile_policy(len)` | policy document JSON | info JSON (revision 0) |
//! | `tessera_info()` | | info JSON |
//! | `tessera_check(user_len, perm_len)` | user, permission | `u8 reason`, `u8 role_len`, role, pattern |
//! | `tessera_check_many(user_len, list_len)` | user, framed permissions | one byte (0/1) per permission |
//! | `tessera_evaluate(len)` | check request JSON (`tessera_core::CheckRequest`) | decision JSON `{allowed, reason, role?, pattern?, on?, rule?}` |
//! | `tessera_search(len)` | search request JSON (`tessera_core::SearchRequest`) | `{items, next?}` |
//! | `tessera_query(kind, a_len, b_len)` | up to two strings | framed list, or one byte for `has_role` and `strict_blocks` |
//! | `tessera_verify_token(token_len, now: i64)` | token | claims JSON |
//! | `tessera_authorize(token_len, perm_len, now: i64)` | token, permission | `{allowed, reason, subject?, role?, pattern?}` |
//! | `tessera_sanitize(mode, len, max_len: i64)` | text | text (`mode` 0 escape, 1 strip; `max_len` < 0: none) |
//! | `tessera_inspect(len)` | text | findings JSON `[{kind, offset}]` |
//! | `tessera_validate_identifier(kind_len, value_len)` | kind, value | |
//!
//! `reason` of `tessera_check` is the core's `Reason::code` (0 granted, 1 denied,
//! 2 unknown user, 3 no matching grant, 4 user not key-backed; a tenant-wide check
//! gives no other); role and pattern are empty for 2, 3 and 4. A malformed request
//! JSON is `ERR_INVALID_ARGUMENT`. Failures of the calling convention itself (a length past
//! the input buffer, bytes that are not UTF-8, an unknown kind) are
//! `ERR_INVALID_ARGUMENT`; a call before any load is `ERR_NOT_LOADED`. `now` = `i64::MIN` asks the host's
//! clock. Query kinds: 0 has_role(user, role), 1 user_roles(user), 2
//! user_permissions(user), 3 user_denies(user), 4 role_permissions(role), 5
//! role_denies(role), 6 role_members(role), 7 which_roles_can(permission), 8
//! which_users_can(permission), 9 roles(), 10 strict_blocks(user).
//!
//! Config JSON (every field optional, unknown fields refused): `tenant` (every
//! snapshot loaded must be this tenant's), `token` (validation options, snake_case
//! as in the core), `audit_checks` (`"none"`, `"denied"` (default) or `"all"`: which
//! decisions of `check` and `authorize` become audit events), `audit_suspicious_input`
//! (default true: `inspect` findings become a security event), `max_snapshot_bytes`.
//!
//! **Imports** (module `tessera`):
//!
//! | import | meaning |
//! |---|---|
//! | `snapshot(tenant_ptr, tenant_len) -> i64` | the tenant's snapshot: its length (then `take`), -1 none, -2 storage failed |
//! | `key(purpose, id_ptr, id_len) -> i64` | a key: length (then `take`) or -1 unknown. Purpose 0: snapshot verification key by kid (public JWK); 1: snapshot decryption key by kid (32 raw bytes); 2: token verification keys of a tenant (JWKS) |
//! | `take(dst_ptr, len)` | copies the value the last `snapshot`/`key` produced, and forgets it |
//! | `audit(ptr, len) -> i32` | appends one event (JSON); 0 recorded, otherwise failed |
//! | `now() -> i64` | seconds since the Unix epoch |
//! | `random(ptr, len)` | fills the range with random bytes |
//! | `log(level, ptr, len)` | a diagnostic line; level 0 error … 4 trace |
//!
//! A refused snapshot is always audited. `record` = 0 is for a host handing a pool of
//! instances bytes that one of them already accepted (and recorded).
//!
//! A call whose audit event the host's `audit` import refuses fails with
//! `ERR_AUDIT_UNAVAILABLE` and changes nothing: no decision is handed out without its
//! record being accepted. What "accepted" means is the host's: `tessera serve` queues
//! records and writes them in batches by default, and commits each before the guest
//! goes on with `AUTH_AUDIT_DURABLE=true`.

#[cfg(target_arch = "wasm32")]
mod abi;
#[cfg(target_arch = "wasm32")]
mod failure;
#[cfg(target_arch = "wasm32")]
mod state;
