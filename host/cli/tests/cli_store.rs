//! The `tessera` binary over the store, as the README walks a new user through it:
//! init → roles, grants, members → check and query → a signed snapshot → the audit
//! log; on SQLite and on PostgreSQL (when TEST_POSTGRES_URL is set).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tessera_store::Location;
use tessera_testkit::db::TestDb;

/// One user's machine: a data directory and a database.
struct Machine {
    dir: tempfile::TempDir,
    database: String,
    env: Vec<(String, String)>,
}

impl Machine {
    fn new(db: &TestDb) -> Self {
        let database = match &db.location {
            Location::Sqlite(path) => format!("sqlite://{}", path.display()),
            Location::Postgres(url) => url.clone(),
        };
        Self { dir: tempfile::tempdir().unwrap(), database, env: Vec::new() }
    }

    fn with(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("AUTH_")) {
            command.env_remove(name);
        }
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("AUTH_DATA_DIR", self.dir.path())
            .env("AUTH_DATABASE_URL", &self.database)
            .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-cache"))
            .env("AUTH_ACTOR", "cli:tester")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap()
    }

    /// Runs and expects exit code `code`.
    fn expect(&self, code: i32, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "tessera {}\nstdout: {}\nstderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs, expects exit code `code`, returns standard output.
    fn ok(&self, code: i32, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.expect(code, args).stdout).into_owned()
    }

    fn json(&self, code: i32, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(code, &all)).unwrap()
    }

    /// Runs, expects exit code `code`, returns standard error.
    fn stderr(&self, code: i32, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.expect(code, args).stderr).into_owned()
    }
}

