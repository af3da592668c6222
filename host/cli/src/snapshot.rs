//! `tessera snapshot build|inspect`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use tessera_core::{Snapshot, SnapshotLoader, peek_header};

use crate::args::{BuildArgs, InspectArgs};
use crate::context::progress;
use crate::error::CliError;
use crate::files;
use crate::{Context, now};
use tessera_store::Entry;

pub(super) fn build(ctx: &Context, args: &BuildArgs) -> Result<u8, CliError> {
    let spinner = progress(ctx.out, 3, "building snapshot");
    spinner.set_message("reading the policy");
    let from_store = args.policy.is_none();
    let (policy, default_revision) = match &args.policy {
        Some(path) => (files::read_policy(path)?.into_policy()?, now_millis()),
        None => {
            let published = ctx.store()?.published(&ctx.tenant()?)?;
            spinner.inc(1);
            spinner.set_message("validating");
            (published.policy, published.revision)
        }
    };
    let key = match &args.key {
        Some(path) => files::read_signing_key(path)?,
        None => ctx.keyring()?.snapshot_signer()?.ok_or_else(|| {
            CliError::Usage("no snapshot-signing key: run `tessera init`, or pass --key KEYFILE".into())
        })?,
    };
    let issued_at = now();
    let snapshot = Snapshot {
        revision: args.revision.unwrap_or(default_revision),
        issued_at,
        expires_at: args.ttl.map(|ttl| issued_at.saturating_add(ttl)),
        policy,
    };
    spinner.inc(1);
    spinner.set_message("signing");
    let bytes = if args.encrypt {
        snapshot.seal_encrypted(&key, &ctx.current_data_key()?)?
    } else {
        snapshot.seal(&key)?
    };
    files::write_atomic(&args.out, &bytes)?;
    spinner.finish_and_clear();
    let policy = &snapshot.policy;
    if from_store {
        let details = json!({"revision": snapshot.revision, "signed_by": key.kid(), "encrypted": args.encrypt, "bytes": bytes.len()});
        let entry = Entry::new("snapshot.build", "snapshot", snapshot.revision.to_string(), details);
        ctx.store()?.record(policy.tenant(), Some(&ctx.actor()), &entry)?;
    }
    ctx.out.print(
        &json!({
            "file": args.out, "bytes": bytes.len(), "tenant": policy.tenant(),
            "revision": snapshot.revision, "issued_at": snapshot.issued_at, "expires_at": snapshot.expires_at,
            "roles": policy.role_count(), "users": policy.user_count(), "signed_by": key.kid(),
            "encrypted": args.encrypt,
        }),
        &format!(
            "wrote {} ({} bytes): tenant {}, revision {}, {} roles, {} users, signed by {}{}",
            args.out.display(),
            bytes.len(),
            policy.tenant(),
            snapshot.revision,
            policy.role_count(),
            policy.user_count(),
            key.kid(),
            if args.encrypt { ", encrypted" } else { "" }
        ),
    );
    Ok(0)
}

pub(super) fn inspect(ctx: &Context, args: &InspectArgs) -> Result<u8, CliError> {
    let out = &ctx.out;
    let bytes = files::read(&args.snapshot)?;
    let keyring_keys = match &args.key {
        Some(_) => Vec::new(),
        None => ctx.keyring().and_then(|k| Ok(k.snapshot_keys()?)).unwrap_or_default(),
    };
    if args.key.is_none() && keyring_keys.is_empty() {
        let (kid, encrypted_with) = peek_header(&bytes)?;
        out.print(
            &json!({"verified": false, "bytes": bytes.len(), "signed_by": kid, "encrypted_with": encrypted_with}),
            &format!(
                "{} bytes, claims to be signed by {kid}{}\nnot verified: pass --key to verify and show the policy",
                bytes.len(),
                encrypted_with.map(|k| format!(", encrypted with {k}")).unwrap_or_default()
            ),
        );
        return Ok(0);
    };
    let mut loader = match &args.key {
        Some(path) => SnapshotLoader::new().trust(files::read_key(path)?.verifying_key()),
        None => keyring_keys.into_iter().fold(SnapshotLoader::new(), SnapshotLoader::trust),
    };
    for key in ctx.data_keys()? {
        loader = loader.decrypt_with(key);
    }
    let (snapshot, info) = loader.open(&bytes, now())?;
    let policy = &snapshot.policy;
    let mut value = json!(info);
    value["verified"] = true.into();
    value["bytes"] = bytes.len().into();
    value["roles"] = policy.role_count().into();
    value["users"] = policy.user_count().into();
    value["memberships"] = policy.membership_count().into();
    let document = args.policy.then(|| policy.to_document());
    if let Some(document) = &document {
        value["policy"] = serde_json::to_value(document).unwrap_or_default();
    }
    let mut text = format!(
        "verified, signed by {}{}\ntenant {}\nrevision {}, issued at {}{}\n{} roles, {} users, {} memberships",
        info.signed_by,
        info.encrypted_with.as_deref().map(|k| format!(", encrypted with {k}")).unwrap_or_default(),
        info.tenant,
        info.revision,
        info.issued_at,
        info.expires_at.map(|e| format!(", expires at {e}")).unwrap_or_default(),
        policy.role_count(),
        policy.user_count(),
        policy.membership_count(),
    );
    if let Some(document) = &document {
        text.push('\n');
        text.push_str(&serde_yaml_ng::to_string(document).unwrap_or_default());
    }
    out.print(&value, text.trim_end());
    Ok(0)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
