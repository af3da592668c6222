//! The guest-ABI fuzz driver: arbitrary bytes read as a script of raw calls into a
//! fresh guest instance, through wasmtime and this host's imports, as a careless or
//! hostile embedder would make them (lengths past the input buffer, unknown query
//! kinds and sanitizer modes, any clock value, bytes that are almost a snapshot,
//! token or policy). The cargo-fuzz target `guest_abi` (`fuzz/guest`) runs it under
//! libFuzzer; the tests below replay its seeds and corpus and mutate them for a few
//! seconds in the test command. Built for tests and with the `fuzzing` feature only;
//! not a stable interface.
//!
//! What must hold for every script:
//! - no export traps, breaks the ABI (result bits, output outside memory, an answer
//!   this host cannot read) or runs past its deadline (generous here: 10 s a call,
//!   60 s a load, so only a hang counts);
//! - every refusal is a readable error with an `ERR_` code;
//! - a call whose lengths add up to more than the input buffer ever held is refused;
//! - an instance runs out of memory only after it was asked for an input buffer over
//!   1 MiB; one that failed is retired, as in production, and the script goes on
//!   with a new one (one that only declined a buffer goes on as it is);
//! - afterwards the instance (a fresh one if it holds such a buffer) still decides
//!   correctly: configured and loaded with a newer snapshot, it allows alice
//!   `posts:read` and denies bob `posts:edit`.
//!
//! # Script format
//!
//! A sequence of operations, each a selector byte (taken modulo 17) and its operands;
//! the script ends where the bytes do. The *pending* bytes are what the fills since the
//! last clear wrote; after each fill they are the start of the input buffer.
//!
//! | selector | operation | operands |
//! |---|---|---|
//! | 0 | `tessera_input(len)` | len |
//! | 1 | append bytes | count (one byte), then that many bytes |
//! | 2 | append a fixture | kind (one byte), edits (one byte, modulo 4), each a position (len) and an xor byte (0: cut there) |
//! | 3 | clear the pending bytes | |
//! | 4..=16 | an export: configure, load, load_bytes, compile_policy, info, check, check_many, query, verify_token, authorize, sanitize, inspect, validate_identifier | its arguments in ABI order: each u32 a len, each i64 a time |
//!
//! A *len* is one byte: below `0xF0` the value itself; `0xF0` a little-endian u16
//! follows; `0xF1` a u32 follows; `0xF2` the pending length; `0xF3` the last fill's
//! length; `0xF4` the pending length plus one; `0xF5` `u32::MAX`; `0xF6` `2^31`; any
//! other byte its own value. A *time* is one byte: 0 the host's clock, 1 a
//! little-endian i64 follows, 2 `i64::MIN + 1`, 3 `i64::MAX`, 4 -1, 5 the fixed now,
//! 6 two hours later; any other byte its own value.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a fuzz driver: a fixture that cannot be built or a broken property must stop the run loudly"
)]

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::json;
use tessera_abi::wire::{self, NOW_FROM_HOST};
use tessera_core::{
    EncryptionKey, JwtAlgorithm, PolicyDocument, SigningKey, Snapshot, TokenSigner, VerifyingKey,
};

use super::guest::raw::Call;
use super::{
    AuditChecks, AuditEvent, AuditSink, Clock, Guest, GuestConfig, GuestError, KeyProvider, Runtime,
    RuntimeConfig, ServiceError, Services, SnapshotStore,
};

/// The clock of every run.
const NOW: i64 = 1_800_000_000;
/// The fixtures' tenant (a client key).
const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
/// A tenant whose storage fails.
const FAILING_TENANT: &str = "storage-fails";
/// An audit event about this user fails to record.
const AUDIT_FAILS_FOR: &str = "carol";
/// Instances may run out of memory only after an input buffer this large was asked for.
const BIG_INPUT: u32 = 1 << 20;
/// Pending bytes beyond this start over (every fill rewrites all of them).
const MAX_PENDING: usize = 256 << 10;
/// The instance's memory limit: small, so exhausting it is quick.
const MEMORY_LIMIT: usize = 64 << 20;

/// The snapshot signing key of the fixtures (generated once for this driver; trusted
/// nowhere else).
const SIGNING_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"fuzz-abi-snapshot","d":"MwRKYjo8jZWx8Cvw5fT-JdweGynuKdAPCnngPzDJRDU","x":"XuxGap72-DW-Dc_ZKucavMAsdQc_IZIvPQhGNa2pTeY"}"#;
/// The snapshot encryption key of the fixtures.
const DATA_KEY: [u8; 32] = *b"tessera guest-abi fuzz data key!";
const DATA_KID: &str = "fuzz-abi-aes";
/// The token key of the fixtures' tenant (HS256), raw and as a JWKS.
const TOKEN_SECRET: [u8; 32] = *b"tessera guest-abi fuzz hs256 key";
const TOKEN_KID: &str = "fuzz-abi-hs";
const TOKEN_JWKS: &str = r#"{"keys":[{"kty":"oct","kid":"fuzz-abi-hs","alg":"HS256","k":"dGVzc2VyYSBndWVzdC1hYmkgZnV6eiBoczI1NiBrZXk"}]}"#;