fn walkthrough(db: &TestDb) {
    let m = Machine::new(db);
    let init = m.json(0, &["init"]);
    let tenant = init["tenant"].as_str().unwrap().to_owned();
    assert_eq!(init["keys_created"].as_array().unwrap().len(), 3);
    // A second init creates nothing.
    assert_eq!(m.json(0, &["init"])["tenant_created"], false);

    m.ok(0, &["role", "add", "viewer", "--description", "Reads posts"]);
    m.ok(0, &["role", "add", "editor", "--parent", "viewer"]);
    m.ok(0, &["perm", "grant", "viewer", "posts:read"]);
    m.ok(0, &["perm", "grant", "editor", "posts:*"]);
    m.ok(0, &["perm", "deny", "editor", "posts:delete"]);
    m.ok(0, &["member", "add", "alice", "editor"]);
    m.ok(0, &["member", "add", "bob", "viewer"]);
    assert!(m.ok(0, &["member", "add", "bob", "viewer"]).contains("already"));

    // A new tenant is strict (Auth 3.x), and nobody here holds an API key.
    assert_eq!(m.json(0, &["settings"]), serde_json::json!({"strict_users": true}));
    assert_eq!(m.json(1, &["check", "alice", "posts:edit"])["reason"], "user_not_key_backed");
    assert_eq!(
        m.json(0, &["settings", "--strict-users", "false"]),
        serde_json::json!({"strict_users": false})
    );
    assert!(m.ok(0, &["check", "alice", "posts:edit"]).contains("role editor grants posts:*"));
    assert!(m.ok(1, &["check", "alice", "posts:delete"]).contains("deny beats any grant"));
    assert_eq!(m.json(1, &["check", "carol", "posts:read"])["reason"], "unknown_user");
    assert_eq!(m.json(0, &["query", "which-users-can", "posts:read"]), serde_json::json!(["alice", "bob"]));
    assert_eq!(m.json(0, &["query", "user-roles", "alice"]), serde_json::json!(["editor"]));
    assert_eq!(
        m.json(0, &["query", "role-permissions", "editor"]),
        serde_json::json!(["posts:*", "posts:read"])
    );
    assert_eq!(m.json(0, &["role", "list"])[1]["description"], "Reads posts");

    let snapshot = m.path("tenant.snapshot");
    let built = m.json(0, &["snapshot", "build", "--out", snapshot.to_str().unwrap()]);
    assert_eq!(built["revision"], 8);
    assert_eq!(built["tenant"], tenant.as_str());
    let inspected = m.json(0, &["snapshot", "inspect", snapshot.to_str().unwrap()]);
    assert_eq!(
        (inspected["verified"].clone(), inspected["memberships"].clone()),
        (Value::Bool(true), 2.into())
    );

    // Export, then import the export into a second tenant: the same answers.
    let exported = m.path("policy.yaml");
    m.ok(0, &["export", "--out", exported.to_str().unwrap()]);
    let other = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    let text = std::fs::read_to_string(&exported).unwrap().replace(&tenant, other);
    std::fs::write(&exported, text).unwrap();
    assert_eq!(m.json(0, &["import", exported.to_str().unwrap()])["memberships"], 2);
    assert!(m.stderr(2, &["check", "alice", "posts:edit"]).contains("2 tenants"));
    m.ok(0, &["--tenant", other, "settings", "--strict-users", "false"]);
    m.ok(0, &["--tenant", other, "check", "alice", "posts:edit"]);

    let audit = m.json(0, &["--tenant", &tenant, "audit", "query", "--limit", "3"]);
    let actions: Vec<&str> =
        audit.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["snapshot.build", "check", "check"], "denied checks are audited");
    assert_eq!(
        m.json(0, &["--tenant", &tenant, "audit", "query", "--action", "role.add"]).as_array().unwrap().len(),
        2
    );
    let by = m.json(
        0,
        &[
            "--tenant",
            &tenant,
            "audit",
            "query",
            "--actor",
            "cli:tester",
            "--entity-type",
            "membership",
            "--hours",
            "1",
        ],
    );
    assert_eq!(by.as_array().unwrap().len(), 2);
    assert_eq!(m.json(0, &["audit", "verify", "--all"])["intact"], true);

    let token = m.json(0, &["--tenant", &tenant, "token", "issue", "--sub", "alice", "--ttl", "5m"]);
    let token = token["token"].as_str().unwrap();
    assert_eq!(m.json(0, &["token", "verify", token])["sub"], "alice");
    let mut forged = token.to_owned();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(m.stderr(1, &["token", "verify", &forged]).contains("ERR_TOKEN"));
    assert_eq!(
        m.json(0, &["--tenant", &tenant, "audit", "query", "--action", "token.issue"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_new_user_goes_from_init_to_a_signed_snapshot_and_the_audit_log() {
    for db in TestDb::all() {
        walkthrough(&db);
    }
}

#[test]
fn keys_rotate_list_and_retire_and_old_snapshots_still_verify() {
    let db = TestDb::sqlite();
    let m = Machine::new(&db);
    m.ok(0, &["init"]);
    m.ok(0, &["role", "add", "viewer"]);
    let old = m.path("old.snapshot");
    m.ok(0, &["snapshot", "build", "--out", old.to_str().unwrap()]);
    let rotated = m.json(0, &["keys", "rotate", "--kind", "snapshot"]);
    let (new_kid, old_kid) = (rotated["kid"].as_str().unwrap(), rotated["previous"].as_str().unwrap());
    let new = m.path("new.snapshot");
    assert_eq!(m.json(0, &["snapshot", "build", "--out", new.to_str().unwrap()])["signed_by"], new_kid);
    // The old key still verifies until retired.
    assert_eq!(m.json(0, &["snapshot", "inspect", old.to_str().unwrap()])["signed_by"], old_kid);
    let keys = m.json(0, &["keys", "list"]);
    let current: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["current"] == true)
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(current.contains(&new_kid) && !current.contains(&old_kid));
    m.ok(0, &["keys", "retire", old_kid]);
    assert!(
        m.stderr(3, &["snapshot", "inspect", old.to_str().unwrap()]).contains("ERR_SNAPSHOT_UNKNOWN_KEY_ID")
    );
    m.ok(0, &["snapshot", "inspect", new.to_str().unwrap()]);
    let text = m.ok(0, &["keys", "list"]);
    assert!(text.contains("retired") && !text.contains("\"d\""), "{text}");
    let system = m.json(0, &["audit", "query", "--system"]);
    let actions: Vec<&str> =
        system.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["key.retire", "key.rotate", "key.create", "key.create", "key.create"]);
    // A new audit key links the rows after it; the old one still verifies its rows,
    // retired too.
    let old_audit = keys.as_array().unwrap().iter().find(|k| k["kind"] == "audit").unwrap()["kid"].clone();
    m.ok(0, &["keys", "rotate", "--kind", "audit"]);
    m.ok(0, &["keys", "retire", old_audit.as_str().unwrap()]);
    m.ok(0, &["role", "add", "auditor"]);
    assert_eq!(m.json(0, &["audit", "verify", "--all"])["intact"], true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(m.path("keyring.json")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn weak_secrets_are_refused_at_start_with_a_way_out() {
    let db = TestDb::sqlite();
    let weak = Machine::new(&db).with("AUTH_JWT_SECRET_KEY", "changeme");
    let message = weak.stderr(3, &["init"]);
    assert!(
        message.contains("ERR_WEAK_SECRET") && message.contains("tessera keys generate --kind jwt-secret"),
        "{message}"
    );
    assert!(!weak.path("tessera.db").exists(), "nothing is created with a refused setting");
    let debugging = Machine::new(&db).with("AUTH_JWT_SECRET_KEY", "changeme").with("AUTH_DEBUG_MODE", "true");
    assert!(debugging.stderr(0, &["init"]).contains("warning: AUTH_JWT_SECRET_KEY is weak"));
    let tenant = debugging.json(0, &["init"])["tenant"].as_str().unwrap().to_owned();

    // A generated secret is accepted, and signs tokens (HS256) without appearing anywhere.
    let m = Machine::new(&db);
    m.ok(0, &["keys", "generate", "--kind", "jwt-secret", "--out", m.path("jwt.secret").to_str().unwrap()]);
    let secret = std::fs::read_to_string(m.path("jwt.secret")).unwrap().trim().to_owned();
    let m = m.with("AUTH_JWT_SECRET_KEY", &secret);
    // Another machine on the same database: the store holds no client key, so this
    // keyring cannot name the tenant until it is given.
    let unnamed = m.json(0, &["init"]);
    assert_eq!(unnamed["tenant"], Value::Null, "{unnamed}");
    let refused = m.stderr(2, &["token", "issue", "--sub", "alice"]);
    assert!(refused.contains("--tenant"), "{refused}");
    let m = m.with("AUTH_CLIENT_KEY", &tenant);
    m.ok(0, &["init"]);
    let issued = m.ok(0, &["token", "issue", "--sub", "alice"]);
    assert!(!issued.contains(&secret));
    let header = issued.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &<base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode_vec(header).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
    m.ok(0, &["token", "verify", issued.trim()]);
}

#[test]
fn audit_logging_off_warns_and_records_nothing() {
    let db = TestDb::sqlite();
    let m = Machine::new(&db).with("AUTH_ENABLE_AUDIT_LOGGING", "false");
    assert!(m.stderr(0, &["init"]).contains("changes are not recorded"));
    m.ok(0, &["role", "add", "viewer"]);
    assert_eq!(m.json(0, &["audit", "query"]), serde_json::json!([]));
}

/// Whether the test user's id is anywhere in the SQLite file or its WAL.
fn scan(db: &TestDb) -> bool {
    let path = db.sqlite_path().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192, "the database file itself is scanned");
    bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
    bytes.windows(14).any(|w| w == b"secret-user-q4")
}

#[test]
fn encryption_at_rest_reencrypt_and_data_key_retirement() {
    let db = TestDb::sqlite();
    let plain = Machine::new(&db);
    plain.ok(0, &["init"]);
    plain.ok(0, &["role", "add", "viewer"]);
    plain.ok(0, &["member", "add", "secret-user-q4", "viewer"]);
    // Encryption switched on: `init` adds a data key, `reencrypt` seals the old rows.
    assert!(scan(&db), "the plaintext is there before");
    let m = Machine {
        dir: plain.dir,
        database: plain.database,
        env: vec![("AUTH_ENABLE_ENCRYPTION".into(), "true".into())],
    };
    assert_eq!(m.json(0, &["init"])["keys_created"].as_array().unwrap().len(), 1);
    let moved = m.json(0, &["reencrypt", "--batch", "2"]);
    assert!(moved["key_id"].as_str().unwrap().starts_with("aes-"));
    // secure_delete: the overwritten plaintext does not linger in free pages.
    assert!(!scan(&db), "plaintext left after reencrypt");
    assert_eq!(m.json(0, &["query", "role-members", "viewer"]), serde_json::json!(["secret-user-q4"]));
    // Rotation: a new data key, rows moved, the old one retired; still readable.
    let old = moved["key_id"].as_str().unwrap().to_owned();
    m.ok(0, &["keys", "rotate", "--kind", "data"]);
    assert!(m.stderr(3, &["keys", "retire", &old]).contains("ERR_KEY_IN_USE"));
    m.ok(0, &["reencrypt"]);
    m.ok(0, &["keys", "retire", &old]);
    assert_eq!(m.json(0, &["query", "role-members", "viewer"]), serde_json::json!(["secret-user-q4"]));
    assert_eq!(m.json(0, &["audit", "verify", "--all"])["intact"], true);
}

#[test]
fn every_command_has_help() {
    let db = TestDb::sqlite();
    let m = Machine::new(&db);
    let commands: &[&[&str]] = &[
        &[],
        &["init"],
        &["role"],
        &["role", "add"],
        &["role", "del"],
        &["role", "list"],
        &["perm"],
        &["perm", "grant"],
        &["perm", "revoke"],
        &["perm", "deny"],
        &["member"],
        &["member", "add"],
        &["member", "del"],
        &["check"],
        &["query"],
        &["import"],
        &["export"],
        &["snapshot"],
        &["snapshot", "build"],
        &["snapshot", "inspect"],
        &["keys"],
        &["keys", "generate"],
        &["keys", "list"],
        &["keys", "rotate"],
        &["keys", "retire"],
        &["keys", "public"],
        &["token"],
        &["token", "issue"],
        &["token", "verify"],
        &["apikey"],
        &["apikey", "create"],
        &["apikey", "list"],
        &["apikey", "revoke"],
        &["audit"],
        &["audit", "query"],
        &["audit", "verify"],
        &["reencrypt"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let help = m.ok(0, &args);
        assert!(help.contains("Usage: tessera"), "{command:?}: {help}");
    }
    assert!(m.stderr(2, &["role", "add"]).contains("NAME"));
    assert!(m.stderr(2, &["query", "nonsense", "x"]).contains("invalid value"));
}

#[test]
fn the_store_walkthrough_example_runs() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/store-walkthrough/run.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_tessera"))
        .env("XDG_CACHE_HOME", Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-cache"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("store walkthrough complete") && stdout.contains("intact, 12 rows"), "{stdout}");
}

#[test]
fn a_dot_env_file_fills_in_settings_the_environment_does_not_set() {
    let db = TestDb::sqlite();
    let m = Machine::new(&db);
    std::fs::write(m.path(".env"), "AUTH_JWT_SECRET_KEY=changeme\n").unwrap();
    assert!(m.stderr(3, &["init"]).contains("ERR_WEAK_SECRET"));
    // The real environment wins over the file.
    let m = m.with("AUTH_DEBUG_MODE", "true");
    assert!(m.stderr(0, &["init"]).contains("accepted only because AUTH_DEBUG_MODE=true"));
    // A malformed line is located, never repeated: it may hold a secret.
    std::fs::write(m.path(".env"), "AUTH_DEBUG_MODE=true\nAUTH_JWT_SECRET_KEY=s3cr3t-value with spaces\n")
        .unwrap();
    let said = m.stderr(3, &["role", "list"]);
    assert!(said.contains("error[ERR_SETTING]: .env: malformed at line 2"), "{said}");
    assert!(!said.contains("s3cr3t-value"), "{said}");
}
