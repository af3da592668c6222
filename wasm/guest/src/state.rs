//! The guest's state and operations: what each export does, in safe Rust over the
//! core. One [`GuestState`] per wasm instance (wasm has one thread), behind a `RefCell`.

use std::cell::RefCell;

use serde::Serialize;
use serde_json::{Value, json};
use tessera_core::{
    Authorization, Authorizer, CheckRequest, Decision, EncryptionKey, IdentifierKind, KeySet, PolicyDocument,
    PolicySummary, SanitizeOptions, SearchRequest, SnapshotError, SnapshotInfo, SnapshotLoader, TokenError,
    VerifyingKey, peek_header, validate_identifier,
};

use crate::abi::{self, Level, Stored};
use crate::failure::{self, Failure};
use tessera_abi::config::GuestConfig;
use tessera_abi::wire::{KeyPurpose, NOW_FROM_HOST, QueryKind, frame, pack, unframe};

thread_local! {
    static STATE: RefCell<GuestState> = RefCell::new(GuestState::default());
}

/// Runs `f` on the guest's state.
pub(crate) fn with<R>(f: impl FnOnce(&mut GuestState) -> R) -> R {
    STATE.with_borrow_mut(f)
}

/// Runs one export: `f` writes its answer into the output buffer, or fails; the
/// packed result tells the host where the output is.
pub(crate) fn call(f: impl FnOnce(&mut GuestState) -> Result<(), Failure>) -> i64 {
    with(|state| {
        // A huge answer (every user of a large tenant) should not pin its memory.
        if state.output.capacity() > 1 << 20 {
            state.output = Vec::new();
        }
        state.output.clear();
        let failed = match f(state) {
            Ok(()) => false,
            Err(failure) => {
                state.output.clear();
                state.output.extend_from_slice(failure.to_json().as_bytes());
                true
            }
        };
        pack(state.output.as_ptr() as usize as u32, state.output.len(), failed)
    })
}

/// The policy in force: from a verified snapshot (`info`) or a policy document.
#[derive(Debug)]
struct Loaded {
    info: Option<SnapshotInfo>,
    authz: Authorizer,
}

impl Loaded {
    /// The authorizer, to decide now by the host's clock (asked only of a snapshot
    /// that expires): refused past the snapshot's expiry (`ERR_SNAPSHOT_EXPIRED`)
    /// until a fresh snapshot replaces it.
    fn now(&self) -> Result<&Authorizer, Failure> {
        match &self.info {
            Some(info) if info.expires_at.is_some() => {
                info.in_force(abi::now()).map(|()| &self.authz).map_err(Failure::from)
            }
            _ => Ok(&self.authz),
        }
    }

    fn revision(&self) -> u64 {
        self.info.as_ref().map_or(0, |info| info.revision)
    }

    /// What is in force, as the core reports it.
    fn summary_json(&self) -> Vec<u8> {
        serde_json::to_vec(&PolicySummary::new(&self.authz, self.info.as_ref())).unwrap_or_default()
    }
}

/// One audit event, as the host receives it (the host adds the time).
#[derive(Serialize)]
struct Event<'a> {
    action: &'a str,
    tenant: &'a str,
    actor: Option<&'a str>,
    entity_type: &'a str,
    entity: &'a str,
    success: bool,
    details: Value,
}

impl Event<'_> {
    fn record(&self) -> Result<(), Failure> {
        let bytes = serde_json::to_vec(self).map_err(|_| failure::audit_unavailable())?;
        if abi::audit(&bytes) { Ok(()) } else { Err(failure::audit_unavailable()) }
    }
}

thread_local! {
    /// A random prefix drawn once per instance, and a counter: ids are unique within an
    /// instance by construction and across instances by the 64 random bits, without a
    /// trip to the host's random source for every decision.
    static DECISION_IDS: RefCell<Option<(u64, u64)>> = const { RefCell::new(None) };
}

