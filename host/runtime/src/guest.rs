//! One guest instance: its store, its memory, typed handles to every export, and the
//! ABI's encodings on the host side (arguments into the input buffer, packed results
//! and outputs back out).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tessera_abi::wire::{self, ABI_VERSION, NOW_FROM_HOST, QueryKind};
use tessera_core::Reason;
use wasmtime::{Engine, InstancePre, Memory, Store, Trap, TypedFunc, WasmParams};

use super::GuestConfig;
use super::imports::HostState;
use super::types::{Authorization, Decision, Finding, InlineName, LoadedInfo};
use super::{GuestError, RuntimeConfig, deadline_ticks};

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod raw;

/// Typed handles to the guest's exports.
struct Exports {
    input: TypedFunc<u32, u32>,
    configure: TypedFunc<u32, i64>,
    load: TypedFunc<u32, i64>,
    load_bytes: TypedFunc<(u32, u32), i64>,
    compile_policy: TypedFunc<u32, i64>,
    info: TypedFunc<(), i64>,
    check: TypedFunc<(u32, u32), i64>,
    check_many: TypedFunc<(u32, u32), i64>,
    evaluate: TypedFunc<u32, i64>,
    search: TypedFunc<u32, i64>,
    query: TypedFunc<(u32, u32, u32), i64>,
    verify_token: TypedFunc<(u32, i64), i64>,
    authorize: TypedFunc<(u32, u32, i64), i64>,
    sanitize: TypedFunc<(u32, u32, i64), i64>,
    inspect: TypedFunc<u32, i64>,
    validate_identifier: TypedFunc<(u32, u32), i64>,
}

/// One sandboxed instance of the engine. Not shared between threads: use an
/// [`super::Authorizer`] for that, or one `Guest` per thread.
pub struct Guest {
    store: Store<HostState>,
    memory: Memory,
    exports: Exports,
    /// The guest's input buffer: where it is and how large.
    input_ptr: u32,
    input_capacity: usize,
    call_timeout: Duration,
    load_timeout: Duration,
    poisoned: bool,
}

impl std::fmt::Debug for Guest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guest").field("poisoned", &self.poisoned).finish_non_exhaustive()
    }
}

/// Which deadline a call runs under.
#[derive(Clone, Copy)]
enum Deadline {
    Call,
    Load,
}

fn len32(bytes: &[u8]) -> Result<u32, GuestError> {
    u32::try_from(bytes.len()).map_err(|_| GuestError::abi("an argument is longer than 4 GiB"))
}

fn json<T: DeserializeOwned>(output: &[u8]) -> Result<T, GuestError> {
    serde_json::from_slice(output).map_err(|e| GuestError::abi(format!("unreadable guest output: {e}")))
}

fn text(output: &[u8]) -> Result<String, GuestError> {
    String::from_utf8(output.to_vec()).map_err(|_| GuestError::abi("guest output is not UTF-8"))
}

fn list(output: &[u8]) -> Result<Vec<String>, GuestError> {
    let items = wire::unframe(output).ok_or_else(|| GuestError::abi("guest list is not framed UTF-8"))?;
    Ok(items.into_iter().map(String::from).collect())
}

/// A yes/no answer: one byte, 0 or 1.
fn yes_no(output: &[u8]) -> Result<bool, GuestError> {
    match output {
        [0] => Ok(false),
        [1] => Ok(true),
        _ => Err(GuestError::abi("a yes/no answer other than one byte 0 or 1")),
    }
}

/// One yes/no byte per question asked.
fn answers(output: &[u8]) -> Result<Vec<bool>, GuestError> {
    output.iter().map(|answer| yes_no(std::slice::from_ref(answer))).collect()
}