/// The policy of every fixture snapshot: editors inherit viewers and may not delete.
fn policy_json(strict: bool) -> String {
    let strict = if strict { r#", "strict_users": {"key_backed": ["alice"]}"# } else { "" };
    format!(
        r#"{{"tenant": "{TENANT}",
            "roles": {{
              "viewer": {{"grants": ["posts:read"]}},
              "editor": {{"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}}
            }},
            "members": {{"alice": ["editor"], "bob": ["viewer"], "carol": ["viewer"]}}{strict}}}"#
    )
}

/// What scripts can put in the input buffer by number (operation 2), and the runtime.
struct Fixtures {
    runtime: Runtime,
    items: Vec<Vec<u8>>,
    /// The snapshot loaded by the final check: a revision no fixture reaches.
    newest: Vec<u8>,
}

/// Indexes into [`Fixtures::items`].
mod item {
    pub(super) const SNAPSHOT: u8 = 0;
    pub(super) const STRICT_SNAPSHOT: u8 = 1;
    pub(super) const ENCRYPTED_SNAPSHOT: u8 = 2;
    pub(super) const CONFIG: u8 = 3;
    pub(super) const TOKEN_CONFIG: u8 = 4;
    pub(super) const POLICY: u8 = 5;
    pub(super) const TOKEN: u8 = 6;
    pub(super) const EXPIRED_TOKEN: u8 = 7;
    pub(super) const TENANT: u8 = 8;
    pub(super) const ALICE: u8 = 9;
    pub(super) const BOB: u8 = 10;
    pub(super) const POSTS_READ: u8 = 11;
    pub(super) const POSTS_ANY: u8 = 12;
    pub(super) const EDITOR: u8 = 13;
    pub(super) const PERMISSIONS: u8 = 14;
    pub(super) const ROLE_KIND: u8 = 15;
    pub(super) const ATTACK: u8 = 16;
    pub(super) const FAILING_TENANT: u8 = 17;
    pub(super) const AUDIT_FAILS_FOR: u8 = 18;
    pub(super) const COUNT: usize = 19;
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let signer = SigningKey::from_jwk(SIGNING_JWK).expect("the fixture key is a valid JWK");
        let data_key = EncryptionKey::new(DATA_KID, DATA_KEY).expect("a 32-byte key");
        let snapshot = |revision: u64, strict: bool| {
            let document = PolicyDocument::from_json(&policy_json(strict)).expect("the fixture policy reads");
            let policy = document.into_policy().expect("the fixture policy is valid");
            Snapshot { revision, issued_at: NOW - 10, expires_at: Some(NOW + 3600), policy }
        };
        let seal = |snapshot: Snapshot| snapshot.seal(&signer).expect("sealing the fixture");
        let token_signer =
            TokenSigner::hmac(TOKEN_KID, JwtAlgorithm::Hs256, &TOKEN_SECRET).expect("a strong secret");
        let token = |claims: serde_json::Value| {
            token_signer.sign(claims.as_object().expect("claims are an object"), "JWT").into_bytes()
        };
        let config = |value: GuestConfig| serde_json::to_vec(&value).expect("a config serializes");
        let mut token_config = GuestConfig { tenant: Some(TENANT.to_owned()), ..GuestConfig::default() };
        token_config.token.issuers = vec!["https://issuer.example".to_owned()];
        token_config.audit_checks = AuditChecks::All;
        let mut permissions = Vec::new();
        wire::frame(&mut permissions, ["posts:read", "posts:delete", "admin:*"]);
        let mut items = vec![Vec::new(); item::COUNT];
        let mut set = |at: u8, bytes: Vec<u8>| items[usize::from(at)] = bytes;
        set(item::SNAPSHOT, seal(snapshot(1, false)));
        set(item::STRICT_SNAPSHOT, seal(snapshot(2, true)));
        let encrypted = snapshot(1, false).seal_encrypted(&signer, &data_key).expect("sealing the fixture");
        set(item::ENCRYPTED_SNAPSHOT, encrypted);
        set(item::CONFIG, config(GuestConfig { tenant: Some(TENANT.to_owned()), ..GuestConfig::default() }));
        set(item::TOKEN_CONFIG, config(token_config));
        set(item::POLICY, policy_json(false).into_bytes());
        set(item::TOKEN, token(json!({"sub": "alice", "iss": "https://issuer.example", "exp": NOW + 3600})));
        set(item::EXPIRED_TOKEN, token(json!({"sub": "bob", "exp": NOW - 3600})));
        set(item::TENANT, TENANT.into());
        set(item::ALICE, "alice".into());
        set(item::BOB, "bob".into());
        set(item::POSTS_READ, "posts:read".into());
        set(item::POSTS_ANY, "posts:*".into());
        set(item::EDITOR, "editor".into());
        set(item::PERMISSIONS, permissions);
        set(item::ROLE_KIND, "role".into());
        set(item::ATTACK, "<img src=x onerror=alert(1)> ' OR 1=1 -- ../../etc/passwd %u003c".into());
        set(item::FAILING_TENANT, FAILING_TENANT.into());
        set(item::AUDIT_FAILS_FOR, AUDIT_FAILS_FOR.into());
        assert!(items.iter().all(|item| !item.is_empty()), "every fixture is set");
        let newest = seal(snapshot(u64::from(u32::MAX), false));
        let keys = FixtureKeys { snapshot: signer.verifying_key() };
        let services =
            Services::new(FixtureStore { snapshot: items[usize::from(item::SNAPSHOT)].clone() }, keys)
                .audit(FailingAudit)
                .clock(FixedClock);
        let config = RuntimeConfig {
            cache_dir: None,
            memory_limit: MEMORY_LIMIT,
            call_timeout: Duration::from_secs(10),
            load_timeout: Duration::from_secs(60),
            ..RuntimeConfig::default()
        };
        let runtime = Runtime::new(config, services).expect("the guest compiles");
        Fixtures { runtime, items, newest }
    })
}