/// An id that ties a decision handed out to its audit row: 32 hex digits.
fn decision_id() -> String {
    DECISION_IDS.with_borrow_mut(|ids| {
        let (prefix, counter) = ids.get_or_insert_with(|| {
            let mut bytes = [0u8; 8];
            abi::random(&mut bytes);
            (u64::from_le_bytes(bytes), 0)
        });
        *counter += 1;
        format!("{prefix:016x}{counter:016x}")
    })
}

/// An audit event's details: the answer as the core serializes it, the revision it
/// was made on and the id that ties the two together.
fn decision_details(loaded: &Loaded, answer: impl Serialize) -> Value {
    let mut details = json!(answer);
    details["revision"] = loaded.revision().into();
    details["decision_id"] = decision_id().into();
    details
}

/// Splits the input buffer into strings of the given lengths.
fn strs<const N: usize>(input: &[u8], lens: [u32; N]) -> Result<[&str; N], Failure> {
    let mut out = [""; N];
    let mut rest = input;
    for (slot, len) in out.iter_mut().zip(lens) {
        let len = usize::try_from(len).map_err(|_| failure::input("argument length"))?;
        let (head, tail) = rest
            .split_at_checked(len)
            .ok_or_else(|| failure::input("arguments are longer than the input buffer"))?;
        *slot = core::str::from_utf8(head).map_err(|_| failure::input("an argument is not UTF-8"))?;
        rest = tail;
    }
    Ok(out)
}

/// Reads a key the host handed over in place (no copy: it may hold secrets, and the
/// buffer it sits in is zeroized).
fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, Failure> {
    core::str::from_utf8(bytes).map_err(|_| failure::input(format!("the host's {what} is not UTF-8")))
}

fn now_or_host(now: i64) -> i64 {
    if now == NOW_FROM_HOST { abi::now() } else { now }
}

fn write_decision(output: &mut Vec<u8>, decision: &Decision<'_>) {
    let role = decision.role().unwrap_or_default();
    // Role names are at most 64 bytes by the identifier rule, so the length fits a byte.
    output.extend_from_slice(&[decision.reason().code(), role.len() as u8]);
    output.extend_from_slice(role.as_bytes());
    output.extend_from_slice(decision.pattern().unwrap_or_default().as_bytes());
}

/// The guest's whole state.
#[derive(Debug, Default)]
pub(crate) struct GuestState {
    input: Vec<u8>,
    output: Vec<u8>,
    config: GuestConfig,
    loaded: Option<Loaded>,
    /// Token keys fetched from the host; dropped when the snapshot or config changes.
    token_keys: Option<KeySet>,
}

impl GuestState {
    /// The input buffer, grown to at least `len` bytes: its address, or 0 when the
    /// memory cannot be had (the instance's limit, or more than wasm32 addresses). A
    /// refused size leaves the instance as it was: the host asked too much, and the
    /// guest says so instead of aborting.
    pub(crate) fn input(&mut self, len: u32) -> u32 {
        let Ok(len) = usize::try_from(len) else { return 0 };
        if let Some(more) = len.checked_sub(self.input.len()).filter(|&more| more > 0) {
            if self.input.try_reserve_exact(more).is_err() {
                return 0;
            }
            self.input.resize(len, 0);
        }
        self.input.as_mut_ptr() as usize as u32
    }

    fn loaded(&self) -> Result<&Loaded, Failure> {
        self.loaded.as_ref().ok_or_else(Failure::not_loaded)
    }

    pub(crate) fn configure(&mut self, len: u32) -> Result<(), Failure> {
        let [text] = strs(&self.input, [len])?;
        let config: GuestConfig = serde_json::from_str(text)
            .map_err(|e| Failure::new("ERR_GUEST_CONFIG", format!("guest configuration: {e}")))?;
        if let Some(tenant) = &config.tenant {
            validate_identifier(IdentifierKind::ClientKey, tenant)?;
            if let Some(loaded) = &self.loaded
                && loaded.authz.tenant() != tenant
            {
                return Err(Failure::new(
                    "ERR_GUEST_CONFIG",
                    "the configured tenant is not the loaded tenant",
                ));
            }
        }
        self.config = config;
        self.token_keys = None;
        Ok(())
    }