fn decision(output: &[u8]) -> Result<Decision, GuestError> {
    let broken = || GuestError::abi("malformed decision");
    let (&[reason, role_len], rest) = output.split_first_chunk::<2>().ok_or_else(broken)?;
    let reason = Reason::from_code(reason).ok_or_else(broken)?;
    let (role, pattern) = rest.split_at_checked(usize::from(role_len)).ok_or_else(broken)?;
    let decision = if role.is_empty() {
        Decision { reason, role: None, pattern: None }
    } else {
        Decision {
            reason,
            role: Some(InlineName::new(role).ok_or_else(broken)?),
            pattern: Some(InlineName::new(pattern).ok_or_else(broken)?),
        }
    };
    // The reason and the names must agree, as the core's decision requires.
    tessera_core::Decision::from_parts(reason, decision.role(), decision.pattern()).ok_or_else(broken)?;
    Ok(decision)
}

fn now_arg(now: Option<i64>) -> i64 {
    now.unwrap_or(NOW_FROM_HOST)
}

impl Guest {
    pub(crate) fn instantiate(
        engine: &Engine,
        instance_pre: &InstancePre<HostState>,
        state: HostState,
        config: &RuntimeConfig,
    ) -> Result<Self, GuestError> {
        let limit = state.limiter.limit;
        let mut store = Store::new(engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(deadline_ticks(config.load_timeout));
        let instance = instance_pre.instantiate(&mut store).map_err(|e| {
            if store.data().limiter.exceeded {
                GuestError::MemoryLimit { limit }
            } else {
                GuestError::setup(e)
            }
        })?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| GuestError::abi("the guest exports no memory"))?;
        macro_rules! export {
            ($name:literal) => {
                instance
                    .get_typed_func(&mut store, $name)
                    .map_err(|e| GuestError::abi(format!("export `{}`: {e}", $name)))?
            };
        }
        let version: TypedFunc<(), u32> = export!("tessera_abi_version");
        let found = version.call(&mut store, ()).map_err(GuestError::setup)?;
        if found != ABI_VERSION {
            return Err(GuestError::abi(format!("guest speaks ABI {found}, this host {ABI_VERSION}")));
        }
        let exports = Exports {
            input: export!("tessera_input"),
            configure: export!("tessera_configure"),
            load: export!("tessera_load"),
            load_bytes: export!("tessera_load_bytes"),
            compile_policy: export!("tessera_compile_policy"),
            info: export!("tessera_info"),
            check: export!("tessera_check"),
            check_many: export!("tessera_check_many"),
            evaluate: export!("tessera_evaluate"),
            search: export!("tessera_search"),
            query: export!("tessera_query"),
            verify_token: export!("tessera_verify_token"),
            authorize: export!("tessera_authorize"),
            sanitize: export!("tessera_sanitize"),
            inspect: export!("tessera_inspect"),
            validate_identifier: export!("tessera_validate_identifier"),
        };
        Ok(Self {
            store,
            memory,
            exports,
            input_ptr: 0,
            input_capacity: 0,
            call_timeout: config.call_timeout,
            load_timeout: config.load_timeout,
            poisoned: false,
        })
    }

    /// Whether an earlier trap, timeout or memory exhaustion ended this instance.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// `load`, and the bytes the storage import served for it, which an authorizer
    /// hands to its other instances once this one accepted them.
    pub(crate) fn load_from_store(
        &mut self,
        tenant: &str,
    ) -> Result<(LoadedInfo, std::sync::Arc<[u8]>), GuestError> {
        let state = self.store.data_mut();
        (state.keep_served, state.served) = (true, None);
        let loaded = self.load(tenant);
        let state = self.store.data_mut();
        state.keep_served = false;
        let served = state.served.take();
        let bytes = served.ok_or_else(|| GuestError::abi("the guest loaded without reading storage"));
        Ok((loaded?, bytes?))
    }

    /// What a wasmtime error means for the caller; the instance is poisoned either way.
    fn failed(&mut self, error: &wasmtime::Error, timeout: Duration) -> GuestError {
        self.poisoned = true;
        let limiter = &mut self.store.data_mut().limiter;
        if std::mem::take(&mut limiter.exceeded) {
            return GuestError::MemoryLimit { limit: limiter.limit };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => GuestError::Timeout { limit: timeout },
            _ => GuestError::Trap { message: format!("{error:#}") },
        }
    }