struct FixtureStore {
    snapshot: Vec<u8>,
}

impl SnapshotStore for FixtureStore {
    fn snapshot(&self, tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        match tenant {
            TENANT => Ok(Some(self.snapshot.clone())),
            FAILING_TENANT => Err(ServiceError("the fixture store fails for this tenant".to_owned())),
            _ => Ok(None),
        }
    }
}

struct FixtureKeys {
    snapshot: VerifyingKey,
}

impl KeyProvider for FixtureKeys {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        (kid == self.snapshot.kid()).then(|| self.snapshot.clone())
    }

    fn decryption_key(&self, kid: &str) -> Option<EncryptionKey> {
        (kid == DATA_KID).then(|| EncryptionKey::new(DATA_KID, DATA_KEY).expect("a 32-byte key"))
    }

    fn token_keys(&self, tenant: &str) -> Option<String> {
        (tenant == TENANT).then(|| TOKEN_JWKS.to_owned())
    }
}

/// Records nothing, and fails for events about [`AUDIT_FAILS_FOR`].
struct FailingAudit;

impl AuditSink for FailingAudit {
    fn append(&self, event: AuditEvent) -> Result<(), ServiceError> {
        if event.entity.contains(AUDIT_FAILS_FOR) || event.actor.as_deref() == Some(AUDIT_FAILS_FOR) {
            return Err(ServiceError("the fixture audit sink fails for this user".to_owned()));
        }
        Ok(())
    }
}

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        NOW
    }
}

/// Reads a script's operands.
struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(first)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (bytes, rest) = self.data.split_first_chunk::<N>()?;
        self.data = rest;
        Some(*bytes)
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let (taken, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        taken
    }

    fn len(&mut self, state: &Pending) -> Option<u32> {
        let pending = u32::try_from(state.bytes.len()).unwrap_or(u32::MAX);
        Some(match self.byte()? {
            0xF0 => u32::from(u16::from_le_bytes(self.array()?)),
            0xF1 => u32::from_le_bytes(self.array()?),
            0xF2 => pending,
            0xF3 => state.last_fill,
            0xF4 => pending.saturating_add(1),
            0xF5 => u32::MAX,
            0xF6 => 1 << 31,
            other => u32::from(other),
        })
    }

    fn time(&mut self) -> Option<i64> {
        Some(match self.byte()? {
            0 => NOW_FROM_HOST,
            1 => i64::from_le_bytes(self.array()?),
            2 => i64::MIN + 1,
            3 => i64::MAX,
            4 => -1,
            5 => NOW,
            6 => NOW + 7200,
            other => i64::from(other),
        })
    }
}

/// The bytes the fills since the last clear wrote.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    last_fill: u32,
}

/// One instance and what the script has asked of it.
struct Instance {
    guest: Guest,
    /// The most bytes its input buffer was grown to.
    high_water: u64,
    /// Whether it was asked for an input buffer over [`BIG_INPUT`].
    big_input: bool,
}