    pub(crate) fn load(&mut self, tenant_len: u32) -> Result<(), Failure> {
        let [tenant] = strs(&self.input, [tenant_len])?;
        validate_identifier(IdentifierKind::ClientKey, tenant)?;
        let tenant = tenant.to_owned();
        let bytes = match abi::stored_snapshot(&tenant) {
            Stored::Found(bytes) => bytes,
            Stored::Missing => {
                return Err(Failure::new(
                    "ERR_SNAPSHOT_NOT_FOUND",
                    "the store has no snapshot for the tenant",
                ));
            }
            Stored::Failed => {
                return Err(Failure::new("ERR_STORAGE_UNAVAILABLE", "the snapshot store failed"));
            }
        };
        self.install(&bytes, Some(&tenant), true)
    }

    pub(crate) fn load_bytes(&mut self, len: u32, record: bool) -> Result<(), Failure> {
        let input = core::mem::take(&mut self.input);
        let result = match input.get(..usize::try_from(len).unwrap_or(usize::MAX)) {
            Some(bytes) => self.install(bytes, None, record),
            None => Err(failure::input("snapshot length is longer than the input buffer")),
        };
        self.input = input;
        result
    }

    /// The tenant a snapshot must belong to: the one asked for, configured, or loaded.
    fn expected_tenant<'a>(&'a self, asked: Option<&'a str>) -> Option<&'a str> {
        asked
            .or(self.config.tenant.as_deref())
            .or_else(|| self.loaded.as_ref().map(|loaded| loaded.authz.tenant()))
    }

    /// Verifies and compiles a snapshot, records the outcome (a success only when
    /// `record`), and only then puts it in force. On any failure the policy in force stays.
    fn install(&mut self, bytes: &[u8], tenant: Option<&str>, record: bool) -> Result<(), Failure> {
        let outcome = self.open(bytes, tenant);
        let expected = self.expected_tenant(tenant).unwrap_or_default();
        let event_tenant = outcome.as_ref().map_or(expected, |loaded| loaded.authz.tenant());
        let (success, details) = match &outcome {
            Ok(loaded) => (true, json!({"revision": loaded.revision()})),
            Err(failure) => (false, json!({"error": failure})),
        };
        // The entity is the revision loaded (a refused snapshot's claims are not to be
        // believed), never the tenant: a tenant is its client key, which no audit entry
        // may carry.
        let revision =
            outcome.as_ref().map_or_else(|_| String::from("unverified"), |l| l.revision().to_string());
        let event = Event {
            action: "snapshot.load",
            tenant: event_tenant,
            actor: None,
            entity_type: "snapshot",
            entity: &revision,
            success,
            details,
        };
        let recorded = if success && !record { Ok(()) } else { event.record() };
        let loaded = outcome?;
        recorded?;
        abi::log(Level::Info, &format!("loaded snapshot revision {}", loaded.revision()));
        self.output = loaded.summary_json();
        self.loaded = Some(loaded);
        self.token_keys = None;
        Ok(())
    }