    /// Runs one export under its deadline and returns where its output is.
    fn call<P: WasmParams>(
        &mut self,
        pick: fn(&Exports) -> &TypedFunc<P, i64>,
        params: P,
        deadline: Deadline,
    ) -> Result<&[u8], GuestError> {
        if self.poisoned {
            return Err(GuestError::Trap { message: "this instance already failed and was retired".into() });
        }
        let timeout = match deadline {
            Deadline::Call => self.call_timeout,
            Deadline::Load => self.load_timeout,
        };
        self.store.set_epoch_deadline(deadline_ticks(timeout));
        let packed = match pick(&self.exports).call(&mut self.store, params) {
            Ok(packed) => packed,
            Err(error) => return Err(self.failed(&error, timeout)),
        };
        let packed = wire::unpack(packed).ok_or_else(|| GuestError::abi("result with unknown bits"))?;
        let start = packed.ptr as usize;
        let output = self
            .memory
            .data(&self.store)
            .get(start..start + packed.len)
            .ok_or_else(|| GuestError::abi("output outside guest memory"))?;
        if packed.failed { Err(GuestError::from_output(output)) } else { Ok(output) }
    }

    /// Has the guest make its input buffer `len` bytes long (`tessera_input`).
    fn input(&mut self, len: u32) -> Result<(), GuestError> {
        self.store.set_epoch_deadline(deadline_ticks(self.call_timeout));
        let ptr = match self.exports.input.call(&mut self.store, len) {
            Ok(ptr) => ptr,
            Err(error) => return Err(self.failed(&error, self.call_timeout)),
        };
        if ptr == 0 {
            // The guest declined the size and is still sound: not a failed instance.
            let limiter = &mut self.store.data_mut().limiter;
            limiter.exceeded = false;
            return Err(GuestError::MemoryLimit { limit: limiter.limit });
        }
        let end = (ptr as usize).checked_add(len as usize);
        if end.is_none_or(|end| end > self.memory.data_size(&self.store)) {
            return Err(GuestError::abi("the input buffer lies outside guest memory"));
        }
        (self.input_ptr, self.input_capacity) = (ptr, len as usize);
        Ok(())
    }

