//! Reading and writing the files the CLI works with: policy documents (YAML or JSON),
//! key files (JWK), snapshots.

use std::fs;
use std::io::Write;
use std::path::Path;

use tessera_core::{PolicyDocument, SigningKey, VerifyingKey};
use tessera_store::keyring::key_file;
use zeroize::Zeroizing;

use crate::error::CliError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io { path: path.to_path_buf(), source }
}

/// Reads any file whole.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    fs::read(path).map_err(io(path))
}

/// Reads a policy document. JSON when the text starts with `{`, YAML otherwise; both
/// refuse unknown fields.
pub(crate) fn read_policy(path: &Path) -> Result<PolicyDocument, CliError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    parse_policy(&text)
}

/// Parses a policy document from JSON or YAML text.
pub(crate) fn parse_policy(text: &str) -> Result<PolicyDocument, CliError> {
    if text.trim_start().starts_with('{') {
        return Ok(PolicyDocument::from_json(text)?);
    }
    Ok(PolicyDocument::read(serde_yaml_ng::Deserializer::from_str(text))?)
}

/// A key file: a private signing key, or only the public half.
pub(crate) enum KeyFile {
    /// Holds `d`.
    Private(SigningKey),
    /// Public JWK.
    Public(VerifyingKey),
}

impl KeyFile {
    /// The public key, whichever the file held.
    pub(crate) fn verifying_key(&self) -> VerifyingKey {
        match self {
            Self::Private(key) => key.verifying_key(),
            Self::Public(key) => key.clone(),
        }
    }
}

/// Reads a JWK key file. A private key file readable by group or others is refused,
/// as ssh does: a leaked signing key lets anyone issue policy.
pub(crate) fn read_key(path: &Path) -> Result<KeyFile, CliError> {
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io(path))?);
    let is_private =
        serde_json::from_str::<serde_json::Value>(&text).map(|v| v.get("d").is_some()).unwrap_or(false);
    if !is_private {
        return Ok(KeyFile::Public(VerifyingKey::from_jwk(&text)?));
    }
    key_file::check_private_mode(path)?;
    Ok(KeyFile::Private(SigningKey::from_jwk(&text)?))
}

/// Reads a key file that must hold a private signing key.
pub(crate) fn read_signing_key(path: &Path) -> Result<SigningKey, CliError> {
    match read_key(path)? {
        KeyFile::Private(key) => Ok(key),
        KeyFile::Public(_) => Err(CliError::Usage(format!(
            "{} holds a public key; signing needs the private key file from `tessera keys generate`",
            path.display()
        ))),
    }
}

/// Writes secret text to a file only its owner can read; refuses to overwrite unless
/// `overwrite`.
pub(crate) fn write_secret(path: &Path, contents: &str, overwrite: bool) -> Result<(), CliError> {
    Ok(key_file::write_private(path, contents, overwrite)?)
}

/// Writes a file atomically: a temporary file beside it, synced, then renamed, so a
/// crash never leaves a half-written snapshot under the final name.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), CliError> {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(contents).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}

/// Replaces a file of secrets atomically (mode 0600).
pub(crate) fn write_secret_atomic(path: &Path, contents: &str) -> Result<(), CliError> {
    Ok(key_file::replace_private(path, contents)?)
}
