//! `tessera serve`: creates what a first start needs (database, snapshot and token
//! keys) and runs the HTTP API until Ctrl-C or SIGTERM.

use std::sync::Arc;

use tracing_subscriber::EnvFilter;

use super::{Context, ServeArgs};
use crate::CliError;
use crate::server::{ServeOptions, serve};

pub(super) fn run(ctx: &Context, args: &ServeArgs) -> Result<u8, CliError> {
    init_logging(args.log_format.as_deref());
    let (keyring, created) = super::init::ensure_keys(ctx)?;
    for kid in &created {
        tracing::info!(kid, "created key");
    }
    let snapshot_key = keyring.snapshot_signer()?.ok_or_else(|| {
        CliError::Usage("the keyring has no snapshot key; run `tessera keys rotate --kind snapshot`".into())
    })?;
    let trusted_snapshot_keys = keyring.snapshot_keys()?;
    let store = Arc::clone(ctx.store()?);
    let settings = crate::settings::Settings::from_env()?;
    serve(ServeOptions { bind: args.bind, settings, store, snapshot_key, trusted_snapshot_keys })?;
    Ok(0)
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