impl Instance {
    fn fresh(fixtures: &Fixtures) -> Self {
        let guest = fixtures.runtime.guest().expect("a fresh instance starts");
        Self { guest, high_water: 0, big_input: false }
    }

    fn grown(&mut self, len: usize, outcome: &Result<(), GuestError>) {
        if outcome.is_ok() {
            self.high_water = self.high_water.max(len as u64);
        }
    }
}

/// What one operation did: its name and outcome.
type Outcome = (&'static str, Result<(), GuestError>);

/// Runs one script; panics, naming the operation, when a property fails.
/// `TESSERA_ABI_FUZZ_TRACE=1` prints every operation's outcome.
pub fn run(script: &[u8]) {
    let trace = std::env::var_os("TESSERA_ABI_FUZZ_TRACE").is_some();
    run_observed(script, &mut |step, (operation, outcome)| {
        if trace {
            eprintln!("abi_fuzz: step {step}, {operation}: {outcome:?}");
        }
    });
}

/// [`run`], telling `observe` each operation's outcome.
fn run_observed(script: &[u8], observe: &mut dyn FnMut(usize, &Outcome)) {
    let fixtures = fixtures();
    let mut instance = Instance::fresh(fixtures);
    let mut reader = Reader { data: script };
    let mut pending = Pending::default();
    let mut step = 0_usize;
    while let Some(selector) = reader.byte() {
        step += 1;
        let Some((outcome, needed)) = operate(selector % op::COUNT, &mut reader, &mut instance, &mut pending)
        else {
            break;
        };
        observe(step, &outcome);
        judge(&outcome, needed, &instance, step);
        if instance.guest.is_poisoned() {
            instance = Instance::fresh(fixtures);
            pending = Pending::default();
        }
    }
    if instance.big_input {
        instance = Instance::fresh(fixtures);
    }
    still_decides(&mut instance.guest, fixtures);
}

/// One operation, and the input bytes a call's lengths add up to (0 for the rest);
/// `None` when the script ends inside its operands.
fn operate(
    selector: u8,
    reader: &mut Reader<'_>,
    instance: &mut Instance,
    pending: &mut Pending,
) -> Option<(Outcome, u64)> {
    let call = match selector {
        op::INPUT => {
            let len = reader.len(pending)?;
            instance.big_input |= len > BIG_INPUT;
            let outcome = instance.guest.raw_input(len);
            instance.grown(len as usize, &outcome);
            return Some((("input", outcome), 0));
        }
        op::BYTES | op::FIXTURE => {
            let fill = if selector == op::BYTES {
                let count = reader.byte()?;
                reader.take(usize::from(count)).to_vec()
            } else {
                fixture(reader, pending)?
            };
            pending.last_fill = u32::try_from(fill.len()).unwrap_or(u32::MAX);
            if pending.bytes.len() + fill.len() > MAX_PENDING {
                pending.bytes.clear();
            }
            pending.bytes.extend_from_slice(&fill);
            let outcome = instance.guest.raw_put(&pending.bytes);
            instance.grown(pending.bytes.len(), &outcome);
            return Some((("fill", outcome), 0));
        }
        op::CLEAR => {
            *pending = Pending::default();
            return Some((("clear", Ok(())), 0));
        }
        op::CONFIGURE => Call::Configure(reader.len(pending)?),
        op::LOAD => Call::Load(reader.len(pending)?),
        op::LOAD_BYTES => Call::LoadBytes(reader.len(pending)?, reader.len(pending)?),
        op::COMPILE_POLICY => Call::CompilePolicy(reader.len(pending)?),
        op::INFO => Call::Info,
        op::CHECK => Call::Check(reader.len(pending)?, reader.len(pending)?),
        op::CHECK_MANY => Call::CheckMany(reader.len(pending)?, reader.len(pending)?),
        op::QUERY => Call::Query(reader.len(pending)?, reader.len(pending)?, reader.len(pending)?),
        op::VERIFY_TOKEN => Call::VerifyToken(reader.len(pending)?, reader.time()?),
        op::AUTHORIZE => Call::Authorize(reader.len(pending)?, reader.len(pending)?, reader.time()?),
        op::SANITIZE => Call::Sanitize(reader.len(pending)?, reader.len(pending)?, reader.time()?),
        op::INSPECT => Call::Inspect(reader.len(pending)?),
        _ => Call::ValidateIdentifier(reader.len(pending)?, reader.len(pending)?),
    };
    Some(((call.name(), instance.guest.raw_call(call)), call.input_bytes()))
}

/// A fixture with up to three edits.
fn fixture(reader: &mut Reader<'_>, pending: &Pending) -> Option<Vec<u8>> {
    let items = &fixtures().items;
    let mut bytes = items[usize::from(reader.byte()?) % items.len()].clone();
    for _ in 0..reader.byte()? % 4 {
        let at = reader.len(pending)? as usize;
        let xor = reader.byte()?;
        if bytes.is_empty() {
            continue;
        }
        let at = at % bytes.len();
        if xor == 0 { bytes.truncate(at) } else { bytes[at] ^= xor }
    }
    Some(bytes)
}

/// Panics on a broken property. `needed`: the input bytes the call's lengths add up to.
fn judge((operation, outcome): &Outcome, needed: u64, instance: &Instance, step: usize) {
    match outcome {
        Ok(()) => assert!(
            needed <= instance.high_water,
            "step {step}, {operation}: answered for {needed} bytes of arguments from a buffer of {}",
            instance.high_water
        ),
        Err(GuestError::Refused { code, message, .. }) => assert!(
            code.starts_with("ERR_") && code.len() > 4 && !message.is_empty(),
            "step {step}, {operation}: a refusal without a code or message: {code:?} {message:?}"
        ),
        Err(GuestError::MemoryLimit { .. }) if instance.big_input => {}
        Err(error) => panic!("step {step}, {operation}: {error}"),
    }
}

/// The instance, whatever the script did to it, still decides from a newer snapshot.
fn still_decides(guest: &mut Guest, fixtures: &Fixtures) {
    let config = GuestConfig { tenant: Some(TENANT.to_owned()), ..GuestConfig::default() };
    guest.configure(&config).unwrap_or_else(|e| panic!("after the script, configure: {e}"));
    guest.load_bytes(&fixtures.newest).unwrap_or_else(|e| panic!("after the script, load_bytes: {e}"));
    let allowed = guest.can("alice", "posts:read").unwrap_or_else(|e| panic!("after the script, check: {e}"));
    let denied = guest.can("bob", "posts:edit").unwrap_or_else(|e| panic!("after the script, check: {e}"));
    assert!(allowed && !denied, "after the script, the newest snapshot is decided wrongly");
}

impl Call {
    /// The input bytes its lengths add up to.
    fn input_bytes(self) -> u64 {
        let lens: &[u32] = match self {
            Call::Info => &[],
            Call::Configure(len)
            | Call::Load(len)
            | Call::LoadBytes(len, _)
            | Call::CompilePolicy(len)
            | Call::VerifyToken(len, _)
            | Call::Sanitize(_, len, _)
            | Call::Inspect(len) => &[len],
            Call::Check(a, b)
            | Call::CheckMany(a, b)
            | Call::Query(_, a, b)
            | Call::Authorize(a, b, _)
            | Call::ValidateIdentifier(a, b) => &[a, b],
        };
        lens.iter().map(|&len| u64::from(len)).sum()
    }

    fn name(self) -> &'static str {
        match self {
            Call::Configure(..) => "configure",
            Call::Load(..) => "load",
            Call::LoadBytes(..) => "load_bytes",
            Call::CompilePolicy(..) => "compile_policy",
            Call::Info => "info",
            Call::Check(..) => "check",
            Call::CheckMany(..) => "check_many",
            Call::Query(..) => "query",
            Call::VerifyToken(..) => "verify_token",
            Call::Authorize(..) => "authorize",
            Call::Sanitize(..) => "sanitize",
            Call::Inspect(..) => "inspect",
            Call::ValidateIdentifier(..) => "validate_identifier",
        }
    }
}

