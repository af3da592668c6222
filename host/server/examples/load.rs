//! An HTTP load generator for `tessera serve`: the soak and load test of issue 16
//! (item 12). It is not part of the test command; `scripts/soak.sh` runs it against a
//! fresh server on SQLite and on PostgreSQL and watches the server's memory.
//!
//! Run with:
//!
//! ```sh
//! cargo run --release -p tessera-server --example load -- --url http://127.0.0.1:4000 \
//!     --key 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b --seconds 600 --rotate-at 300 --report load.json
//! ```
//!
//! What it does:
//!
//! - **Seeding** (before the clock starts, through the HTTP API): roles `soak_reader`
//!   (`docs:read`), `soak_writer` (`docs:*`, deny `docs:delete`) and `soak_member`
//!   (the role writes add users to and remove them from), and `--users` users, the
//!   even ones writers, the odd ones readers. Seeding is idempotent.
//! - **The timed run**: `--connections` threads, each with its own HTTP agent and so its
//!   own keep-alive connection, send requests back to back for `--seconds`.
//!   - `--scenario soak`: `--writes-percent` of the requests are writes, the rest
//!     reads (`GET /api/has_permission/{user}/{perm}` over the seeded users and four
//!     permissions, about half allowed and half denied). A read counts as answered
//!     when it is `200` and `has_permission` is what the seeded policy says (and the
//!     decision is not `unknown_user`); anything else is an error. Writes keep the
//!     data the same size: each thread owns [`SLOTS`] users and a write toggles one
//!     of them, `POST /api/membership/{user}/soak_member` when it is not a member and
//!     `DELETE` when it is, so the run's members stay about `SLOTS × --connections`
//!     whatever its length. A write is acknowledged when it is `200` with
//!     `{"result": true}`; the thread remembers each slot's acknowledged state. A
//!     write that is not acknowledged may or may not have applied (a 408 leaves it
//!     running): its slot moves on to a new user name and the old one is not judged.
//!   - `--scenario decisions`: only reads that are denied (a deny or no matching grant
//!     for a seeded user), so each one is a decision event for the audit log; this
//!     measures the audit path.
//! - **Client-key rotation** (`--rotate-at SECONDS`): one extra thread sends
//!   `POST /api/keys/rotate` at that second of the run under the current key; when the
//!   answer names `data.new_key`, every thread uses the new key for its next request.
//!   A request sent with the old key can reach the server after the rotation commits.
//!   The server does not answer such a request with 401/403: an unused client key is an
//!   empty namespace there, so a read answers `has_permission: false` with reason
//!   `unknown_user` and a write answers `200 {"result": false}` (no such role; the
//!   write creates an empty tenant under the old key). The rule, exactly: a request
//!   is retried once, with the new key, when (a) it was sent with the key from before
//!   the rotation, (b) its answer arrived after the rotating thread began sending
//!   `POST /api/keys/rotate`, and (c) the answer is 401, 403, or the unused-namespace
//!   answer above. The retry waits for the new key if the rotation has not been
//!   answered yet. A removal answers `{"result": true}` in an unused namespace too
//!   (Auth's idempotent `DELETE`), so a removal meeting (a) and (b) is always repeated
//!   with the new key, which is harmless: removing an absent membership changes
//!   nothing. Only the retry's answer is judged; such requests are counted once,
//!   as requests, and again under `rotation_retries`; their latency is the time from
//!   the first send to the retry's answer. Any other answer, and every answer outside
//!   that window, is judged as is.
//! - **Verification**: after the run, every slot's last acknowledged state is looked
//!   up under the final key (`GET /api/members/soak_member`, then
//!   `GET /api/membership/{user}/soak_member` for any user the listing contradicts): a
//!   member the server does not show, or a removed user it still shows, is a lost
//!   write. Denied answers are compared with the audit log's
//!   `check` records (`GET /api/audit?action=check`), and the server's
//!   `tessera_audit_dropped_total` and `tessera_decisions_total` are read from
//!   `/metrics`; these are reported, not judged.
//!
//! Output: a summary on standard output, its last line machine-readable
//! (`load: requests=... throughput=... read_p99_ms=... errors=... lost=...`), and with
//! `--report FILE` the whole report as JSON: requests per kind, throughput, latency
//! p50/p99/p999/max per kind (from every sample), errors by kind and status, lost
//! writes, and a timeline (requests, errors and p99 per kind for every 10 s of the
//! run, by when each request was sent). The line `load: timed run started` marks the
//! end of seeding. Exit status: 0 when there was no error and no lost write, 1
//! otherwise, 2 for a usage error, 3 when seeding or verification could not be done.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

