//! `tessera audit query|verify`.

use serde_json::json;

use crate::args::AuditQueryArgs;
use crate::error::CliError;
use crate::{Context, now};
use tessera_server::time::utc;
use tessera_store::{Filter, SYSTEM_TENANT, key_digest};

pub(super) fn query(ctx: &Context, args: &AuditQueryArgs) -> Result<u8, CliError> {
    let tenant = if args.system { SYSTEM_TENANT.to_owned() } else { ctx.tenant()? };
    let filter = Filter {
        action: args.action.clone(),
        entity_type: args.entity_type.clone(),
        actor: args.actor.clone(),
        since: args.hours.map(|h| now() - i64::from(h) * 3600),
        limit: i64::from(args.limit),
        offset: 0,
    };
    let records = ctx.store()?.audit_query(&tenant, &filter)?;
    let text: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "#{:<5} {}  {:<18} {:<10} {:<24} {:<7} by {}  {}",
                r.seq,
                utc(r.time),
                r.action,
                r.entity_type,
                r.entity,
                if r.success { "ok" } else { "failed" },
                r.actor.as_deref().unwrap_or("-"),
                r.details
            )
        })
        .collect();
    ctx.out.print(&json!(records), &text.join("\n"));
    Ok(0)
}

pub(super) fn verify(ctx: &Context, all: bool) -> Result<u8, CliError> {
    let store = ctx.store()?;
    let digests = if all {
        let mut digests = store.tenant_digests()?;
        digests.push(key_digest(SYSTEM_TENANT));
        digests
    } else {
        vec![key_digest(&ctx.tenant()?)]
    };
    let mut results = Vec::with_capacity(digests.len());
    let mut lines = Vec::with_capacity(digests.len());
    for digest in &digests {
        let verification = store.audit_verify_digest(digest)?;
        let tenant = &verification.tenant;
        lines.push(match &verification.broken {
            None => format!("{tenant}: intact, {} rows, head {}", verification.rows, verification.head),
            Some(bad) => format!("{tenant}: BROKEN at row {}: {}", bad.seq, bad.problem),
        });
        results.push(verification);
    }
    let intact = results.iter().all(|v| v.broken.is_none());
    ctx.out.print(&json!({"intact": intact, "chains": results}), &lines.join("\n"));
    Ok(if intact { 0 } else { 1 })
}