    fn open(&self, bytes: &[u8], tenant: Option<&str>) -> Result<Loaded, Failure> {
        // The size limit comes first: nothing of an oversized input is parsed, not even
        // the header that names its keys.
        let limit = self.config.max_snapshot_bytes;
        if bytes.len() > limit {
            return Err(SnapshotError::Oversized { size: bytes.len(), limit }.into());
        }
        let (kid, encrypted_with) = peek_header(bytes)?;
        let mut loader = SnapshotLoader::new().max_bytes(self.config.max_snapshot_bytes);
        if let Some(jwk) = abi::key(KeyPurpose::SnapshotVerify, &kid) {
            loader = loader.trust(VerifyingKey::from_jwk(utf8(&jwk, "verification key")?)?);
        }
        if let Some(kid) = encrypted_with
            && let Some(key) = abi::key(KeyPurpose::SnapshotDecrypt, &kid)
        {
            let bytes: [u8; 32] = key
                .as_slice()
                .try_into()
                .map_err(|_| failure::input("the host's decryption key is not 32 bytes"))?;
            let bytes = zeroize::Zeroizing::new(bytes);
            loader = loader.decrypt_with(EncryptionKey::new(&kid, *bytes)?);
        }
        let current = self.loaded.as_ref().and_then(|loaded| loaded.info.as_ref());
        let snapshot = loader.load(bytes, abi::now(), current).inspect_err(|e| {
            abi::log(Level::Warn, &format!("snapshot refused: {e}"));
        })?;
        require_tenant(self.expected_tenant(tenant), &snapshot.info.tenant)?;
        let (info, authz) = snapshot.into_parts();
        Ok(Loaded { info: Some(info), authz })
    }

    pub(crate) fn compile_policy(&mut self, len: u32) -> Result<(), Failure> {
        let [text] = strs(&self.input, [len])?;
        let policy = PolicyDocument::from_json(text)?.into_policy()?;
        let loaded = Loaded { info: None, authz: Authorizer::new(policy) };
        require_tenant(self.config.tenant.as_deref(), loaded.authz.tenant())?;
        self.output = loaded.summary_json();
        self.loaded = Some(loaded);
        self.token_keys = None;
        Ok(())
    }

    pub(crate) fn info(&mut self) -> Result<(), Failure> {
        self.output = self.loaded()?.summary_json();
        Ok(())
    }

    pub(crate) fn check(&mut self, user_len: u32, permission_len: u32) -> Result<(), Failure> {
        let [user, permission] = strs(&self.input, [user_len, permission_len])?;
        let loaded = self.loaded.as_ref().ok_or_else(Failure::not_loaded)?;
        let decision = loaded.now()?.check(user, permission)?;
        if self.config.audit_checks.records(decision.allowed()) {
            record_check(loaded, user, permission, &decision)?;
        }
        write_decision(&mut self.output, &decision);
        Ok(())
    }

    /// A check on a resource (or tenant-wide), asked and answered in JSON.
    pub(crate) fn evaluate(&mut self, len: u32) -> Result<(), Failure> {
        let [text] = strs(&self.input, [len])?;
        let request = CheckRequest::from_json(text)?;
        let loaded = self.loaded.as_ref().ok_or_else(Failure::not_loaded)?;
        let query = request.query();
        let decision = loaded.now()?.evaluate(&query)?;
        if self.config.audit_checks.records(decision.allowed()) {
            match &request.resource {
                Some(resource) => {
                    let key = format!("{}:{}", resource.kind, resource.id);
                    let mut details = decision_details(loaded, decision);
                    details["action"] = query.action.into();
                    record_decision(loaded, query.subject, ("resource", &key), decision.allowed(), details)?;
                }
                None => record_check(loaded, query.subject, query.action, &decision)?,
            }
        }
        self.output = serde_json::to_vec(&decision).map_err(|_| failure::input("unserializable decision"))?;
        Ok(())
    }

    /// One of the searches, asked and answered in JSON (`{items, next?}`).
    pub(crate) fn search(&mut self, len: u32) -> Result<(), Failure> {
        let [text] = strs(&self.input, [len])?;
        let request = SearchRequest::from_json(text)?;
        let found = self.loaded()?.now()?.search(&request)?;
        self.output = serde_json::to_vec(&found).map_err(|_| failure::input("unserializable answer"))?;
        Ok(())
    }

