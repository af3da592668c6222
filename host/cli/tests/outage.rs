//! The database goes away under a running `tessera serve` and comes back: decisions
//! and snapshot downloads keep being answered from memory, writes are refused with
//! 503 and change nothing, `/health` says 503, and when the database returns writes
//! work again and the NOTIFY listener reconnects, all without a restart.
//!
//! The test runs its own throw-away PostgreSQL cluster (`initdb` and `pg_ctl`,
//! listening only on a Unix socket in its own directory: no TCP port another process
//! could take between two starts), so stopping it touches no other suite's database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::Server;
use serde_json::json;
use tessera_store::{Scope, Store};
use tessera_testkit::db::TestDb;

const KEY: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

/// A private PostgreSQL cluster, stopped and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// The socket's name is `.s.PGSQL.<port>` in the cluster's own directory.
const PORT: u16 = 5432;

impl Cluster {
    /// `None`, loudly, where PostgreSQL's server programs are not installed.
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| versions.filter_map(Result::ok).map(|v| v.path().join("bin")).max())
            .filter(|bin| bin.join("initdb").exists());
        let Some(bin) = bin else {
            eprintln!("!!! initdb/pg_ctl are not installed: SKIPPING the database outage test !!!");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            // initdb refuses to run as root; the cluster belongs to `postgres`.
            assert!(
                Command::new("chown").args(["postgres:postgres"]).arg(dir.path()).status().unwrap().success()
            );
        }
        let cluster = Self { dir, bin };
        let data = cluster.data();
        let initdb = cluster.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        assert!(initdb.status.success(), "initdb: {}", String::from_utf8_lossy(&initdb.stderr));
        cluster.up();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        let socket_dir = self.dir.path().display().to_string().replace('/', "%2F");
        format!("postgres://postgres@{socket_dir}:{PORT}/postgres")
    }

    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        command.args(args).current_dir(self.dir.path()).output().unwrap()
    }

    fn up(&self) {
        let options = format!("-p {PORT} -k {} -c listen_addresses=''", self.dir.path().display());
        let log = self.dir.path().join("postgres.log").display().to_string();
        let started = self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
        assert!(started.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&started.stdout));
    }

    fn down(&self) {
        let stopped = self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        assert!(stopped.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&stopped.stdout));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Polls `done` for up to `limit`.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn a_database_outage_keeps_decisions_and_refuses_writes_until_it_returns() {
    let Some(cluster) = Cluster::start() else { return };
    let db = TestDb::postgres_at(cluster.url());
    let server = Server::start(&db, &[("RUST_LOG", "info")]);
    for path in ["/api/role/editor", "/api/permission/editor/posts:edit", "/api/membership/alice/editor"] {
        assert_eq!(server.post(path, KEY).status, 200, "{path}");
    }
    let allowed = |user: &str| server.get(&format!("/api/has_permission/{user}/posts:edit"), KEY);
    assert_eq!(allowed("alice").json["data"]["has_permission"], true);
    let snapshot = server.get("/api/snapshot", KEY);
    assert_eq!(snapshot.status, 200);
    let listening = |log: &str| log.matches("listening for changes of other processes").count();
    assert!(eventually(Duration::from_secs(10), || listening(&server.log()) == 1), "{}", server.log());

    cluster.down();
    // Decisions and snapshots come from memory.
    for _ in 0..3 {
        let answer = allowed("alice");
        assert_eq!((answer.status, &answer.json["data"]["has_permission"]), (200, &json!(true)));
    }
    let served = server.get("/api/snapshot", KEY);
    assert_eq!((served.status, served.header("etag")), (200, snapshot.header("etag")));
    assert_eq!(served.bytes, snapshot.bytes);
    // Writes are refused with what is wrong, and /health says so.
    let refused = server.post("/api/role/during-outage", KEY);
    assert_eq!(
        (refused.status, refused.json["error"].as_str()),
        (503, Some("ERR_STORE_UNAVAILABLE")),
        "{}",
        refused.json
    );
    let membership = server.post("/api/membership/bob/editor", KEY);
    assert_eq!(membership.status, 503, "{}", membership.json);
    assert_eq!(server.call("GET", "/health", None, None).status, 503);

    cluster.up();
    // Writes work again without a restart, and the refused ones left nothing behind.
    assert!(eventually(Duration::from_secs(30), || server.post("/api/role/after", KEY).status == 200));
    let roles = server.get("/api/roles", KEY).json["result"].to_string();
    assert!(roles.contains("after") && !roles.contains("during-outage"), "{roles}");
    assert_eq!(allowed("bob").json["data"]["has_permission"], false);
    assert_eq!(server.call("GET", "/health", None, None).status, 200);
    // The listener is back: another process's write reaches this server.
    assert!(eventually(Duration::from_secs(20), || listening(&server.log()) >= 2), "{}", server.log());
    let other = Store::open(&db.location, server.store_keys(), true).unwrap();
    other.add_member(&Scope { tenant: KEY.into(), actor: "other-process".into() }, "bob", "editor").unwrap();
    assert!(eventually(Duration::from_secs(5), || allowed("bob").json["data"]["has_permission"] == true));
    drop(other);
}

