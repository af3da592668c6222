#![allow(clippy::expect_used, reason = "a build script: a missing cargo variable must stop the build loudly")]

//! Builds the guest module (`wasm/guest`, the core for wasm32) and leaves it in
//! `OUT_DIR` for `include_bytes!`, so `tessera-runtime` (and every program built on
//! it, the `tessera` binary too) carries its engine.
//!
//! The guest is built by a nested cargo in its own target directory (beside the
//! outer one), so the two builds never wait on each other's lock and the guest's
//! features never merge with the host's.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "guest-release";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .and_then(Path::parent)
        .expect("host/runtime/ sits two levels below the workspace root")
        .to_path_buf();
    for watched in ["core/src", "core/Cargo.toml", "wasm/abi", "wasm/guest", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=TESSERA_GUEST_WASM");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("tessera_guest.wasm");
    // A prebuilt guest (e.g. one a packager built and optimized) can be supplied instead.
    if let Some(prebuilt) = env::var_os("TESSERA_GUEST_WASM") {
        std::fs::copy(&prebuilt, &out).unwrap_or_else(|e| panic!("copying TESSERA_GUEST_WASM: {e}"));
        return;
    }
    let target_dir = guest_target_dir(&workspace);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--locked", "-p", "tessera-guest", "--target", TARGET, "--profile", PROFILE])
        .arg("--target-dir")
        .arg(&target_dir);
    // What the outer build sets for itself must not leak into the guest's: clippy's
    // wrapper, the host's rustflags, and the outer profile's settings.
    for name in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        command.env_remove(name);
    }
    for (name, _) in env::vars_os() {
        if name.to_string_lossy().starts_with("CARGO_PROFILE_") {
            command.env_remove(name);
        }
    }
    let status = command.status().expect("running cargo to build the guest");
    if !status.success() {
        panic!(
            "building the wasm guest failed (is the target installed? `rustup target add {TARGET}`; \
             scripts/setup.sh does it)"
        );
    }
    let built = target_dir.join(TARGET).join(PROFILE).join("tessera_guest.wasm");
    std::fs::copy(&built, &out).unwrap_or_else(|e| panic!("copying {}: {e}", built.display()));
}

/// `<outer target dir>/guest`, so it follows CARGO_TARGET_DIR. The outer target dir
/// is the nearest ancestor of OUT_DIR holding cargo's `CACHEDIR.TAG`.
fn guest_target_dir(workspace: &Path) -> PathBuf {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map_or_else(|| workspace.join("target"), Path::to_path_buf)
        .join("guest")
}
