//! `tessera check` and `tessera query`: decisions and queries, made by the guest
//! engine in wasmtime, as `tessera serve` and every other runtime make them — from a
//! verified snapshot file, or from the tenant's policy in the store.

use clap::ValueEnum;
use serde_json::{Value, json};
use tessera_core::{EncryptionKey, Reason, SigningKey, Snapshot, VerifyingKey};

use crate::args::{CheckArgs, QueryArgs, QueryKind, SourceArgs};
use crate::error::CliError;
use crate::files;
use crate::{Context, now};
use tessera_runtime::{
    AuditChecks, Guest, GuestConfig, KeyProvider, LoadedInfo, Runtime, RuntimeConfig, ServiceError, Services,
    SnapshotStore,
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

fn source(args: &SourceArgs) -> Option<(&std::path::Path, &std::path::Path)> {
    args.snapshot.as_deref().zip(args.key.as_deref())
}

/// `type:id` as a request names a resource.
fn resource(key: &str) -> Result<Value, CliError> {
    let (kind, id) = key.split_once(':').ok_or_else(|| {
        CliError::Usage(format!("resource `{key}` is not `type:id` (for example document:42)"))
    })?;
    Ok(json!({"type": kind, "id": id}))
}

/// The request attributes of `--attributes` and `--context`.
fn attributes(attributes: Option<&str>, context: Option<&str>) -> Result<Option<Value>, CliError> {
    let parse = |flag: &str, text: &str| {
        serde_json::from_str::<Value>(text).map_err(|e| CliError::Usage(format!("{flag} is not JSON: {e}")))
    };
    let mut value = match attributes {
        Some(text) => parse("--attributes", text)?,
        None if context.is_none() => return Ok(None),
        None => json!({}),
    };
    if let Some(text) = context {
        let context = parse("--context", text)?;
        let Some(object) = value.as_object_mut() else {
            return Err(CliError::Usage("--attributes must be a JSON object".into()));
        };
        object.insert("context".into(), context);
    }
    Ok(Some(value))
}

pub(super) fn check(ctx: &Context, args: &CheckArgs) -> Result<u8, CliError> {
    let (mut guest, info) = loaded_guest(ctx, source(&args.source))?;
    let attributes = attributes(args.attributes.as_deref(), args.context.as_deref())?;
    if let Some(key) = &args.resource {
        let mut request =
            json!({"subject": args.user, "action": args.permission, "resource": resource(key)?});
        if let Some(attributes) = attributes {
            request["attributes"] = attributes;
        }
        let mut value = guest.evaluate(&request.to_string())?;
        let allowed = value["allowed"] == json!(true);
        let text = describe(&args.user, &format!("{} {key}", args.permission), &value);
        value["user"] = args.user.as_str().into();
        value["action"] = args.permission.as_str().into();
        value["resource"] = key.as_str().into();
        value["snapshot"] = json!(info);
        ctx.out.print(&value, &text);
        return Ok(if allowed { 0 } else { 1 });
    }
    if attributes.is_some() {
        return Err(CliError::Usage("--attributes and --context need a RESOURCE".into()));
    }
    let decision = guest.check(&args.user, &args.permission)?;
    let mut value = json!(decision);
    value["user"] = args.user.as_str().into();
    value["permission"] = args.permission.as_str().into();
    value["snapshot"] = json!(info);
    ctx.out.print(&value, &describe(&args.user, &args.permission, &value));
    Ok(if decision.allowed() { 0 } else { 1 })
}

pub(super) fn query(ctx: &Context, args: &QueryArgs) -> Result<u8, CliError> {
    let (mut guest, _) = loaded_guest(ctx, source(&args.source))?;
    let arity = match args.kind {
        QueryKind::Resources => 3,
        QueryKind::Actions | QueryKind::Subjects => 2,
        _ => 1,
    };
    if args.args.len() != arity {
        return Err(CliError::Usage(format!(
            "`query {}` takes {arity} argument(s), got {}",
            args.kind.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default(),
            args.args.len()
        )));
    }
    let arg = args.args[0].as_str();
    let answer = match args.kind {
        QueryKind::UserPermissions => guest.user_permissions(arg)?,
        QueryKind::UserRoles => guest.user_roles(arg)?,
        QueryKind::RolePermissions => guest.role_permissions(arg)?,
        QueryKind::RoleMembers => guest.role_members(arg)?,
        QueryKind::WhichRolesCan => guest.which_roles_can(arg)?,
        QueryKind::WhichUsersCan => guest.which_users_can(arg)?,
        QueryKind::Actions | QueryKind::Resources | QueryKind::Subjects => {
            let mut request = match args.kind {
                QueryKind::Actions => {
                    json!({"search": "actions", "subject": arg, "resource": resource(&args.args[1])?})
                }
                QueryKind::Resources => {
                    json!({"search": "resources", "subject": arg, "action": args.args[1], "type": args.args[2]})
                }
                _ => json!({"search": "subjects", "action": arg, "resource": resource(&args.args[1])?}),
            };
            if let Some(attributes) = attributes(args.attributes.as_deref(), args.context.as_deref())? {
                request["attributes"] = attributes;
            }
            request["page"] = json!({"after": args.after, "limit": args.limit});
            let found = guest.search(&request.to_string())?;
            let items: Vec<&str> =
                found["items"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let mut text = items.join("\n");
            if let Some(next) = found["next"].as_str() {
                text.push_str(&format!("\n(more: --after {next})"));
            }
            ctx.out.print(&found, &text);
            return Ok(0);
        }
    };
    ctx.out.print(&json!(answer), &answer.join("\n"));
    Ok(0)
}

/// A decision as every face serializes it, for people.
fn describe(user: &str, what: &str, value: &Value) -> String {
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
    let on = match value["on"].as_str() {
        Some(on) => format!(", held on {on}"),
        None => String::new(),
    };
    let reason = Reason::ALL.into_iter().find(|r| value["reason"].as_str() == Some(r.name()));
    let Some(reason) = reason else {
        return format!("{user} {what}: {}", text("reason"));
    };
    match reason {
        Reason::Granted => {
            format!("allowed: {user} may {what} (role {} grants {}{on})", text("role"), text("pattern"))
        }
        Reason::Denied => format!(
            "denied: {user} may not {what} (role {} denies {}{on}, and a deny beats any grant)",
            text("role"),
            text("pattern")
        ),
        Reason::Permitted => format!("allowed: {user} may {what} (rule {} permits it)", text("rule")),
        Reason::Forbidden => format!("denied: {user} may not {what} (rule {} forbids it)", text("rule")),
        Reason::UserNotKeyBacked => {
            format!("denied: {user} may not {what} (strict users: the user holds no live API key)")
        }
        Reason::UnknownUser => format!("denied: {user} may not {what} (no such user in this tenant)"),
        Reason::NoMatchingGrant => format!("denied: {user} may not {what} (no role or rule allows it)"),
    }
}
