//! Policy edits: `role`, `perm`, `member`, `import`, `export`, `settings`.

use serde_json::json;

use crate::Context;
use crate::args::{ExportArgs, ImportArgs, MemberCommand, PermCommand, RoleCommand, SettingsArgs};
use crate::context::progress;
use crate::error::CliError;
use crate::files;
use tessera_store::{Change, StoreError};

/// Prints the outcome of one change.
fn report(ctx: &Context, change: Change, done: &str, unchanged: &str) -> Result<u8, CliError> {
    let text =
        if change.changed { format!("{done} (revision {})", change.revision) } else { unchanged.to_owned() };
    ctx.out.print(&json!({"changed": change.changed, "revision": change.revision}), &text);
    Ok(0)
}

pub(super) fn role(ctx: &Context, command: RoleCommand) -> Result<u8, CliError> {
    let store = ctx.store()?;
    match command {
        RoleCommand::Add { name, description, parents } => {
            let change = store.add_role(&ctx.scope()?, &name, description.as_deref(), &parents)?;
            report(ctx, change, &format!("added role {name}"), "")
        }
        RoleCommand::Del { name } => {
            let change = store.delete_role(&ctx.scope()?, &name)?;
            report(ctx, change, &format!("deleted role {name}"), "")
        }
        RoleCommand::List => {
            let roles = store.roles(&ctx.tenant()?)?;
            let text: Vec<String> = roles
                .iter()
                .map(|r| {
                    let parents = if r.parents.is_empty() {
                        String::new()
                    } else {
                        format!(" (inherits {})", r.parents.join(", "))
                    };
                    let description = r.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
                    format!("{}{parents}{description}", r.name)
                })
                .collect();
            ctx.out.print(&json!(roles), &text.join("\n"));
            Ok(0)
        }
    }
}

pub(super) fn perm(ctx: &Context, command: PermCommand) -> Result<u8, CliError> {
    let store = ctx.store()?;
    let scope = ctx.scope()?;
    match command {
        PermCommand::Grant { role, permission } => report(
            ctx,
            store.grant(&scope, &role, &permission)?,
            &format!("granted {permission} to {role}"),
            &format!("{role} already has {permission}"),
        ),
        PermCommand::Deny { role, permission } => report(
            ctx,
            store.deny(&scope, &role, &permission)?,
            &format!("denied {permission} to {role}"),
            &format!("{role} already denies {permission}"),
        ),
        PermCommand::Revoke { role, permission, deny } => {
            let what = if deny { "deny of" } else { "grant of" };
            report(
                ctx,
                store.revoke(&scope, &role, &permission, deny)?,
                &format!("removed the {what} {permission} from {role}"),
                "",
            )
        }
    }
}

pub(super) fn member(ctx: &Context, command: MemberCommand) -> Result<u8, CliError> {
    let store = ctx.store()?;
    let scope = ctx.scope()?;
    match command {
        MemberCommand::Add { user, role } => report(
            ctx,
            store.add_member(&scope, &user, &role)?,
            &format!("added {user} to {role}"),
            &format!("{user} is already a member of {role}"),
        ),
        MemberCommand::Del { user, role } => report(
            ctx,
            store.remove_member(&scope, &user, &role)?,
            &format!("removed {user} from {role}"),
            "",
        ),
    }
}

pub(super) fn import(ctx: &Context, args: &ImportArgs) -> Result<u8, CliError> {
    let document = files::read_policy(&args.file)?;
    let store = ctx.store()?;
    let tenant = match ctx.given_tenant()? {
        Some(tenant) => tenant,
        None => tessera_store::canonical_client_key(&document.tenant)?,
    };
    let actor = ctx.actor();
    match store.create_tenant(Some(&tenant), &actor) {
        Ok(_) | Err(StoreError::Exists { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let memberships: usize = document.members.0.iter().map(|(_, roles)| roles.len()).sum();
    let bar = progress(ctx.out, memberships as u64, "importing memberships");
    let scope = tessera_store::Scope { tenant, actor };
    let summary = store.import(&scope, &document, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    ctx.out.print(
        &json!(summary),
        &format!(
            "imported {} roles, {} grants and denies, {} memberships, {} resource model entries into {} (revision {})",
            summary.roles, summary.rules, summary.memberships, summary.entries, scope.tenant, summary.revision
        ),
    );
    Ok(0)
}

pub(super) fn export(ctx: &Context, args: &ExportArgs) -> Result<u8, CliError> {
    let (document, _) = ctx.store()?.policy(&ctx.tenant()?)?;
    let text = if ctx.out.is_json() {
        serde_json::to_string_pretty(&document).unwrap_or_default()
    } else {
        serde_yaml_ng::to_string(&document).unwrap_or_default()
    };
    match &args.out {
        Some(path) => files::write_atomic(path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(0)
}

/// Shows the tenant's settings, after changing what was given.
pub(super) fn settings(ctx: &Context, args: &SettingsArgs) -> Result<u8, CliError> {
    let store = ctx.store()?;
    let settings = match args.strict_users {
        Some(enabled) => store.set_strict_users(&ctx.scope()?, enabled)?,
        None => store.settings(&ctx.tenant()?)?,
    };
    let text = format!("strict users: {}", if settings.strict_users { "on" } else { "off" });
    ctx.out.print(&json!(settings), &text);
    Ok(0)
}
