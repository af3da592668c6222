//! `tessera check` and `tessera query`: decisions and queries, made by the guest
//! engine in wasmtime, as `tessera serve` and every other runtime make them — from a
//! verified snapshot file, or from the tenant's policy in the store.

use serde_json::json;
use tessera_core::{EncryptionKey, Reason, SigningKey, Snapshot, VerifyingKey};

use crate::args::{CheckArgs, QueryArgs, QueryKind};
use crate::error::CliError;
use crate::files;
use crate::{Context, now};
use tessera_runtime::{
    AuditChecks, Decision, Guest, GuestConfig, KeyProvider, LoadedInfo, Runtime, RuntimeConfig, ServiceError,
    Services, SnapshotStore,
};

/// The CLI's keys: the one trusted signing key, and the data keys (AUTH_ENCRYPTION_KEY,
/// then the keyring's).
struct CliKeys {
    signing: Option<VerifyingKey>,
    decryption: Vec<EncryptionKey>,
}

impl KeyProvider for CliKeys {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        self.signing.as_ref().filter(|key| key.kid() == kid).cloned()
    }

    fn decryption_key(&self, kid: &str) -> Option<EncryptionKey> {
        let key = self.decryption.iter().find(|key| key.kid() == kid)?;
        EncryptionKey::new(key.kid(), *key.to_secret_bytes()).ok()
    }
}

/// Snapshots and policies are handed to the guest directly, so there is no store to read.
struct NoStore;

impl SnapshotStore for NoStore {
    fn snapshot(&self, _tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(None)
    }
}

/// A guest with the policy to decide from loaded: the snapshot file when given, else
/// the tenant's policy from the store (whose audit log then records the decisions).
fn loaded_guest(
    ctx: &Context,
    snapshot: Option<(&std::path::Path, &std::path::Path)>,
) -> Result<(Guest, LoadedInfo), CliError> {
    if let Some((snapshot, key)) = snapshot {
        let bytes = files::read(snapshot)?;
        let keys =
            CliKeys { signing: Some(files::read_key(key)?.verifying_key()), decryption: ctx.data_keys()? };
        let runtime = Runtime::new(RuntimeConfig::default(), Services::new(NoStore, keys))?;
        let mut guest = runtime.guest()?;
        guest.configure(&GuestConfig::default())?;
        let info = guest.load_bytes(&bytes)?;
        return Ok((guest, info));
    }
    let store = ctx.store()?;
    let settings = ctx.settings()?;
    let published = store.published(&ctx.tenant()?)?;
    // Sealed in-process with a key made for this one load, so the guest takes the
    // same path as a served snapshot and its audit events carry the store's revision.
    let ephemeral = SigningKey::generate()?;
    let snapshot = Snapshot {
        revision: published.revision,
        issued_at: now(),
        expires_at: None,
        policy: published.policy,
    };
    let bytes = snapshot.seal(&ephemeral)?;
    let keys = CliKeys { signing: Some(ephemeral.verifying_key()), decryption: Vec::new() };
    let runtime = Runtime::new(RuntimeConfig::default(), Services::new(NoStore, keys).audit(store.clone()))?;
    let mut guest = runtime.guest()?;
    let audit_checks = if settings.audit_checks { AuditChecks::All } else { AuditChecks::Denied };
    guest.configure(&GuestConfig { audit_checks, ..GuestConfig::default() })?;
    // Without a `snapshot.load` event: this load is a step of one command, not a
    // snapshot put in force.
    let info = guest.refresh(&bytes)?;
    Ok((guest, info))
}

pub(super) fn check(ctx: &Context, args: &CheckArgs) -> Result<u8, CliError> {
    let files = args.snapshot.as_deref().zip(args.key.as_deref());
    let (mut guest, info) = loaded_guest(ctx, files)?;
    let decision = guest.check(&args.user, &args.permission)?;
    let mut value = json!(decision);
    value["user"] = args.user.as_str().into();
    value["permission"] = args.permission.as_str().into();
    value["snapshot"] = json!(info);
    ctx.out.print(&value, &describe(&args.user, &args.permission, &decision));
    Ok(if decision.allowed() { 0 } else { 1 })
}

pub(super) fn query(ctx: &Context, args: &QueryArgs) -> Result<u8, CliError> {
    let (mut guest, _) = loaded_guest(ctx, None)?;
    let arg = args.arg.as_str();
    let answer = match args.kind {
        QueryKind::UserPermissions => guest.user_permissions(arg)?,
        QueryKind::UserRoles => guest.user_roles(arg)?,
        QueryKind::RolePermissions => guest.role_permissions(arg)?,
        QueryKind::RoleMembers => guest.role_members(arg)?,
        QueryKind::WhichRolesCan => guest.which_roles_can(arg)?,
        QueryKind::WhichUsersCan => guest.which_users_can(arg)?,
    };
    ctx.out.print(&json!(answer), &answer.join("\n"));
    Ok(0)
}

/// The id of the rule a decision names.
fn rule(decision: &Decision) -> &str {
    decision.as_core().rule().unwrap_or_default()
}

fn describe(user: &str, permission: &str, decision: &Decision) -> String {
    let role = decision.role().unwrap_or_default();
    let pattern = decision.pattern().unwrap_or_default();
    match decision.reason() {
        Reason::Granted => format!("allowed: {user} may {permission} (role {role} grants {pattern})"),
        Reason::Denied => format!(
            "denied: {user} may not {permission} (role {role} denies {pattern}, and a deny beats any grant)"
        ),
        Reason::UnknownUser => format!("denied: {user} may not {permission} (no such user in this tenant)"),
        Reason::UserNotKeyBacked => {
            format!("denied: {user} may not {permission} (strict users: the user holds no live API key)")
        }
        Reason::NoMatchingGrant => {
            format!("denied: {user} may not {permission} (none of the user's roles grants it)")
        }
        Reason::Permitted => format!("allowed: {user} may {permission} (rule {} permits it)", rule(decision)),
        Reason::Forbidden => {
            format!("denied: {user} may not {permission} (rule {} forbids it)", rule(decision))
        }
    }
}