    pub(crate) fn check_many(&mut self, user_len: u32, list_len: u32) -> Result<(), Failure> {
        let (user_bytes, rest) = self
            .input
            .split_at_checked(usize::try_from(user_len).unwrap_or(usize::MAX))
            .ok_or_else(|| failure::input("user length is longer than the input buffer"))?;
        let [user] = strs(user_bytes, [user_len])?;
        let list = rest
            .get(..usize::try_from(list_len).unwrap_or(usize::MAX))
            .and_then(unframe)
            .ok_or_else(|| failure::input("the permission list is not framed UTF-8"))?;
        let loaded = self.loaded.as_ref().ok_or_else(Failure::not_loaded)?;
        let decisions = loaded.now()?.check_many(user, &list)?;
        for (decision, permission) in decisions.iter().zip(&list) {
            if self.config.audit_checks.records(decision.allowed()) {
                record_check(loaded, user, permission, decision)?;
            }
        }
        self.output.extend(decisions.iter().map(|d| u8::from(d.allowed())));
        Ok(())
    }

    pub(crate) fn query(&mut self, kind: u32, a_len: u32, b_len: u32) -> Result<(), Failure> {
        let kind = QueryKind::from_code(kind).ok_or_else(|| failure::input("unknown query kind"))?;
        let [a, b] = strs(&self.input, [a_len, b_len])?;
        let authz = self.loaded.as_ref().ok_or_else(Failure::not_loaded)?.now()?;
        let list = match kind {
            QueryKind::HasRole => {
                self.output.push(u8::from(authz.has_role(a, b)?));
                return Ok(());
            }
            QueryKind::StrictBlocks => {
                self.output.push(u8::from(authz.strict_blocks(a)?));
                return Ok(());
            }
            QueryKind::UserRoles => authz.user_roles(a)?,
            QueryKind::UserPermissions => authz.user_permissions(a)?,
            QueryKind::UserDenies => authz.user_denies(a)?,
            QueryKind::RolePermissions => authz.role_permissions(a)?,
            QueryKind::RoleDenies => authz.role_denies(a)?,
            QueryKind::RoleMembers => authz.role_members(a)?,
            QueryKind::WhichRolesCan => authz.which_roles_can(a)?,
            QueryKind::WhichUsersCan => authz.which_users_can(a)?,
            QueryKind::Roles => authz.roles()?,
        };
        frame(&mut self.output, list);
        Ok(())
    }

    /// The tenant whose token keys apply: the loaded one, else the configured one.
    fn token_tenant(&self) -> &str {
        token_tenant(self.loaded.as_ref(), &self.config)
    }

    pub(crate) fn verify_token(&mut self, token_len: u32, now: i64) -> Result<(), Failure> {
        let Self { input, output, config, loaded, token_keys } = self;
        let [token] = strs(input, [token_len])?;
        let now = now_or_host(now);
        let verified = with_token_keys(
            token_keys,
            token_tenant(loaded.as_ref(), config),
            |keys| tessera_core::verify_token(token, keys, &config.token, now),
            |result| matches!(result, Err(TokenError::UnknownKid { .. })),
        )?;
        *output = verified?.json.into_bytes();
        Ok(())
    }

    pub(crate) fn authorize(&mut self, token_len: u32, permission_len: u32, now: i64) -> Result<(), Failure> {
        let Self { input, output, config, loaded, token_keys } = self;
        let [token, permission] = strs(input, [token_len, permission_len])?;
        let loaded = loaded.as_ref().ok_or_else(Failure::not_loaded)?;
        // The token is judged at the time asked; the snapshot by the host's clock: an
        // earlier time cannot revive an expired snapshot.
        let now = now_or_host(now);
        let authz = loaded.now()?;
        let answer = with_token_keys(
            token_keys,
            authz.tenant(),
            |keys| tessera_core::authorize(authz, keys, &config.token, token, permission, now),
            |result| matches!(result, Ok(Authorization::TokenRejected(TokenError::UnknownKid { .. }))),
        )??;
        if config.audit_checks.records(answer.allowed()) {
            Event {
                action: "authorize",
                tenant: loaded.authz.tenant(),
                actor: answer.subject(),
                entity_type: "permission",
                entity: permission,
                success: answer.allowed(),
                details: decision_details(loaded, &answer),
            }
            .record()?;
        }
        *output = serde_json::to_vec(&answer).unwrap_or_default();
        Ok(())
    }