/// The role writes add users to and remove them from.
const MEMBER_ROLE: &str = "soak_member";
/// The users each thread's writes toggle in and out of [`MEMBER_ROLE`].
const SLOTS: usize = 4;
/// The permissions reads ask about.
const PERMISSIONS: [&str; 4] = ["docs:read", "docs:write", "docs:delete", "admin:purge"];
/// How long one HTTP exchange may take before it counts as a transport error.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The length of one window of the report's timeline.
const WINDOW: Duration = Duration::from_secs(10);
/// The largest body read (the member listing after a long run).
const MAX_BODY: u64 = 512 << 20;

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(about = "HTTP load generator for `tessera serve` (soak and load test)")]
struct Args {
    /// Base URL of the server, e.g. `http://127.0.0.1:4000`.
    #[arg(long)]
    url: String,
    /// The tenant's client key (sent as `Authorization: Bearer <key>`).
    #[arg(long)]
    key: String,
    /// Concurrent connections, one thread each.
    #[arg(long, default_value_t = 256)]
    connections: usize,
    /// Length of the timed run.
    #[arg(long)]
    seconds: u64,
    /// Share of writes in the soak scenario, 0 to 100.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=100))]
    writes_percent: u32,
    /// Rotate the client key at this second of the run.
    #[arg(long, value_name = "SECONDS")]
    rotate_at: Option<u64>,
    /// What to send.
    #[arg(long, value_enum, default_value_t = Scenario::Soak)]
    scenario: Scenario,
    /// Write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Seeded users reads ask about.
    #[arg(long, default_value_t = 100)]
    users: usize,
}

/// The request mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Reads and writes (`--writes-percent`).
    Soak,
    /// Only denied checks: each one is a decision event for the audit log.
    Decisions,
}

/// The kinds of request, each with its own counters and latencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// `GET /api/has_permission`, allowed or denied.
    Read,
    /// `POST` or `DELETE /api/membership`, toggling one of a thread's users.
    Write,
    /// `GET /api/has_permission`, always denied (decisions scenario).
    Decision,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Read, Kind::Write, Kind::Decision];

    fn name(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Decision => "decision",
        }
    }

    fn index(self) -> usize {
        match self {
            Kind::Read => 0,
            Kind::Write => 1,
            Kind::Decision => 2,
        }
    }
}

/// Where the rotation is: [`KeyRing::phase`] values.
const BEFORE: u8 = 0;
/// The rotating thread has begun sending `POST /api/keys/rotate`.
const ROTATING: u8 = 1;
/// The new key is in use.
const ROTATED: u8 = 2;
/// The rotation was refused or failed; the old key stays.
const FAILED: u8 = 3;

/// The client key every thread uses, and the rotation's progress.
struct KeyRing {
    /// The key in use and its generation (0 before the rotation, 1 after).
    current: RwLock<(Arc<str>, u32)>,
    /// One of [`BEFORE`], [`ROTATING`], [`ROTATED`], [`FAILED`].
    phase: AtomicU8,
    /// Wakes threads waiting for the new key.
    settled: (Mutex<()>, Condvar),
}

impl KeyRing {
    fn new(key: &str) -> Self {
        Self {
            current: RwLock::new((Arc::from(key), 0)),
            phase: AtomicU8::new(BEFORE),
            settled: (Mutex::new(()), Condvar::new()),
        }
    }