    /// Writes arguments back to back into the guest's input buffer, growing it first
    /// if they do not fit.
    fn put(&mut self, parts: &[&[u8]]) -> Result<(), GuestError> {
        let total: usize = parts.iter().map(|part| part.len()).sum();
        if total > self.input_capacity {
            let len = u32::try_from(total).map_err(|_| GuestError::abi("arguments are longer than 4 GiB"))?;
            self.input(len)?;
        }
        let start = self.input_ptr as usize;
        let buffer = self
            .memory
            .data_mut(&mut self.store)
            .get_mut(start..start + total)
            .ok_or_else(|| GuestError::abi("input buffer outside guest memory"))?;
        let mut at = 0;
        for part in parts {
            buffer[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        Ok(())
    }

    /// Sets the tenant, token rules and audit policy.
    pub fn configure(&mut self, config: &GuestConfig) -> Result<(), GuestError> {
        let text = serde_json::to_vec(config).map_err(|e| GuestError::abi(e.to_string()))?;
        self.put(&[&text])?;
        self.call(|e| &e.configure, len32(&text)?, Deadline::Call).map(drop)
    }

    /// Loads the tenant's snapshot through the storage import, verified with the keys
    /// of the key import. A refused snapshot leaves the one in force in place.
    pub fn load(&mut self, tenant: &str) -> Result<LoadedInfo, GuestError> {
        self.put(&[tenant.as_bytes()])?;
        json(self.call(|e| &e.load, len32(tenant.as_bytes())?, Deadline::Load)?)
    }

    /// Loads snapshot bytes given directly (pushed to the embedder), with the same checks.
    pub fn load_bytes(&mut self, snapshot: &[u8]) -> Result<LoadedInfo, GuestError> {
        self.load_bytes_recording(snapshot, true)
    }

    /// `load_bytes` for bytes another instance already accepted and audited, or for a
    /// load that is a step of a larger operation: a success adds no audit event (a
    /// refusal still does).
    pub fn refresh(&mut self, snapshot: &[u8]) -> Result<LoadedInfo, GuestError> {
        self.load_bytes_recording(snapshot, false)
    }

    fn load_bytes_recording(&mut self, snapshot: &[u8], record: bool) -> Result<LoadedInfo, GuestError> {
        self.put(&[snapshot])?;
        json(self.call(|e| &e.load_bytes, (len32(snapshot)?, u32::from(record)), Deadline::Load)?)
    }

    /// Compiles a policy-as-code document (JSON) without a signature: for authoring
    /// tools and tests that trust the document they hold.
    pub fn compile_policy(&mut self, policy_json: &str) -> Result<LoadedInfo, GuestError> {
        self.put(&[policy_json.as_bytes()])?;
        json(self.call(|e| &e.compile_policy, len32(policy_json.as_bytes())?, Deadline::Load)?)
    }

    /// What is loaded.
    pub fn info(&mut self) -> Result<LoadedInfo, GuestError> {
        json(self.call(|e| &e.info, (), Deadline::Call)?)
    }

    /// Whether `user` holds `permission`, and why.
    pub fn check(&mut self, user: &str, permission: &str) -> Result<Decision, GuestError> {
        self.put(&[user.as_bytes(), permission.as_bytes()])?;
        let lens = (len32(user.as_bytes())?, len32(permission.as_bytes())?);
        decision(self.call(|e| &e.check, lens, Deadline::Call)?)
    }

    /// Whether `user` holds `permission` (the check without its reason).
    pub fn can(&mut self, user: &str, permission: &str) -> Result<bool, GuestError> {
        self.put(&[user.as_bytes(), permission.as_bytes()])?;
        let lens = (len32(user.as_bytes())?, len32(permission.as_bytes())?);
        let output = self.call(|e| &e.check, lens, Deadline::Call)?;
        match output.first().copied().and_then(Reason::from_code) {
            Some(reason) => Ok(reason.allows()),
            None => Err(GuestError::abi("malformed decision")),
        }
    }

    /// One answer per permission, in order.
    pub fn check_many<P: AsRef<str>>(
        &mut self,
        user: &str,
        permissions: &[P],
    ) -> Result<Vec<bool>, GuestError> {
        let mut framed = Vec::new();
        wire::frame(&mut framed, permissions.iter().map(AsRef::as_ref));
        self.put(&[user.as_bytes(), &framed])?;
        let output =
            self.call(|e| &e.check_many, (len32(user.as_bytes())?, len32(&framed)?), Deadline::Call)?;
        if output.len() != permissions.len() {
            return Err(GuestError::abi("check_many answered a different number of permissions"));
        }
        answers(output)
    }

    fn query(&mut self, kind: QueryKind, a: &str, b: &str) -> Result<&[u8], GuestError> {
        self.put(&[a.as_bytes(), b.as_bytes()])?;
        let lens = (kind as u32, len32(a.as_bytes())?, len32(b.as_bytes())?);
        self.call(|e| &e.query, lens, Deadline::Call)
    }

    /// Whether `role` is in the closure of `user`'s roles.
    pub fn has_role(&mut self, user: &str, role: &str) -> Result<bool, GuestError> {
        yes_no(self.query(QueryKind::HasRole, user, role)?)
    }

    /// The user's direct roles.
    pub fn user_roles(&mut self, user: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::UserRoles, user, "")?)
    }