/// Writes scripts in the format above.
#[derive(Default)]
struct Script(Vec<u8>);

impl Script {
    /// An operation's selector.
    fn op(self, selector: u8) -> Self {
        self.byte(selector)
    }

    /// One operand byte.
    fn byte(mut self, value: u8) -> Self {
        self.0.push(value);
        self
    }

    fn len(mut self, value: u32) -> Self {
        match u8::try_from(value) {
            Ok(small) if small < 0xF0 => self.0.push(small),
            _ => {
                self.0.push(0xF1);
                self.0.extend_from_slice(&value.to_le_bytes());
            }
        }
        self
    }

    /// The pending length, as a len.
    fn pending(self) -> Self {
        self.byte(0xF2)
    }

    /// Clears, then appends a fixture.
    fn put(self, kind: u8) -> Self {
        self.op(op::CLEAR).and(kind)
    }

    /// Appends a fixture, unedited.
    fn and(self, kind: u8) -> Self {
        self.op(op::FIXTURE).byte(kind).byte(0)
    }

    fn load(self, kind: u8) -> Self {
        self.put(kind).op(op::LOAD_BYTES).pending().len(1)
    }

    fn configured(self) -> Self {
        self.put(item::CONFIG).op(op::CONFIGURE).pending()
    }
}

