//! `tessera check`: one decision, with its reason; exit 0 allowed, 1 denied.

use serde_json::json;
use tessera_core::Decision;

use super::snapshot::{info_json, loader};
use super::{CheckArgs, Output, now};
use crate::{CliError, files};

pub(super) fn check(out: &Output, args: &CheckArgs) -> Result<u8, CliError> {
    let bytes = files::read(&args.snapshot)?;
    let loaded = loader(&args.key)?.load(&bytes, now(), None)?;
    let decision = loaded.authorizer.check(&args.user, &args.permission).map_err(CliError::Identifier)?;
    let mut value = json!({
        "user": args.user, "permission": args.permission,
        "allowed": decision.allowed(), "reason": decision.reason(),
        "snapshot": info_json(&loaded.info),
    });
    if let (Some(role), Some(pattern)) = (decision.role(), decision.pattern()) {
        value["role"] = role.into();
        value["pattern"] = pattern.into();
    }
    out.print(&value, &describe(&args.user, &args.permission, decision));
    Ok(if decision.allowed() { 0 } else { 1 })
}

fn describe(user: &str, permission: &str, decision: Decision<'_>) -> String {
    match decision {
        Decision::Granted { role, grant } => {
            format!("allowed: {user} may {permission} (role {role} grants {grant})")
        }
        Decision::Denied { role, deny } => {
            format!(
                "denied: {user} may not {permission} (role {role} denies {deny}, and a deny beats any grant)"
            )
        }
        Decision::UnknownUser => {
            format!("denied: {user} may not {permission} (no such user in this tenant)")
        }
        Decision::NoMatchingGrant => {
            format!("denied: {user} may not {permission} (none of the user's roles grants it)")
        }
    }
}