    fn get(&self) -> (Arc<str>, u32) {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (Arc::clone(&current.0), current.1)
    }

    /// Ends the rotation: `Some(key)` switches every thread to it.
    fn settle(&self, new_key: Option<&str>) {
        let _guard = self.settled.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = new_key {
            *self.current.write().unwrap_or_else(PoisonError::into_inner) = (Arc::from(key), 1);
            self.phase.store(ROTATED, Ordering::SeqCst);
        } else {
            self.phase.store(FAILED, Ordering::SeqCst);
        }
        self.settled.1.notify_all();
    }

    /// Waits until the rotation is over; the new key, or `None` when it failed or took
    /// longer than [`CALL_TIMEOUT`].
    fn new_key(&self) -> Option<Arc<str>> {
        let guard = self.settled.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (_guard, _) = self
            .settled
            .1
            .wait_timeout_while(guard, CALL_TIMEOUT, |()| self.phase.load(Ordering::SeqCst) == ROTATING)
            .unwrap_or_else(PoisonError::into_inner);
        match self.phase.load(Ordering::SeqCst) {
            ROTATED => Some(self.get().0),
            _ => None,
        }
    }
}

/// One HTTP answer: status and body, or why there was none.
type Answer = Result<(u16, Value), String>;

/// An HTTP client bound to one connection (its own agent, so its own keep-alive).
struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(CALL_TIMEOUT))
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .build();
        Self { agent: config.into(), base: base.trim_end_matches('/').to_owned() }
    }

    /// Sends `method path` with `key` as the bearer client key (`None`: no header).
    fn call(&self, method: &str, path: &str, key: Option<&str>) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(key) = key {
            builder = builder.header("Authorization", format!("Bearer {key}"));
        }
        let request = builder.body(Vec::new()).map_err(|e| format!("building {method} {path}: {e}"))?;
        let mut response = self.agent.run(request).map_err(|e| format!("transport: {e}"))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| format!("transport: reading the body: {e}"))?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// Like [`call`](Self::call), and the answer must be a 2xx.
    fn must(&self, method: &str, path: &str, key: &str) -> Result<Value, String> {
        match self.call(method, path, Some(key))? {
            (status, body) if (200..300).contains(&status) => Ok(body),
            (status, body) => Err(format!("{method} {path}: {status} {body}")),
        }
    }
}

/// What the seeded policy answers for a user and a permission.
fn expected(user_index: usize, permission: &str) -> bool {
    let writer = user_index.is_multiple_of(2);
    match permission {
        "docs:read" => true,
        "docs:write" => writer,
        _ => false,
    }
}

/// The seeded user `index`.
fn seeded_user(index: usize) -> String {
    format!("soak_user{index}")
}

/// Creates the roles, grants and users the run asks about (idempotent), checks a few
/// answers, and returns how many of those were denials (audited like the run's).
fn seed(client: &Client, key: &str, users: usize) -> Result<u64, String> {
    client.must("POST", "/api/role/soak_reader", key)?;
    client.must("POST", "/api/permission/soak_reader/docs:read", key)?;
    client.must("POST", "/api/role/soak_writer", key)?;
    client.must("POST", "/api/permission/soak_writer/docs:*", key)?;
    client.must("POST", "/api/deny/soak_writer/docs:delete", key)?;
    client.must("POST", &format!("/api/role/{MEMBER_ROLE}"), key)?;
    for index in 0..users {
        let role = if index.is_multiple_of(2) { "soak_writer" } else { "soak_reader" };
        let body = client.must("POST", &format!("/api/membership/{}/{role}", seeded_user(index)), key)?;
        if body["result"] != Value::Bool(true) {
            return Err(format!("seeding {}: {body}", seeded_user(index)));
        }
    }
    let mut denied = 0;
    for index in 0..users.min(4) {
        for permission in PERMISSIONS {
            let path = format!("/api/has_permission/{}/{permission}", seeded_user(index));
            let body = client.must("GET", &path, key)?;
            if body["data"]["has_permission"] != Value::Bool(expected(index, permission)) {
                return Err(format!("the seeded policy answers {path} wrongly: {body}"));
            }
            denied += u64::from(!expected(index, permission));
        }
    }
    Ok(denied)
}