    /// The effective grant patterns of the user's closure.
    pub fn user_permissions(&mut self, user: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::UserPermissions, user, "")?)
    }

    /// The effective deny patterns of the user's closure.
    pub fn user_denies(&mut self, user: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::UserDenies, user, "")?)
    }

    /// The effective grant patterns of a role's closure.
    pub fn role_permissions(&mut self, role: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::RolePermissions, role, "")?)
    }

    /// The effective deny patterns of a role's closure.
    pub fn role_denies(&mut self, role: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::RoleDenies, role, "")?)
    }

    /// The role's direct members.
    pub fn role_members(&mut self, role: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::RoleMembers, role, "")?)
    }

    /// Roles whose closure allows `permission`.
    pub fn which_roles_can(&mut self, permission: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::WhichRolesCan, permission, "")?)
    }

    /// Users allowed `permission`.
    pub fn which_users_can(&mut self, permission: &str) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::WhichUsersCan, permission, "")?)
    }

    /// Every role.
    pub fn roles(&mut self) -> Result<Vec<String>, GuestError> {
        list(self.query(QueryKind::Roles, "", "")?)
    }

    /// Whether strict users answers every decision about `user` negatively (the
    /// tenant is under strict users and the user holds no live API key).
    pub fn strict_blocks(&mut self, user: &str) -> Result<bool, GuestError> {
        yes_no(self.query(QueryKind::StrictBlocks, user, "")?)
    }

    /// Validates a token with the tenant's token keys; `now` defaults to the host clock.
    pub fn verify_token(&mut self, token: &str, now: Option<i64>) -> Result<Map<String, Value>, GuestError> {
        self.put(&[token.as_bytes()])?;
        json(self.call(|e| &e.verify_token, (len32(token.as_bytes())?, now_arg(now)), Deadline::Call)?)
    }

    /// A check on a resource (or tenant-wide without one): the request as JSON
    /// (`tessera_core::CheckRequest`), the decision as the core serializes it.
    pub fn evaluate(&mut self, request: &str) -> Result<serde_json::Value, GuestError> {
        self.put(&[request.as_bytes()])?;
        json(self.call(|e| &e.evaluate, len32(request.as_bytes())?, Deadline::Call)?)
    }

    /// One of the searches: the request as JSON (`tessera_core::SearchRequest`),
    /// the answer `{items, next?}`.
    pub fn search(&mut self, request: &str) -> Result<serde_json::Value, GuestError> {
        self.put(&[request.as_bytes()])?;
        json(self.call(|e| &e.search, len32(request.as_bytes())?, Deadline::Call)?)
    }

    /// Validates a token, then decides for its subject.
    pub fn authorize(
        &mut self,
        token: &str,
        permission: &str,
        now: Option<i64>,
    ) -> Result<Authorization, GuestError> {
        self.put(&[token.as_bytes(), permission.as_bytes()])?;
        let args = (len32(token.as_bytes())?, len32(permission.as_bytes())?, now_arg(now));
        json(self.call(|e| &e.authorize, args, Deadline::Call)?)
    }

    fn sanitize(&mut self, mode: u32, text_in: &str, max_len: Option<usize>) -> Result<String, GuestError> {
        self.put(&[text_in.as_bytes()])?;
        let max_len = max_len.and_then(|n| i64::try_from(n).ok()).unwrap_or(-1);
        text(self.call(|e| &e.sanitize, (mode, len32(text_in.as_bytes())?, max_len), Deadline::Call)?)
    }

    /// HTML-escapes free text (the core's `escape`), keeping at most `max_len` bytes.
    pub fn escape(&mut self, text: &str, max_len: Option<usize>) -> Result<String, GuestError> {
        self.sanitize(0, text, max_len)
    }

    /// Removes markup, then escapes (the core's `strip`).
    pub fn strip(&mut self, text: &str, max_len: Option<usize>) -> Result<String, GuestError> {
        self.sanitize(1, text, max_len)
    }

    /// Suspicious shapes in `text` (script, SQL injection, traversal, ...).
    pub fn inspect(&mut self, text: &str) -> Result<Vec<Finding>, GuestError> {
        self.put(&[text.as_bytes()])?;
        json(self.call(|e| &e.inspect, len32(text.as_bytes())?, Deadline::Call)?)
    }

    /// Checks an identifier (`role`, `user`, `permission`, `pattern`, `client_key`,
    /// ...) against its rule.
    pub fn validate_identifier(&mut self, kind: &str, value: &str) -> Result<(), GuestError> {
        self.put(&[kind.as_bytes(), value.as_bytes()])?;
        let lens = (len32(kind.as_bytes())?, len32(value.as_bytes())?);
        self.call(|e| &e.validate_identifier, lens, Deadline::Call).map(drop)
    }
}
