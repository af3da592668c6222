//! `tessera keys generate|public|list|rotate|retire`.

use std::path::Path;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{GenerateKind, KeysCommand};
use crate::error::CliError;
use crate::files;
use crate::{Context, now};
use tessera_store::keyring::{KeyKind, Keyring, KeyringError, new_key};
use tessera_store::{Entry, SYSTEM_TENANT, StoreError};

pub(super) fn run(ctx: &Context, command: KeysCommand) -> Result<u8, CliError> {
    match command {
        KeysCommand::Generate { out, kind, force } => generate(ctx, &out, kind, force),
        KeysCommand::Public { keyfile } => public(&keyfile),
        KeysCommand::List => list(ctx),
        KeysCommand::Rotate { kind } => rotate(ctx, kind),
        KeysCommand::Retire { kid } => retire(ctx, &kid),
    }
}

/// Writes a fresh key to its own file; the secret is never printed.
fn generate(ctx: &Context, path: &Path, kind: GenerateKind, force: bool) -> Result<u8, CliError> {
    let (kid, secret, usage) = match kind {
        GenerateKind::Snapshot => {
            let (kid, jwk) = new_key(KeyKind::Snapshot)?;
            (kid, jwk, "a snapshot-signing key (pass it with --key)")
        }
        GenerateKind::Data => {
            let (kid, text) = new_key(KeyKind::Data)?;
            (
                kid,
                Zeroizing::new(format!("{}\n", text.as_str())),
                "a data key: AUTH_ENCRYPTION_KEY=\"$(cat FILE)\"",
            )
        }
        GenerateKind::JwtSecret => {
            let mut bytes = Zeroizing::new([0u8; 64]);
            getrandom::fill(bytes.as_mut()).map_err(|e| KeyringError::Randomness(e.to_string()))?;
            let text = Zeroizing::new(format!("{}\n", Base64UrlUnpadded::encode_string(bytes.as_ref())));
            let kid = tessera_store::keyring::hmac_signer(text.trim())?.kid().to_owned();
            (kid, text, "a token secret: AUTH_JWT_SECRET_KEY=\"$(cat FILE)\"")
        }
    };
    files::write_secret(path, &secret, force)?;
    ctx.out.print(
        &json!({"kid": kid, "file": path}),
        &format!("wrote {usage}, key id {kid}, to {} (mode 0600)", path.display()),
    );
    Ok(0)
}

/// Prints JSON with or without `--json`: the JWK is what a loader or key set takes.
fn public(path: &Path) -> Result<u8, CliError> {
    let jwk = files::read_key(path)?.verifying_key().to_jwk();
    println!("{jwk}");
    Ok(0)
}

fn list(ctx: &Context) -> Result<u8, CliError> {
    let keyring = ctx.keyring()?;
    let keys = keyring.list();
    let text: Vec<String> = keys
        .iter()
        .map(|k| {
            let state = match (k.retired, k.current) {
                (Some(_), _) => "retired",
                (None, true) => "current",
                (None, false) => "active (verifies and decrypts only)",
            };
            format!("{:<10} {}  {state}", k.kind, k.kid)
        })
        .collect();
    let text = if text.is_empty() {
        format!("{} holds no keys: run `tessera init`", keyring.path().display())
    } else {
        text.join("\n")
    };
    ctx.out.print(&json!(keys), &text);
    Ok(0)
}

/// Saves the changed keyring and records the change; if the audit row cannot be
/// written, the keyring file is put back as it was (a key change is never unrecorded).
fn save_recorded(ctx: &Context, keyring: &Keyring, entry: &Entry) -> Result<(), CliError> {
    let store = ctx.store()?;
    let path = keyring.path();
    let before = std::fs::read_to_string(path).ok().map(Zeroizing::new);
    keyring.save()?;
    if let Err(error) = store.record(SYSTEM_TENANT, Some(&ctx.actor()), entry) {
        match before {
            Some(text) => files::write_secret_atomic(path, &text)?,
            None => {
                std::fs::remove_file(path).map_err(|source| CliError::Io { path: path.to_owned(), source })?
            }
        }
        return Err(error.into());
    }
    Ok(())
}

fn rotate(ctx: &Context, kind: KeyKind) -> Result<u8, CliError> {
    let mut keyring = ctx.keyring()?;
    let previous = keyring.list().into_iter().find(|k| k.current && k.kind == kind.name()).map(|k| k.kid);
    let kid = keyring.generate(kind, now())?;
    let entry =
        Entry::new("key.rotate", "key", kid.as_str(), json!({"kind": kind.name(), "previous": previous}));
    save_recorded(ctx, &keyring, &entry)?;
    let note = match kind {
        KeyKind::Data if !ctx.settings()?.encryption_keys.is_empty() => {
            "; note: AUTH_ENCRYPTION_KEY is set and its first key stays the one that encrypts"
        }
        KeyKind::Data => "; run `tessera reencrypt` to move stored rows to it",
        _ => "",
    };
    ctx.out.print(
        &json!({"kid": kid, "kind": kind.name(), "previous": previous}),
        &format!("new current {} key {kid}{note}", kind.name()),
    );
    Ok(0)
}

fn retire(ctx: &Context, kid: &str) -> Result<u8, CliError> {
    let mut keyring = ctx.keyring()?;
    if keyring.kind_of(kid) == Some(KeyKind::Data) {
        let rows = ctx.store()?.rows_using(kid)?;
        if rows > 0 {
            return Err(StoreError::KeyInUse { kid: kid.to_owned(), rows }.into());
        }
    }
    let kind = keyring.retire(kid, now())?;
    let entry = Entry::new("key.retire", "key", kid, json!({"kind": kind.name()}));
    save_recorded(ctx, &keyring, &entry)?;
    ctx.out.print(&json!({"kid": kid, "retired": true}), &format!("retired {} key {kid}", kind.name()));
    Ok(0)
}