/// A small xorshift generator: the mix needs no more.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

/// What one thread saw.
#[derive(Default)]
struct Tally {
    /// Latencies in microseconds, per [`WINDOW`] of the run (by when the request
    /// was sent) and per [`Kind::index`].
    windows: Vec<[Vec<u32>; 3]>,
    /// Errors per [`WINDOW`].
    window_errors: Vec<u64>,
    /// Errors by kind and cause (`write 503`, `read wrong answer`, ...).
    errors: BTreeMap<String, u64>,
    /// Requests retried with the new key, per kind.
    retries: [u64; 3],
    /// Denied answers (each one a decision event the audit log should record).
    denied: u64,
    /// Acknowledged writes.
    acknowledged: u64,
    /// Users whose last acknowledged write added them.
    members: Vec<String>,
    /// Users whose last acknowledged write removed them.
    removed: Vec<String>,
    /// Writes not acknowledged: each may still have applied.
    uncertain: u64,
}

/// One request the run makes.
enum Request {
    /// A check whose answer the seeded policy fixes.
    Check { kind: Kind, path: String, allowed: bool },
    /// A membership write: adds `user` to [`MEMBER_ROLE`], or removes them.
    Write { user: String, add: bool },
}

impl Request {
    fn kind(&self) -> Kind {
        match self {
            Request::Check { kind, .. } => *kind,
            Request::Write { .. } => Kind::Write,
        }
    }
}

/// How an answer is judged.
enum Verdict {
    /// As expected.
    Fine,
    /// What a key retired by the rotation gets: retried when the request overlapped it.
    OldKey,
    /// An error, with its cause.
    Error(String),
}

fn judge(request: &Request, answer: &Answer) -> Verdict {
    let (status, body) = match answer {
        Ok(answer) => answer,
        Err(e) => return Verdict::Error(e.chars().take(80).collect()),
    };
    if matches!(status, 401 | 403) {
        return Verdict::OldKey;
    }
    if *status != 200 {
        return Verdict::Error(status.to_string());
    }
    match request {
        Request::Check { allowed, .. } => {
            let data = &body["data"];
            if data["decision"]["reason"] == "unknown_user" {
                Verdict::OldKey
            } else if data["has_permission"] == Value::Bool(*allowed) {
                Verdict::Fine
            } else {
                Verdict::Error("200 wrong answer".to_owned())
            }
        }
        Request::Write { .. } => match &body["result"] {
            Value::Bool(true) => Verdict::Fine,
            Value::Bool(false) => Verdict::OldKey,
            _ => Verdict::Error("200 unexpected body".to_owned()),
        },
    }
}

/// What every worker shares.
struct Shared {
    args: Args,
    keys: KeyRing,
    /// Distinguishes this run's new users from those of earlier runs on the same data.
    run_id: String,
}

/// One of a thread's toggled users: its name's generation, and whether its last
/// acknowledged write added it.
#[derive(Clone, Copy, Default)]
struct Slot {
    generation: u32,
    member: bool,
}

impl Slot {
    fn user(self, shared: &Shared, thread: usize, slot: usize) -> String {
        format!("w{}-{thread}-{slot}-{}", shared.run_id, self.generation)
    }
}

