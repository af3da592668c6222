//! Runs the example and checks what it prints.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "test code")]

#[test]
fn the_example_decides_swaps_refuses_a_rollback_and_audits() {
    let cache = std::env::temp_dir().join(format!("tessera-example-cache-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmtime-plugin"))
        .env("XDG_CACHE_HOME", &cache)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&cache);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for line in [
        "revision 1 loaded",
        " alice posts:edit    allow   granted by editor (posts:*)",
        " alice posts:delete  deny    denied by editor (posts:delete)",
        "   bob posts:read    allow   granted by viewer (posts:read)",
        " carol posts:read    deny    unknown_user",
        "reloaded: revision 2",
        " carol posts:read    allow   granted by viewer (posts:read)",
        "rollback refused: ERR_SNAPSHOT_ROLLBACK",
        "audit: check alice posts:delete refused",
        "audit: snapshot.load - unverified refused",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}
