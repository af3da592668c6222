//! The compiled guest, cached on disk so start-up does not recompile it every run.
//!
//! A cache file is named by a hash of the module bytes and of everything in the
//! engine's configuration that affects compiled code, so a new guest, a new wasmtime
//! or other settings never pick up a stale file. It is written to a temporary file and
//! renamed into place (a crash leaves no half-written entry), with mode 0600 inside a
//! directory of mode 0700.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// How the module was obtained, for start-up logs and benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// Read from the on-disk cache.
    Cache,
    /// Compiled now (and written to the cache, if one is configured).
    Compiled,
}

/// Loads the compiled module for `wasm` from `dir`, or compiles it and stores it there.
/// A cache that cannot be read or written is logged and skipped, never fatal.
pub(crate) fn load_or_compile(
    engine: &Engine,
    wasm: &[u8],
    dir: Option<&Path>,
) -> wasmtime::Result<(Module, ModuleSource)> {
    let Some(dir) = dir else {
        return Ok((Module::new(engine, wasm)?, ModuleSource::Compiled));
    };
    let path = entry_path(engine, wasm, dir);
    if let Some(module) = read_entry(engine, &path) {
        return Ok((module, ModuleSource::Cache));
    }
    let module = Module::new(engine, wasm)?;
    if let Err(e) = write_entry(&module, dir, &path) {
        tracing::warn!(cache = %dir.display(), error = %e, "could not write the compiled guest to the cache");
    }
    Ok((module, ModuleSource::Compiled))
}

fn entry_path(engine: &Engine, wasm: &[u8], dir: &Path) -> PathBuf {
    let module_hash = Sha256::digest(wasm);
    let mut config = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut config);
    let module: String = module_hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("tessera-guest-{module}-{:016x}.cwasm", config.finish()))
}

/// Whether a cache path is ours alone: not writable by group or others.
fn private(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o022 == 0)
}

fn read_entry(engine: &Engine, path: &Path) -> Option<Module> {
    if !path.exists() {
        return None;
    }
    if !private(path) || !path.parent().is_some_and(private) {
        tracing::warn!(path = %path.display(), "ignoring a cached guest that others can write");
        return None;
    }
    // SAFETY: `deserialize_file` trusts the file to be wasmtime's own output for this
    // engine: it checks the header, version and configuration, but not the machine code.
    // The file is one this module wrote (named by the hash of the module and of the
    // engine configuration, renamed into place whole) in a directory only the owner
    // can write, and a file or directory others could have written is refused above.
    #[allow(unsafe_code, reason = "the reviewed cache read described above")]
    let module = unsafe { Module::deserialize_file(engine, path) };
    match module {
        Ok(module) => Some(module),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "recompiling: the cached guest does not fit this engine");
            None
        }
    }
}

fn write_entry(module: &Module, dir: &Path, path: &Path) -> std::io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let bytes = module.serialize().map_err(std::io::Error::other)?;
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file =
        fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

/// `$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`.
pub(crate) fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("tessera"))
}