/// One connection's loop from `start` until `deadline`.
fn worker(shared: &Shared, index: usize, start: Instant, deadline: Instant) -> Tally {
    let client = Client::new(&shared.args.url);
    let mut tally = Tally::default();
    let seed = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rng = Rng(seed);
    let mut slots = [Slot::default(); SLOTS];
    let mut slot = 0;
    let users = shared.args.users.max(1);
    while Instant::now() < deadline {
        let request = match shared.args.scenario {
            Scenario::Soak if rng.below(100) < shared.args.writes_percent as usize => {
                slot = rng.below(SLOTS);
                let Slot { member, .. } = slots[slot];
                Request::Write { user: slots[slot].user(shared, index, slot), add: !member }
            }
            Scenario::Soak => {
                let user = rng.below(users);
                let permission = PERMISSIONS[rng.below(PERMISSIONS.len())];
                Request::Check {
                    kind: Kind::Read,
                    path: format!("/api/has_permission/{}/{permission}", seeded_user(user)),
                    allowed: expected(user, permission),
                }
            }
            Scenario::Decisions => {
                let user = rng.below(users);
                let permission = PERMISSIONS[2 + rng.below(2)];
                Request::Check {
                    kind: Kind::Decision,
                    path: format!("/api/has_permission/{}/{permission}", seeded_user(user)),
                    allowed: false,
                }
            }
        };
        let (method, path) = match &request {
            Request::Check { path, .. } => ("GET", path.clone()),
            Request::Write { user, add } => {
                (if *add { "POST" } else { "DELETE" }, format!("/api/membership/{user}/{MEMBER_ROLE}"))
            }
        };
        let kind = request.kind();
        let started = Instant::now();
        let (key, generation) = shared.keys.get();
        let mut answer = client.call(method, &path, Some(&key));
        let mut verdict = judge(&request, &answer);
        // A removal cannot tell an unused namespace from the tenant: it is repeated
        // whenever it may have met the rotation.
        let removal = matches!(request, Request::Write { add: false, .. });
        if (matches!(verdict, Verdict::OldKey) || removal)
            && generation == 0
            && shared.keys.phase.load(Ordering::SeqCst) != BEFORE
        {
            tally.retries[kind.index()] += 1;
            match shared.keys.new_key() {
                Some(new_key) => {
                    answer = client.call(method, &path, Some(&new_key));
                    verdict = judge(&request, &answer);
                }
                None => verdict = Verdict::Error("old key, rotation failed".to_owned()),
            }
        }
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        let window = window_of(started.saturating_duration_since(start));
        if tally.windows.len() <= window {
            tally.windows.resize_with(window + 1, Default::default);
            tally.window_errors.resize(window + 1, 0);
        }
        if let Some(samples) = tally.windows.get_mut(window).and_then(|w| w.get_mut(kind.index())) {
            samples.push(micros);
        }
        if !matches!(verdict, Verdict::Fine)
            && let Some(errors) = tally.window_errors.get_mut(window)
        {
            *errors += 1;
        }
        let (write, fine) = (matches!(request, Request::Write { .. }), matches!(verdict, Verdict::Fine));
        match verdict {
            Verdict::Fine => match request {
                Request::Write { add, .. } => {
                    tally.acknowledged += 1;
                    slots[slot].member = add;
                }
                Request::Check { allowed: false, .. } => tally.denied += 1,
                Request::Check { .. } => {}
            },
            Verdict::OldKey => {
                // 401/403, or an unused namespace's answer, where no rotation explains it.
                let cause = match &answer {
                    Ok((status @ (401 | 403), _)) => status.to_string(),
                    Ok((status, _)) => format!("{status} unused-namespace answer"),
                    Err(e) => e.clone(),
                };
                *tally.errors.entry(format!("{} {cause}", kind.name())).or_default() += 1;
            }
            Verdict::Error(cause) => {
                *tally.errors.entry(format!("{} {cause}", kind.name())).or_default() += 1;
            }
        }
        if write && !fine {
            // It may have applied, even after its answer (a 408 leaves the write
            // running): the slot moves on to a user never judged.
            tally.uncertain += 1;
            slots[slot] = Slot { generation: slots[slot].generation + 1, member: false };
        }
    }
    for (at, state) in slots.iter().enumerate() {
        let user = state.user(shared, index, at);
        if state.member { tally.members.push(user) } else { tally.removed.push(user) }
    }
    tally
}

/// The [`WINDOW`] a moment of the run falls in.
fn window_of(elapsed: Duration) -> usize {
    usize::try_from(elapsed.as_secs() / WINDOW.as_secs()).unwrap_or(usize::MAX)
}

