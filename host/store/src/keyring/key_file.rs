//! Files of private keys (the keyring, and the key files `tessera keys` writes):
//! read only when no one else can read them, written with mode 0600 from the moment
//! they exist, replaced atomically (a crash never leaves half a file), their
//! directory created 0700.

use std::fs;
use std::io::Write;
use std::path::Path;

use zeroize::Zeroizing;

use super::KeyringError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyringError + '_ {
    move |source| KeyringError::Io { path: path.to_path_buf(), source }
}

/// Reads a file of secrets, refusing one readable by group or others (as ssh does).
pub fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyringError> {
    check_private_mode(path)?;
    fs::read(path).map(Zeroizing::new).map_err(io(path))
}

/// Refuses a file readable by group or others.
#[cfg(unix)]
pub fn check_private_mode(path: &Path) -> Result<(), KeyringError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path).map_err(io(path))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyringError::TooOpen { path: path.to_path_buf(), mode });
    }
    Ok(())
}

/// Refuses a file readable by group or others.
#[cfg(not(unix))]
pub fn check_private_mode(_path: &Path) -> Result<(), KeyringError> {
    Ok(())
}

/// Writes secret text to a file only its owner can read (mode 0600 from the moment
/// it exists), synced. Refuses to overwrite an existing file unless `overwrite`.
pub fn write_private(path: &Path, contents: &str, overwrite: bool) -> Result<(), KeyringError> {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(contents.as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// Replaces a file of secrets atomically: a temporary file of mode 0600 beside it,
/// synced, then renamed. Its directory is created with mode 0700 if missing.
pub fn replace_private(path: &Path, contents: &str) -> Result<(), KeyringError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(io(dir))?;
    }
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let _ = fs::remove_file(&tmp);
    write_private(&tmp, contents, false)?;
    fs::rename(&tmp, path).map_err(io(path))
}
