//! The `tessera` binary as a user runs it: files, exit codes, messages.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const POLICY: &str = "\
tenant: 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b
roles:
  viewer: { grants: [posts:read] }
  editor: { parents: [viewer], grants: ['posts:*'], denies: [posts:delete] }
members:
  alice: [editor]
";

/// Where the CLI under test caches the compiled guest: inside the target dir, not ~/.cache.
fn cache_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-cache")
}

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env_remove("AUTH_ENCRYPTION_KEY")
        .env("XDG_CACHE_HOME", cache_dir())
        // No keyring or database of the user's is ever looked at.
        .env("AUTH_DATA_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-data"))
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

struct Setup {
    _dir: tempfile::TempDir,
    key: PathBuf,
    snapshot: PathBuf,
    path: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let key = path.join("signing.jwk");
    let policy = path.join("policy.yaml");
    let snapshot = path.join("policy.snapshot");
    std::fs::write(&policy, POLICY).unwrap();
    let out = tessera(&["keys", "generate", "--out", key.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = tessera(&[
        "snapshot",
        "build",
        policy.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--out",
        snapshot.to_str().unwrap(),
        "--revision",
        "7",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    Setup { _dir: dir, key, snapshot, path }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[cfg(unix)]
#[test]
fn generated_key_files_are_private_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let setup = setup();
    let mode = std::fs::metadata(&setup.key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = tessera(&["keys", "generate", "--out", s(&setup.key)]);
    assert_eq!(again.status.code(), Some(3));
    assert!(stderr(&again).contains("ERR_IO"), "{}", stderr(&again));

    std::fs::set_permissions(&setup.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = tessera(&["keys", "public", s(&setup.key)]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("ERR_KEY_FILE_TOO_OPEN"), "{}", stderr(&out));
}

#[test]
fn public_key_has_no_private_part_and_verifies_snapshots() {
    let setup = setup();
    let out = tessera(&["keys", "public", s(&setup.key)]);
    assert_eq!(out.status.code(), Some(0));
    let jwk: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert!(jwk.get("d").is_none());
    let public = setup.path.join("public.jwk");
    std::fs::write(&public, stdout(&out)).unwrap();

    let out =
        tessera(&["--json", "snapshot", "inspect", s(&setup.snapshot), "--key", s(&public), "--policy"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(info["verified"], true);
    assert_eq!(info["revision"], 7);
    assert_eq!(info["signed_by"], jwk["kid"]);
    assert_eq!(info["policy"]["members"]["alice"][0], "editor");
}

#[test]
fn check_exit_codes_and_reasons() {
    let setup = setup();
    let check = |user: &str, perm: &str| {
        tessera(&["check", "--snapshot", s(&setup.snapshot), "--key", s(&setup.key), user, perm])
    };
    let out = check("alice", "posts:edit");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("role editor grants posts:*"), "{}", stdout(&out));
    let out = check("alice", "posts:delete");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("role editor denies posts:delete"), "{}", stdout(&out));
    assert_eq!(check("mallory", "posts:read").status.code(), Some(1));
    let out = check("al ice", "posts:read");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ERR_INVALID_IDENTIFIER"));

    let out = tessera(&[
        "check",
        "--json",
        "--snapshot",
        s(&setup.snapshot),
        "--key",
        s(&setup.key),
        "alice",
        "posts:read",
    ]);
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(answer["allowed"], true);
    assert_eq!(answer["reason"], "granted");
    assert_eq!(answer["role"], "viewer");
    assert_eq!(answer["pattern"], "posts:read");
    assert_eq!(answer["snapshot"]["revision"], 7);
}

#[test]
fn tampered_or_foreign_snapshots_are_refused() {
    let setup = setup();
    let mut bytes = std::fs::read(&setup.snapshot).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let tampered = setup.path.join("tampered.snapshot");
    std::fs::write(&tampered, &bytes).unwrap();
    let out = tessera(&[
        "--json",
        "check",
        "--snapshot",
        s(&tampered),
        "--key",
        s(&setup.key),
        "alice",
        "posts:read",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let error: serde_json::Value = serde_json::from_str(&stderr(&out)).unwrap();
    assert!(error["error"]["code"].as_str().unwrap().starts_with("ERR_SNAPSHOT_"), "{error}");

    let other = setup.path.join("other.jwk");
    assert_eq!(tessera(&["keys", "generate", "--out", s(&other)]).status.code(), Some(0));
    let out =
        tessera(&["check", "--snapshot", s(&setup.snapshot), "--key", s(&other), "alice", "posts:read"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("ERR_SNAPSHOT_UNKNOWN_KEY_ID"), "{}", stderr(&out));
}

#[test]
fn bad_policy_files_name_the_problem_and_write_nothing() {
    let setup = setup();
    let cases = [
        (
            "typo.yaml",
            "tenant: 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b\nroles:\n  viewer: { grant: [x] }\n",
            "ERR_POLICY_DOCUMENT",
        ),
        (
            "dup.yaml",
            "tenant: 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b\nroles:\n  a: {}\n  a: {}\n",
            "ERR_POLICY_DUPLICATE",
        ),
        (
            "cycle.json",
            r#"{"tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b", "roles": {"a": {"parents": ["b"]}, "b": {"parents": ["a"]}}}"#,
            "a -> b -> a",
        ),
        (
            "parent.yaml",
            "tenant: 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b\nroles:\n  a: { parents: [ghost] }\n",
            "ERR_POLICY_UNKNOWN_PARENT",
        ),
    ];
    for (name, text, expected) in cases {
        let policy = setup.path.join(name);
        std::fs::write(&policy, text).unwrap();
        let out_file = setup.path.join(format!("{name}.snapshot"));
        let out = tessera(&["snapshot", "build", s(&policy), "--key", s(&setup.key), "--out", s(&out_file)]);
        assert_eq!(out.status.code(), Some(3), "{name}");
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert!(!out_file.exists(), "{name}: a refused policy must write no snapshot");
    }
}

#[test]
fn encrypted_snapshots_need_the_data_key() {
    let setup = setup();
    let encrypted = setup.path.join("enc.snapshot");
    let policy = setup.path.join("policy.yaml");
    let key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    let run = |args: &[&str], data_key: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        cmd.args(args)
            .env_remove("AUTH_ENCRYPTION_KEY")
            .env("XDG_CACHE_HOME", cache_dir())
            .env("AUTH_DATA_DIR", &setup.path);
        if let Some(k) = data_key {
            cmd.env("AUTH_ENCRYPTION_KEY", k);
        }
        cmd.output().unwrap()
    };
    let out = run(
        &["snapshot", "build", s(&policy), "--key", s(&setup.key), "--out", s(&encrypted), "--encrypt"],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "no key is a usage error: {}", stderr(&out));
    let out = run(
        &["snapshot", "build", s(&policy), "--key", s(&setup.key), "--out", s(&encrypted), "--encrypt"],
        Some(key),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let check = ["check", "--snapshot", s(&encrypted), "--key", s(&setup.key), "alice", "posts:read"];
    let out = run(&check, None);
    assert!(stderr(&out).contains("ERR_SNAPSHOT_UNKNOWN_DECRYPTION_KEY"), "{}", stderr(&out));
    assert_eq!(run(&check, Some(key)).status.code(), Some(0));
    // A rotated list (newest first) still decrypts with the older key in it.
    let newer = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    assert_eq!(run(&check, Some(&format!("{newer},{key}"))).status.code(), Some(0));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(tessera(&["check"]).status.code(), Some(2));
    assert_eq!(
        tessera(&["snapshot", "build", "x", "--key", "k", "--out", "o", "--ttl", "5 minutes"]).status.code(),
        Some(2)
    );
    let help = tessera(&["snapshot", "build", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("--ttl"));
}

/// Runs `examples/<name>/run.sh` with this build's binary; its output, once it succeeded.
fn run_example(name: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/{name}/run.sh"));
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_tessera"))
        .env("XDG_CACHE_HOME", cache_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    stdout(&out)
}

#[test]
fn the_shared_drive_example_runs() {
    let out = run_example("shared-drive");
    assert!(out.contains("shared drive complete"));
    assert!(out.contains("rule owners-manage-their-documents permits it"));
}

#[test]
fn the_walkthrough_example_runs() {
    assert!(run_example("cli-walkthrough").contains("walkthrough complete"));
}