/// The rotating thread: waits until `at`, rotates, switches everyone to the new key.
/// Reports when it was sent and answered (seconds into the run), what the server
/// says it migrated, and any error.
fn rotate(shared: &Shared, start: Instant, at: Duration) -> Value {
    std::thread::sleep(at.saturating_sub(start.elapsed()));
    let client = Client::new(&shared.args.url);
    let (key, _) = shared.keys.get();
    shared.keys.phase.store(ROTATING, Ordering::SeqCst);
    let sent = start.elapsed().as_secs_f64();
    let answer = client.call("POST", "/api/keys/rotate", Some(&key));
    let answered = start.elapsed().as_secs_f64();
    let new_key = match &answer {
        Ok((200, body)) => body["data"]["new_key"].as_str().map(str::to_owned),
        _ => None,
    };
    shared.keys.settle(new_key.as_deref());
    let (migrated, error) = match (&answer, &new_key) {
        (Ok((_, body)), Some(_)) => (body["data"]["migrated"].clone(), Value::Null),
        (Ok((status, body)), None) => (Value::Null, format!("{status} {body}").into()),
        (Err(e), _) => (Value::Null, e.clone().into()),
    };
    json!({
        "ok": new_key.is_some(), "sent_at_s": sent, "answered_at_s": answered,
        "migrated": migrated, "error": error,
    })
}

/// p50, p99, p999 and max of sorted microsecond samples, in milliseconds.
fn percentiles(sorted: &[u32]) -> Value {
    let at = |q: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        // Nearest rank: the smallest sample with at least q of the samples at or below it.
        let rank = (q * sorted.len() as f64).ceil() as usize;
        f64::from(sorted.get(rank.clamp(1, sorted.len()) - 1).copied().unwrap_or(0)) / 1000.0
    };
    json!({"p50_ms": at(0.50), "p99_ms": at(0.99), "p999_ms": at(0.999), "max_ms": at(1.0)})
}

/// The acknowledged writes the server contradicts under the final key: members it
/// does not show, and removed users it still shows (each as `+user` or `-user`).
fn lost_writes(
    client: &Client,
    key: &str,
    members: &[String],
    removed: &[String],
) -> Result<Vec<String>, String> {
    let listing = client.must("GET", &format!("/api/members/{MEMBER_ROLE}"), key)?;
    let listed: HashSet<&str> = listing["result"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|row| row["user"].as_str()).collect())
        .unwrap_or_default();
    let expected = members.iter().map(|user| (user, true)).chain(removed.iter().map(|user| (user, false)));
    let mut lost = Vec::new();
    for (user, member) in expected.filter(|(user, member)| listed.contains(user.as_str()) != *member) {
        let body = client.must("GET", &format!("/api/membership/{user}/{MEMBER_ROLE}"), key)?;
        if body["data"]["has_permission"] != Value::Bool(member) {
            lost.push(format!("{}{user}", if member { '+' } else { '-' }));
        }
    }
    Ok(lost)
}