    pub(crate) fn sanitize(&mut self, mode: u32, len: u32, max_len: i64) -> Result<(), Failure> {
        let [text] = strs(&self.input, [len])?;
        let options = SanitizeOptions { max_len: usize::try_from(max_len).ok() };
        let clean = match mode {
            0 => tessera_core::escape(text, &options),
            1 => tessera_core::strip(text, &options),
            _ => return Err(failure::input("sanitize mode is 0 (escape) or 1 (strip)")),
        };
        self.output = clean.into_bytes();
        Ok(())
    }

    pub(crate) fn inspect(&mut self, len: u32) -> Result<(), Failure> {
        let [text] = strs(&self.input, [len])?;
        let findings = tessera_core::inspect(text);
        if !findings.is_empty() && self.config.audit_suspicious_input {
            Event {
                action: "security.suspicious_input",
                tenant: self.token_tenant(),
                actor: None,
                entity_type: "input",
                entity: "",
                success: false,
                details: json!({"findings": findings, "length": text.len()}),
            }
            .record()?;
        }
        self.output = serde_json::to_vec(&findings).unwrap_or_default();
        Ok(())
    }

    pub(crate) fn validate_identifier(&mut self, kind_len: u32, value_len: u32) -> Result<(), Failure> {
        let [kind, value] = strs(&self.input, [kind_len, value_len])?;
        let kind = IdentifierKind::from_code(kind)
            .ok_or_else(|| failure::input(format!("unknown identifier kind `{kind}`")))?;
        validate_identifier(kind, value)?;
        Ok(())
    }
}

fn record_check(
    loaded: &Loaded,
    user: &str,
    permission: &str,
    decision: &Decision<'_>,
) -> Result<(), Failure> {
    record_decision(
        loaded,
        user,
        ("permission", permission),
        decision.allowed(),
        decision_details(loaded, decision),
    )
}

/// A `check` event about `(entity_type, entity)`.
fn record_decision(
    loaded: &Loaded,
    user: &str,
    (entity_type, entity): (&str, &str),
    allowed: bool,
    details: Value,
) -> Result<(), Failure> {
    Event {
        action: "check",
        tenant: loaded.authz.tenant(),
        actor: Some(user),
        entity_type,
        entity,
        success: allowed,
        details,
    }
    .record()
}

/// Refuses a policy for another tenant than the one expected, if one is.
fn require_tenant(expected: Option<&str>, offered: &str) -> Result<(), Failure> {
    match expected {
        Some(expected) if expected != offered => Err(SnapshotError::TenantMismatch.into()),
        _ => Ok(()),
    }
}

fn token_tenant<'a>(loaded: Option<&'a Loaded>, config: &'a GuestConfig) -> &'a str {
    loaded.map(|loaded| loaded.authz.tenant()).or(config.tenant.as_deref()).unwrap_or_default()
}

/// Runs `attempt` with the tenant's token keys, fetched from the host on first use.
/// When the cached keys lack the kid a token names, they are fetched again once: the
/// keys may have rotated since.
fn with_token_keys<T>(
    cache: &mut Option<KeySet>,
    tenant: &str,
    attempt: impl Fn(&KeySet) -> T,
    unknown_kid: impl Fn(&T) -> bool,
) -> Result<T, Failure> {
    if let Some(keys) = cache.as_ref() {
        let result = attempt(keys);
        if !unknown_kid(&result) {
            return Ok(result);
        }
    }
    let keys = match abi::key(KeyPurpose::TokenKeys, tenant) {
        Some(jwks) => KeySet::from_jwks(utf8(&jwks, "token key set")?)?,
        None => KeySet::new(),
    };
    Ok(attempt(cache.insert(keys)))
}
