//! A process writing memberships is killed with SIGKILL mid-stream; every write it
//! acknowledged must be there afterwards, and the audit chain must still verify. Runs
//! on SQLite and on PostgreSQL (when TEST_POSTGRES_URL is set).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use tessera_store::{Location, Scope, Store};
use tessera_testkit::db::{TestDb, audit_keyed};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
const CHILD: &str = "TESSERA_CRASH_CHILD_DATABASE";
const ACKS_BEFORE_KILL: usize = 300;
/// What the child prints before the number of each write it acknowledges.
const ACK: &str = "tessera-ack ";

fn url(location: &Location) -> String {
    match location {
        Location::Sqlite(path) => format!("sqlite://{}", path.display()),
        Location::Postgres(url) => url.clone(),
    }
}

fn scope() -> Scope {
    Scope { tenant: TENANT.into(), actor: "crash-test".into() }
}

/// Not a test of its own (hence ignored): the writer the crash test starts as a child
/// process (this test binary, run again with `--ignored` and the database in the
/// environment) and kills.
#[test]
#[ignore = "the crash test's child process"]
fn crash_child_writer() {
    let database = std::env::var(CHILD).expect("started by acknowledged_writes_survive_sigkill");
    let store = Store::open(&Location::parse(&database).unwrap(), audit_keyed(), true).unwrap();
    let mut stdout = std::io::stdout().lock();
    for i in 0.. {
        store.add_member(&scope(), &format!("user-{i}"), "viewer").unwrap();
        // Acknowledged only once the commit has returned.
        writeln!(stdout, "{ACK}{i}").unwrap();
        stdout.flush().unwrap();
    }
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    for db in TestDb::all() {
        let store = db.open(audit_keyed());
        store.create_tenant(Some(TENANT), "crash-test").unwrap();
        store.add_role(&scope(), "viewer", None, &[]).unwrap();
        drop(store);

        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["crash_child_writer", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD, url(&db.location))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Every `ack` line the child printed is an acknowledged write, including those
        // still in the pipe when the signal lands: read to the end, after the kill too.
        let mut acked = Vec::new();
        let mut killed = false;
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            // The test harness prints `test crash_child_writer ... ` without a newline
            // before the test runs, so the first ack shares its line: look for the
            // ack, not for a line that starts with one.
            if let Some((_, i)) = line.rsplit_once(ACK) {
                acked.push(i.parse::<usize>().unwrap());
            }
            if !killed && acked.len() == ACKS_BEFORE_KILL {
                child.kill().unwrap(); // SIGKILL: no destructor, no flush, no rollback runs
                killed = true;
            }
        }
        child.wait().unwrap();
        // Every write from the first is acknowledged once, in order: a lost line would
        // make a landed write look unacknowledged.
        assert_eq!(acked, (0..acked.len()).collect::<Vec<_>>(), "{}: acknowledgements out of order", db.name);
        assert!(
            killed,
            "{}: the writer died after {} acknowledgements, before it was killed",
            db.name,
            acked.len()
        );

        let store = db.open(audit_keyed());
        let (document, _) = store.policy(TENANT).unwrap();
        let users: std::collections::HashSet<&str> =
            document.members.0.iter().map(|(u, _)| u.as_str()).collect();
        for i in &acked {
            assert!(
                users.contains(format!("user-{i}").as_str()),
                "{}: acknowledged write {i} is lost",
                db.name
            );
        }
        // At most the one write in flight when the signal came may also have landed.
        assert!(
            users.len() <= acked.len() + 1,
            "{}: {} users for {} acknowledgements",
            db.name,
            users.len(),
            acked.len()
        );
        let verification = store.audit_verify(TENANT).unwrap();
        assert_eq!(verification.broken, None, "{}", db.name);
        assert_eq!(verification.rows as usize, 2 + users.len());
        document.into_policy().unwrap();
    }
}