/// Selectors of the script format.
mod op {
    pub(super) const INPUT: u8 = 0;
    pub(super) const BYTES: u8 = 1;
    pub(super) const FIXTURE: u8 = 2;
    pub(super) const CLEAR: u8 = 3;
    pub(super) const CONFIGURE: u8 = 4;
    pub(super) const LOAD: u8 = 5;
    pub(super) const LOAD_BYTES: u8 = 6;
    pub(super) const COMPILE_POLICY: u8 = 7;
    pub(super) const INFO: u8 = 8;
    pub(super) const CHECK: u8 = 9;
    pub(super) const CHECK_MANY: u8 = 10;
    pub(super) const QUERY: u8 = 11;
    pub(super) const VERIFY_TOKEN: u8 = 12;
    pub(super) const AUTHORIZE: u8 = 13;
    pub(super) const SANITIZE: u8 = 14;
    pub(super) const INSPECT: u8 = 15;
    pub(super) const VALIDATE_IDENTIFIER: u8 = 16;
    pub(super) const COUNT: u8 = 17;
}

/// Time operands of the script format.
mod time {
    pub(super) const HOST_CLOCK: u8 = 0;
    pub(super) const NONE: u8 = 4;
    pub(super) const FIXED_NOW: u8 = 5;
}

/// The committed seeds of the fuzz target: one script per area of the ABI, each
/// reaching the deep end of it (a verified snapshot, a valid token, a real check;
/// `seeds_reach_what_they_are_for` checks that).
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let loaded = || Script::default().configured().load(item::SNAPSHOT);
    let len_of = |kind: u8| u32::try_from(fixtures().items[usize::from(kind)].len()).unwrap_or(u32::MAX);
    let mut queries = loaded().put(item::ALICE).and(item::EDITOR);
    for kind in 0..=11 {
        queries = queries.op(op::QUERY).len(kind).len(5).len(6);
    }
    let check = |script: Script| script.put(item::ALICE).and(item::POSTS_READ).op(op::CHECK).len(5).len(10);
    let seeds = [
        ("check", check(loaded())),
        (
            "load-from-store",
            Script::default().configured().put(item::TENANT).op(op::LOAD).pending().op(op::INFO),
        ),
        (
            "strict",
            loaded().load(item::STRICT_SNAPSHOT).put(item::ALICE).op(op::QUERY).len(10).pending().len(0),
        ),
        ("encrypted", Script::default().configured().load(item::ENCRYPTED_SNAPSHOT).op(op::INFO)),
        ("rollback", loaded().load(item::STRICT_SNAPSHOT).load(item::SNAPSHOT)),
        (
            "edited-snapshot",
            Script::default()
                .configured()
                .op(op::CLEAR)
                .op(op::FIXTURE)
                .byte(item::SNAPSHOT)
                .byte(1)
                .len(40)
                .byte(0x5a)
                .op(op::LOAD_BYTES)
                .pending()
                .len(1),
        ),
        ("queries", queries),
        (
            "check-many",
            loaded()
                .put(item::ALICE)
                .and(item::PERMISSIONS)
                .op(op::CHECK_MANY)
                .len(5)
                .len(len_of(item::PERMISSIONS)),
        ),
        (
            "token",
            Script::default()
                .put(item::TOKEN_CONFIG)
                .op(op::CONFIGURE)
                .pending()
                .load(item::SNAPSHOT)
                .put(item::TOKEN)
                .op(op::VERIFY_TOKEN)
                .pending()
                .byte(time::FIXED_NOW)
                .and(item::POSTS_READ)
                .op(op::AUTHORIZE)
                .len(len_of(item::TOKEN))
                .len(10)
                .byte(time::HOST_CLOCK)
                .put(item::EXPIRED_TOKEN)
                .op(op::VERIFY_TOKEN)
                .pending()
                .byte(time::HOST_CLOCK),
        ),
        (
            "sanitize",
            Script::default()
                .put(item::ATTACK)
                .op(op::SANITIZE)
                .len(0)
                .pending()
                .byte(time::NONE)
                .op(op::SANITIZE)
                .len(1)
                .pending()
                .byte(20)
                .op(op::INSPECT)
                .pending(),
        ),
        (
            "identifier",
            Script::default()
                .put(item::ROLE_KIND)
                .and(item::EDITOR)
                .op(op::VALIDATE_IDENTIFIER)
                .len(4)
                .len(6),
        ),
        ("compile", Script::default().put(item::POLICY).op(op::COMPILE_POLICY).pending().op(op::INFO)),
        (
            "overrun",
            loaded()
                .put(item::ALICE)
                .op(op::CHECK)
                .len(u32::MAX)
                .len(3)
                .op(op::INPUT)
                .len(3)
                .op(op::CHECK)
                .len(5)
                .len(10)
                .op(op::BYTES)
                .byte(2)
                .byte(b'h')
                .byte(b'i'),
        ),
        (
            "big-input",
            check(Script::default().op(op::INPUT).len(100 << 20).configured().load(item::SNAPSHOT)),
        ),
        // A buffer beyond what wasm32 addresses is declined, and the instance goes on.
        ("regression-input-beyond-wasm32", check(loaded().op(op::INPUT).len(0xF240_0000))),
        // A megabyte of NUL bytes, an attack shape at every byte, inspected twice: the
        // findings once grew with the input past the memory limit (the core now keeps
        // the first `MAX_FINDINGS`).
        (
            "regression-inspect-at-every-byte",
            Script::default()
                .op(op::INPUT)
                .len(BIG_INPUT)
                .op(op::INSPECT)
                .len(BIG_INPUT)
                .op(op::INSPECT)
                .len(BIG_INPUT),
        ),
    ];
    seeds.into_iter().map(|(name, script)| (name, script.0)).collect()
}

