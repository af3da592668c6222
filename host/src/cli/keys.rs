//! `tessera keys generate|public`.

use std::path::Path;

use serde_json::json;
use tessera_core::SigningKey;

use super::Output;
use crate::{CliError, files};

pub(super) fn generate(out: &Output, path: &Path, force: bool) -> Result<u8, CliError> {
    let key = SigningKey::generate()?;
    files::write_secret(path, &key.to_private_jwk(), force)?;
    out.print(
        &json!({"kid": key.kid(), "file": path}),
        &format!("wrote signing key {} to {} (mode 0600)", key.kid(), path.display()),
    );
    Ok(0)
}

/// Prints JSON with or without `--json`: the JWK is what a loader or key set takes.
pub(super) fn public(path: &Path) -> Result<u8, CliError> {
    let jwk = files::read_key(path)?.verifying_key().to_jwk();
    println!("{jwk}");
    Ok(0)
}