/// The `check` records in the tenant's audit log, once their number stops growing
/// (decision events are written in batches) or reaches `expected`.
fn audit_checks(client: &Client, key: &str, expected: u64) -> Result<u64, String> {
    let mut last = None;
    for _ in 0..60 {
        let body = client.must("GET", "/api/audit?action=check&limit=1", key)?;
        let total = body["data"]["total"].as_u64().unwrap_or(0);
        if total >= expected || last == Some(total) {
            return Ok(total);
        }
        last = Some(total);
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(last.unwrap_or(0))
}

/// The server's audit-queue and decision counters from `/metrics`.
fn server_counters(client: &Client) -> Value {
    let url = format!("{}/metrics", client.base);
    let text = client
        .agent
        .get(&url)
        .call()
        .ok()
        .and_then(|mut response| response.body_mut().read_to_string().ok())
        .unwrap_or_default();
    let counters: serde_json::Map<String, Value> = text
        .lines()
        .filter(|line| {
            line.starts_with("tessera_audit_dropped_total") || line.starts_with("tessera_decisions_total")
        })
        .filter_map(|line| line.rsplit_once(' '))
        .map(|(name, value)| (name.to_owned(), value.parse::<f64>().map_or(Value::Null, Value::from)))
        .collect();
    Value::Object(counters)
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.connections == 0 || args.seconds == 0 {
        eprintln!("load: --connections and --seconds must be positive");
        return ExitCode::from(2);
    }
    if args.rotate_at.is_some_and(|at| at >= args.seconds) {
        eprintln!("load: --rotate-at must fall inside the run (< --seconds)");
        return ExitCode::from(2);
    }
    let setup = Client::new(&args.url);
    let seed_denied = match seed(&setup, &args.key, args.users.max(1)) {
        Ok(denied) => denied,
        Err(e) => {
            eprintln!("load: seeding failed: {e}");
            return ExitCode::from(3);
        }
    };
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let run_id = format!("{:x}", nanos % (1 << 40));
    let shared = Arc::new(Shared { keys: KeyRing::new(&args.key), args, run_id });

    println!("load: timed run started");
    let _ = std::io::stdout().flush();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(shared.args.seconds);
    let rotation = shared.args.rotate_at.map(|at| {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || rotate(&shared, start, Duration::from_secs(at)))
    });
    let mut workers = Vec::with_capacity(shared.args.connections);
    for index in 0..shared.args.connections {
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("load-{index}"))
            .stack_size(256 << 10)
            .spawn(move || worker(&shared, index, start, deadline));
        match spawned {
            Ok(handle) => workers.push(handle),
            Err(e) => {
                eprintln!("load: starting thread {index}: {e}");
                return ExitCode::from(3);
            }
        }
    }
    let mut total = Tally::default();
    let mut panicked = 0_u64;
    for handle in workers {
        match handle.join() {
            Ok(tally) => {
                if total.windows.len() < tally.windows.len() {
                    total.windows.resize_with(tally.windows.len(), Default::default);
                    total.window_errors.resize(tally.windows.len(), 0);
                }
                for (into, from) in total.windows.iter_mut().zip(tally.windows) {
                    for (into, from) in into.iter_mut().zip(from) {
                        into.extend(from);
                    }
                }
                for (into, from) in total.window_errors.iter_mut().zip(tally.window_errors) {
                    *into += from;
                }
                for kind in Kind::ALL {
                    total.retries[kind.index()] += tally.retries[kind.index()];
                }
                for (cause, count) in tally.errors {
                    *total.errors.entry(cause).or_default() += count;
                }
                total.denied += tally.denied;
                total.uncertain += tally.uncertain;
                total.acknowledged += tally.acknowledged;
                total.members.extend(tally.members);
                total.removed.extend(tally.removed);
            }
            Err(_) => panicked += 1,
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    if panicked > 0 {
        *total.errors.entry("load generator thread panicked".to_owned()).or_default() += panicked;
    }
    let rotation = match rotation.map(std::thread::JoinHandle::join) {
        None => Value::Null,
        Some(Ok(report)) => report,
        Some(Err(_)) => json!({"ok": false, "error": "the rotating thread panicked"}),
    };
    if rotation["ok"] == Value::Bool(false) {
        *total.errors.entry("rotate failed".to_owned()).or_default() += 1;
    }

    // Verification, under the key in use at the end.
    let (final_key, _) = shared.keys.get();
    let lost = match lost_writes(&setup, &final_key, &total.members, &total.removed) {
        Ok(lost) => lost,
        Err(e) => {
            eprintln!("load: verifying the acknowledged writes failed: {e}");
            return ExitCode::from(3);
        }
    };
    // Seeding's checks are audited too (on a tenant earlier runs used, so are theirs).
    let denied = total.denied + seed_denied;
    let audit = audit_checks(&setup, &final_key, denied).map_err(|e| eprintln!("load: audit count: {e}"));
    let counters = server_counters(&setup);

    // Per window: requests, errors and p99 per kind, to show a trend the totals hide.
    let mut timeline = Vec::new();
    for (window, kinds) in total.windows.iter_mut().enumerate() {
        let mut entry = json!({
            "from_s": window as u64 * WINDOW.as_secs(),
            "requests": kinds.iter().map(Vec::len).sum::<usize>(),
            "errors": total.window_errors.get(window).copied().unwrap_or(0),
        });
        for kind in Kind::ALL {
            if let Some(samples) = kinds.get_mut(kind.index()).filter(|samples| !samples.is_empty()) {
                samples.sort_unstable();
                entry[format!("{}_p99_ms", kind.name())] = percentiles(samples)["p99_ms"].clone();
            }
        }
        timeline.push(entry);
    }
    let mut kinds = serde_json::Map::new();
    let mut requests = 0_usize;
    for kind in Kind::ALL {
        let mut samples: Vec<u32> = total
            .windows
            .iter_mut()
            .flat_map(|window| window.get_mut(kind.index()).map(std::mem::take).unwrap_or_default())
            .collect();
        if samples.is_empty() {
            continue;
        }
        samples.sort_unstable();
        requests += samples.len();
        let errors: u64 =
            total.errors.iter().filter(|(cause, _)| cause.starts_with(kind.name())).map(|(_, n)| n).sum();
        let mut entry = json!({
            "requests": samples.len(),
            "errors": errors,
            "rotation_retries": total.retries[kind.index()],
            "throughput_per_s": samples.len() as f64 / elapsed,
        });
        if let (Some(object), Value::Object(more)) = (entry.as_object_mut(), percentiles(&samples)) {
            object.extend(more);
        }
        kinds.insert(kind.name().to_owned(), entry);
    }
    let errors: u64 = total.errors.values().sum();
    let report = json!({
        "scenario": format!("{:?}", shared.args.scenario).to_lowercase(),
        "connections": shared.args.connections,
        "seconds": elapsed,
        "writes_percent": shared.args.writes_percent,
        "requests": requests,
        "throughput_per_s": requests as f64 / elapsed,
        "kinds": kinds,
        "errors_total": errors,
        "errors": total.errors,
        "rotation": rotation,
        "acknowledged_writes": total.acknowledged,
        "members_at_end": total.members.len(),
        "writes_with_unknown_outcome": total.uncertain,
        "lost_writes": lost.len(),
        "lost_sample": lost.iter().take(20).collect::<Vec<_>>(),
        "denied_answers": denied,
        "audit_check_records": audit.ok(),
        "server_counters": counters,
        "timeline": timeline,
    });
    if let Some(path) = &shared.args.report {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("load: writing {}: {e}", path.display());
            return ExitCode::from(3);
        }
    }

    let p99 = |kind: Kind| report["kinds"][kind.name()]["p99_ms"].as_f64();
    let mut line = format!(
        "load: requests={requests} throughput={:.0}/s",
        report["throughput_per_s"].as_f64().unwrap_or(0.0)
    );
    for kind in Kind::ALL {
        if let Some(p99) = p99(kind) {
            line.push_str(&format!(" {}_p99_ms={p99:.2}", kind.name()));
        }
    }
    line.push_str(&format!(
        " errors={errors} acknowledged={} lost={} retries={}",
        total.acknowledged,
        lost.len(),
        total.retries.iter().sum::<u64>()
    ));
    if let Some(records) = report["audit_check_records"].as_u64() {
        line.push_str(&format!(" denied={denied} audited={records}"));
    }
    for window in &timeline {
        let mut text =
            format!("load: window from {:>4} s: requests={}", window["from_s"], window["requests"]);
        for kind in Kind::ALL {
            if let Some(p99) = window[format!("{}_p99_ms", kind.name())].as_f64() {
                text.push_str(&format!(" {}_p99_ms={p99:.1}", kind.name()));
            }
        }
        text.push_str(&format!(" errors={}", window["errors"]));
        println!("{text}");
    }
    for (cause, count) in &total.errors {
        println!("load: error {cause}: {count}");
    }
    println!("{line}");
    if errors == 0 && lost.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
