//! The compiled guest is cached on disk: the second start-up reads it instead of
//! compiling, the entry is private to its owner, and an entry that others could have
//! written, or that does not fit the engine, is never loaded.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use tessera_runtime::{ModuleSource, Runtime, RuntimeConfig};

use common::{Fixture, blog_policy};

fn start(fixture: &Fixture, dir: &std::path::Path) -> Runtime {
    let config = RuntimeConfig { cache_dir: Some(dir.to_path_buf()), ..RuntimeConfig::default() };
    Runtime::new(config, fixture.services()).unwrap()
}

fn entry(dir: &std::path::Path) -> PathBuf {
    let entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries.len(), 1, "one cache entry, no temporary files left: {entries:?}");
    entries.into_iter().next().unwrap()
}

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn works(runtime: &Runtime) {
    let mut guest = runtime.guest().unwrap();
    guest.compile_policy(&blog_policy("")).unwrap();
    assert!(guest.can("alice", "posts:edit").unwrap());
}

#[test]
fn the_second_start_reads_the_cache_and_untrusted_entries_are_recompiled() {
    let fixture = Fixture::new();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cache/tessera");

    let first = start(&fixture, &dir);
    assert_eq!(first.module_source(), ModuleSource::Compiled);
    let path = entry(&dir);
    assert_eq!((mode(&dir), mode(&path)), (0o700, 0o600));
    works(&first);

    let second = start(&fixture, &dir);
    assert_eq!(second.module_source(), ModuleSource::Cache);
    works(&second);

    // An entry others can write is not trusted: compiled again, and rewritten privately.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(start(&fixture, &dir).module_source(), ModuleSource::Compiled);
    assert_eq!(mode(&entry(&dir)), 0o600);
    assert_eq!(start(&fixture, &dir).module_source(), ModuleSource::Cache);

    // A corrupt entry is detected by wasmtime's header checks and replaced.
    fs::write(&path, b"not a compiled module").unwrap();
    let repaired = start(&fixture, &dir);
    assert_eq!(repaired.module_source(), ModuleSource::Compiled);
    works(&repaired);
    assert_eq!(start(&fixture, &dir).module_source(), ModuleSource::Cache);
}

#[test]
fn a_cache_directory_others_can_write_is_not_used() {
    let fixture = Fixture::new();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("shared");
    start(&fixture, &dir);
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let runtime = start(&fixture, &dir);
    assert_eq!(runtime.module_source(), ModuleSource::Compiled);
    works(&runtime);
}

#[test]
fn without_a_cache_directory_every_start_compiles() {
    let fixture = Fixture::new();
    let runtime = fixture.runtime(RuntimeConfig::default());
    assert_eq!(runtime.module_source(), ModuleSource::Compiled);
    works(&runtime);
}
