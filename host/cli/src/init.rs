//! `tessera init` and `tessera reencrypt`.

use serde_json::json;

use crate::args::ReencryptArgs;
use crate::context::progress;
use crate::error::CliError;
use crate::{Context, now};
use tessera_store::keyring::KeyKind;
use tessera_store::{Entry, SYSTEM_TENANT};

/// Creates the keys a server needs and does not have yet — a snapshot key, a token
/// key and an audit key (and a data key when encryption is on without AUTH_ENCRYPTION_KEY) —
/// records each in the installation's audit chain, and returns the keyring with the
/// new key ids.
pub(super) fn ensure_keys(ctx: &Context) -> Result<(tessera_store::keyring::Keyring, Vec<String>), CliError> {
    let settings = ctx.settings()?;
    let mut keyring = ctx.keyring()?;
    let mut created_keys = Vec::new();
    let has = |keyring: &tessera_store::keyring::Keyring, kinds: &[&str]| {
        keyring.list().iter().any(|k| k.retired.is_none() && kinds.contains(&k.kind))
    };
    if !has(&keyring, &["snapshot"]) {
        created_keys.push(keyring.generate(KeyKind::Snapshot, now())?);
    }
    if !has(&keyring, &["jwt-eddsa", "jwt-es256"]) {
        created_keys.push(keyring.generate(KeyKind::JwtEddsa, now())?);
    }
    if !has(&keyring, &["audit"]) {
        created_keys.push(keyring.generate(KeyKind::Audit, now())?);
    }
    if settings.encryption && settings.encryption_keys.is_empty() && !has(&keyring, &["data"]) {
        created_keys.push(keyring.generate(KeyKind::Data, now())?);
    }
    if !created_keys.is_empty() {
        keyring.save()?;
    }
    let store = ctx.store()?;
    for kid in &created_keys {
        let kind = keyring.kind_of(kid).map_or("", KeyKind::name);
        store.record(
            SYSTEM_TENANT,
            Some(&ctx.actor()),
            &Entry::new("key.create", "key", kid.as_str(), json!({"kind": kind})),
        )?;
    }
    Ok((keyring, created_keys))
}

/// Creates what a first run needs, and nothing that exists already: the database
/// (migrated), the keyring with a snapshot key, a token key and an audit key (and a data key when
/// encryption is on without AUTH_ENCRYPTION_KEY), and a tenant.
pub(super) fn init(ctx: &Context) -> Result<u8, CliError> {
    let settings = ctx.settings()?;
    let (keyring, created_keys) = ensure_keys(ctx)?;
    let store = ctx.store()?;
    let existing = store.tenant_digests()?;
    // The store keeps only digests of client keys: an existing tenant is named here
    // only when it was given, or when this keyring remembers its key.
    let (tenant, created) = match ctx.given_tenant()? {
        Some(tenant) if store.has_tenant(&tenant)? => (Some(tenant), false),
        Some(tenant) => (Some(store.create_tenant(Some(&tenant), &ctx.actor())?), true),
        None if existing.is_empty() => (Some(store.create_tenant(None, &ctx.actor())?), true),
        None => (ctx.tenant().ok(), false),
    };
    let mut keyring = keyring;
    if let Some(tenant) = &tenant {
        keyring.remember_client_key(tenant);
        keyring.save()?;
    }
    let mut text = vec![
        format!("database  {} (schema v{})", settings.database, store.schema_version()?),
        format!(
            "keyring   {} ({} keys, {} new)",
            keyring.path().display(),
            keyring.list().len(),
            created_keys.len()
        ),
    ];
    match &tenant {
        Some(tenant) => {
            text.push(format!("tenant    {tenant}{}", if created { " (new)" } else { "" }));
            if existing.len() > 1 {
                text.push(format!("          the store has {} tenants; pick one with --tenant", existing.len()));
            }
            text.push(format!("\nexport AUTH_CLIENT_KEY={tenant}"));
        }
        None => text.push(format!(
            "tenant    the store has {} tenant(s) whose client key this keyring does not hold (the store keeps \
             only digests): give it with --tenant or AUTH_CLIENT_KEY",
            existing.len()
        )),
    }
    ctx.out.print(
        &json!({
            "database": settings.database.to_string(), "keyring": keyring.path(), "tenant": tenant,
            "tenant_created": created, "keys_created": created_keys,
        }),
        &text.join("\n"),
    );
    Ok(0)
}

pub(super) fn reencrypt(ctx: &Context, args: &ReencryptArgs) -> Result<u8, CliError> {
    if args.batch == 0 {
        return Err(CliError::Usage("--batch must be at least 1".into()));
    }
    let store = ctx.store()?;
    let pending = store.rows_to_reencrypt()?;
    let bar = progress(ctx.out, pending, "re-encrypting");
    let report = store.reencrypt(args.batch, &|done| bar.set_position(done))?;
    bar.finish_and_clear();
    let moved: u64 = report.tables.iter().map(|(_, n)| n).sum();
    let target = if report.key_id.is_empty() {
        "the clear (encryption is off)".to_owned()
    } else {
        format!("data key {}", report.key_id)
    };
    let entry = Entry::new("data.reencrypt", "key", report.key_id.as_str(), json!({"rows": moved}));
    store.record(SYSTEM_TENANT, Some(&ctx.actor()), &entry)?;
    let per_table: Vec<String> = report.tables.iter().map(|(t, n)| format!("{t} {n}")).collect();
    ctx.out.print(&json!(report), &format!("moved {moved} rows to {target} ({})", per_table.join(", ")));
    Ok(0)
}