#[cfg(test)]
mod tests {
    //! The test command's share of the guest-ABI fuzzing: the seeds are current,
    //! they and the grown corpus replay clean, and a few seconds of mutations find
    //! nothing (`fuzz_smoke`, run by scripts/fuzz-smoke.sh).

    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use super::*;

    fn fuzz_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/guest")
    }

    /// The grown corpus, and any file among the seeds that [`seeds`] does not write.
    fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
        let generated: Vec<&str> = seeds().iter().map(|(name, _)| *name).collect();
        let mut files = Vec::new();
        for dir in ["seeds/guest_abi", "corpus/guest_abi"] {
            let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir)) else { continue };
            for entry in entries {
                let path = entry.expect("a readable directory").path();
                let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
                if dir.starts_with("seeds") && generated.contains(&name) {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                files.push((path, bytes));
            }
        }
        files.sort();
        files
    }

    /// `TESSERA_WRITE_SEEDS=1` writes them.
    #[test]
    fn committed_seeds_are_current() {
        let dir = fuzz_dir().join("seeds/guest_abi");
        for (name, script) in seeds() {
            let path = dir.join(name);
            if std::env::var_os("TESSERA_WRITE_SEEDS").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &script).unwrap();
            }
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(
                committed == script,
                "{} is not current: TESSERA_WRITE_SEEDS=1 rewrites it",
                path.display()
            );
        }
    }

    /// The outcomes of a script's calls (fills and clears left out): `ok`, an error
    /// code, or `memory`.
    fn outcomes(script: &[u8]) -> Vec<String> {
        let mut seen = Vec::new();
        run_observed(script, &mut |_, (operation, outcome)| {
            if !matches!(*operation, "fill" | "clear") {
                seen.push(match outcome {
                    Ok(()) => format!("{operation} ok"),
                    Err(GuestError::MemoryLimit { .. }) => format!("{operation} memory"),
                    Err(error) => format!("{operation} {}", error.code()),
                });
            }
        });
        seen
    }

    /// Each seed gets where it is meant to: a broken fixture would turn them all into
    /// early refusals that still "replay clean".
    #[test]
    fn seeds_reach_what_they_are_for() {
        let loaded = ["configure ok", "load_bytes ok"];
        let mut queries: Vec<String> = (0..=10).map(|_| "query ok".to_owned()).collect();
        queries.push("query ERR_INVALID_ARGUMENT".to_owned());
        let expected: Vec<(&str, Vec<&str>)> = vec![
            ("check", [&loaded[..], &["check ok"]].concat()),
            ("load-from-store", vec!["configure ok", "load ok", "info ok"]),
            ("strict", [&loaded[..], &["load_bytes ok", "query ok"]].concat()),
            ("encrypted", [&loaded[..], &["info ok"]].concat()),
            ("rollback", [&loaded[..], &["load_bytes ok", "load_bytes ERR_SNAPSHOT_ROLLBACK"]].concat()),
            ("edited-snapshot", vec!["configure ok", "load_bytes ERR_SNAPSHOT_UNKNOWN_KEY_ID"]),
            ("check-many", [&loaded[..], &["check_many ok"]].concat()),
            (
                "token",
                vec![
                    "configure ok",
                    "load_bytes ok",
                    "verify_token ok",
                    "authorize ok",
                    "verify_token ERR_TOKEN_EXPIRED",
                ],
            ),
            ("sanitize", vec!["sanitize ok", "sanitize ok", "inspect ok"]),
            ("identifier", vec!["validate_identifier ok"]),
            ("compile", vec!["compile_policy ok", "info ok"]),
            (
                "overrun",
                [&loaded[..], &["check ERR_INVALID_ARGUMENT", "input ok", "check ERR_INVALID_ARGUMENT"]]
                    .concat(),
            ),
            ("big-input", vec!["input memory", "configure ok", "load_bytes ok", "check ok"]),
            ("regression-input-beyond-wasm32", [&loaded[..], &["input memory", "check ok"]].concat()),
            ("regression-inspect-at-every-byte", vec!["input ok", "inspect ok", "inspect ok"]),
        ];
        let seeds = seeds();
        for (name, want) in expected {
            let script = &seeds.iter().find(|(seed, _)| *seed == name).expect("a seed by that name").1;
            assert_eq!(outcomes(script), want, "seed {name}");
        }
        let script = &seeds.iter().find(|(seed, _)| *seed == "queries").expect("the queries seed").1;
        assert_eq!(outcomes(script), [&loaded.map(String::from)[..], &queries[..]].concat(), "seed queries");
    }

    #[test]
    fn seeds_and_corpus_replay_clean() {
        for (_, script) in seeds() {
            run(&script);
        }
        for (path, script) in corpus() {
            let outcome = std::panic::catch_unwind(|| run(&script));
            assert!(outcome.is_ok(), "{} fails", path.display());
        }
    }

    #[test]
    fn the_properties_catch_what_they_are_for() {
        let instance = Instance::fresh(fixtures());
        let finding = |outcome: Outcome, needed: u64| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| judge(&outcome, needed, &instance, 1)))
                .is_err()
        };
        assert!(finding(("check", Err(GuestError::Trap { message: "unreachable".to_owned() })), 0));
        assert!(finding(("check", Err(GuestError::MemoryLimit { limit: MEMORY_LIMIT })), 0));
        assert!(finding(("check", Ok(())), 1), "an answer from past the input buffer");
        assert!(!finding(("check", Ok(())), 0));
    }

    /// A small xorshift generator: mutations need no more.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// One to five random edits of `script`, splices of `other` among them.
    fn mutate(rng: &mut Rng, script: &[u8], other: &[u8]) -> Vec<u8> {
        let mut out = script.to_vec();
        for _ in 0..=rng.below(4) {
            let at = rng.below(out.len() + 1);
            match rng.below(6) {
                0 if at < out.len() => out[at] ^= 1 << rng.below(8),
                1 if at < out.len() => out[at] = rng.next() as u8,
                2 => out.insert(at, rng.next() as u8),
                3 if at < out.len() => {
                    let end = (at + 1 + rng.below(8)).min(out.len());
                    out.drain(at..end);
                }
                4 => {
                    let from = rng.below(other.len() + 1);
                    let end = (from + rng.below(32)).min(other.len());
                    out.splice(at..at, other[from..end].iter().copied());
                }
                _ => out.insert(at, [0xF0, 0xF1, 0xF2, 0xF4, 0xF5, 0xF6][rng.below(6)]),
            }
        }
        out
    }

    /// Mutates the seeds and corpus for `FUZZ_SECONDS` (10); a failing script is
    /// written to `fuzz/guest/artifacts/guest_abi/`. Not coverage-guided: the long runs
    /// are the cargo-fuzz target's (fuzz/README.md).
    #[test]
    #[ignore = "run by scripts/fuzz-smoke.sh"]
    fn fuzz_smoke() {
        let seconds = std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
        let seed = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        }) | 1;
        let mut pool: Vec<Vec<u8>> = seeds().into_iter().map(|(_, script)| script).collect();
        pool.extend(corpus().into_iter().map(|(_, script)| script));
        let mut rng = Rng(seed);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut runs = 0_u64;
        while Instant::now() < deadline {
            let (one, other) = (rng.below(pool.len()), rng.below(pool.len()));
            let script = mutate(&mut rng, &pool[one], &pool[other]);
            if let Err(panic) = std::panic::catch_unwind(|| run(&script)) {
                let dir = fuzz_dir().join("artifacts/guest_abi");
                let path = dir.join(format!("crash-seed{seed}-run{runs}"));
                let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &script));
                eprintln!(
                    "guest_abi: a script failed (FUZZ_SEED={seed}); saved: {saved:?} at {}",
                    path.display()
                );
                std::panic::resume_unwind(panic);
            }
            runs += 1;
        }
        println!("guest_abi: {runs} scripts in {seconds} s (FUZZ_SEED={seed})");
    }
}
