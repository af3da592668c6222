//! `tessera audit query|verify`.

use serde_json::json;

use super::{AuditQueryArgs, Context, now};
use crate::CliError;
use crate::store::{Filter, SYSTEM_TENANT};

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
    let tenants = if all {
        let mut tenants = store.tenants()?;
        tenants.push(SYSTEM_TENANT.to_owned());
        tenants
    } else {
        vec![ctx.tenant()?]
    };
    let mut results = Vec::with_capacity(tenants.len());
    let mut lines = Vec::with_capacity(tenants.len());
    for tenant in &tenants {
        let verification = store.audit_verify(tenant)?;
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

/// `2026-12-01T09:30:00Z` (UTC, from the days-from-civil algorithm).
fn utc(time: i64) -> String {
    let (days, secs) = (time.div_euclid(86_400), time.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(1_796_117_400), "2026-12-01T09:30:00Z");
        assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