/// A small file system of its own, unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    /// `None`, loudly, where this process may not mount one.
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let size = format!("size={megabytes}m");
        let mounted =
            Command::new("mount").args(["-t", "tmpfs", "-o", &size, "tmpfs"]).arg(dir.path()).output();
        if !mounted.is_ok_and(|o| o.status.success()) {
            eprintln!("!!! cannot mount a tmpfs here (not root?): SKIPPING the full-disk test !!!");
            return None;
        }
        Some(Self(dir))
    }

    /// Fills the file system to the last byte.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        while file.write_all(&[0]).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_refuses_writes_applies_nothing_and_recovers() {
    let Some(disk) = SmallDisk::mount(16) else { return };
    let db = TestDb::sqlite_at(disk.0.path().join("tessera.db"));
    let server = Server::start(&db, &[]);
    for path in ["/api/role/editor", "/api/permission/editor/posts:edit", "/api/membership/alice/editor"] {
        assert_eq!(server.post(path, KEY).status, 200, "{path}");
    }
    let allowed = |user: &str| server.get(&format!("/api/has_permission/{user}/posts:edit"), KEY);
    let filler = disk.fill();
    // Enough writes to need new pages in the log, none of which fits.
    let mut refused = 0;
    for i in 0..50 {
        let answer = server.post(&format!("/api/membership/user-{i}/editor"), KEY);
        assert!(matches!(answer.status, 200 | 503), "{} {}", answer.status, answer.json);
        if answer.status == 503 {
            assert_eq!(answer.json["error"], "ERR_STORE_UNAVAILABLE", "{}", answer.json);
            refused += 1;
        }
    }
    assert!(refused > 0, "a full disk refused no write");
    assert_eq!(allowed("alice").json["data"]["has_permission"], true, "decisions go on");
    let acknowledged: Vec<usize> =
        (0..50).filter(|i| allowed(&format!("user-{i}")).json["data"]["has_permission"] == true).collect();

    std::fs::remove_file(filler).unwrap();
    assert!(eventually(Duration::from_secs(10), || server.post("/api/role/after", KEY).status == 200));
    // Every write that was acknowledged is there; none that was refused is.
    let members = server.get("/api/members/editor", KEY).json["result"].to_string();
    for i in 0..50 {
        let present = members.contains(&format!("\"user-{i}\""));
        assert_eq!(present, acknowledged.contains(&i), "user-{i}: {members}");
    }
    let store = Store::open(&db.location, server.store_keys(), true).unwrap();
    assert_eq!(store.audit_verify(KEY).unwrap().broken, None, "the audit chain is whole");
}
