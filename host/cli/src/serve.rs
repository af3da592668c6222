//! `tessera serve`: creates what a first start needs (database, snapshot and token
//! keys) and runs the HTTP API until Ctrl-C or SIGTERM.

use std::sync::Arc;

use tracing_subscriber::EnvFilter;

use crate::Context;
use crate::args::ServeArgs;
use crate::error::CliError;
use tessera_server::settings::Settings;
use tessera_server::{ServeOptions, TlsFiles, TokenKeys, serve};
use tessera_store::keyring::{Keyring, hmac_jwk, hmac_signer};

pub(super) fn run(ctx: &Context, args: &ServeArgs) -> Result<u8, CliError> {
    init_logging(args.log_format.as_deref());
    let (keyring, created) = crate::init::ensure_keys(ctx)?;
    for kid in &created {
        tracing::info!(kid, "created key");
    }
    let snapshot_key = keyring.snapshot_signer()?.ok_or_else(|| {
        CliError::Usage("the keyring has no snapshot key; run `tessera keys rotate --kind snapshot`".into())
    })?;
    let trusted_snapshot_keys = keyring.snapshot_keys()?;
    let store = Arc::clone(ctx.store()?);
    let settings = Settings::from_env()?;
    let tokens = token_keys(&keyring, &settings)?;
    let tls = args.tls_cert.clone().zip(args.tls_key.clone()).map(|(cert, key)| TlsFiles { cert, key });
    let snapshot_encryption = if settings.snapshot_encryption { Some(ctx.current_data_key()?) } else { None };
    let options = ServeOptions {
        bind: args.bind,
        settings,
        store,
        snapshot_key,
        trusted_snapshot_keys,
        tokens,
        tls,
        snapshot_encryption,
    };
    serve(options)?;
    Ok(0)
}

/// Tokens are signed with HS256 when AUTH_JWT_SECRET_KEY is set (as in Auth), else
/// with the keyring's current EdDSA or ES256 key; every active key verifies.
fn token_keys(keyring: &Keyring, settings: &Settings) -> Result<TokenKeys, CliError> {
    let mut verifiers = keyring.token_keys()?;
    let public = keyring.token_public_jwks()?;
    let mut guest: Vec<String> = public.iter().map(serde_json::Value::to_string).collect();
    let signer = match &settings.jwt_secret {
        Some(secret) => {
            let signer = hmac_signer(secret)?;
            verifiers.add(signer.verification_key())?;
            guest.push(hmac_jwk(secret)?.to_string());
            signer
        }
        None => keyring.token_signer()?.ok_or_else(|| {
            CliError::Usage("no token key: run `tessera keys rotate --kind jwt-eddsa`".into())
        })?,
    };
    let guest_jwks = zeroize::Zeroizing::new(format!(r#"{{"keys":[{}]}}"#, guest.join(",")));
    Ok(TokenKeys { signer, verifiers, public_jwks: serde_json::json!({ "keys": public }), guest_jwks })
}

/// JSON lines on stderr (`--log-format text` for people); `RUST_LOG` filters
/// (default `info`).
fn init_logging(format: Option<&str>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        Some("text") => builder.try_init(),
        _ => builder.json().flatten_event(true).try_init(),
    };
}
