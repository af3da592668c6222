//! `tessera check`: one decision, with its reason; exit 0 allowed, 1 denied. The
//! snapshot is verified and the decision made by the guest engine in wasmtime, as
//! `tessera serve` and every other runtime make it.

use serde_json::json;
use tessera_core::{EncryptionKey, VerifyingKey};

use super::snapshot::encryption_key_if_set;
use super::{CheckArgs, Output};
use crate::runtime::{
    Decision, GuestConfig, KeyProvider, LoadedInfo, Runtime, RuntimeConfig, ServiceError, Services,
    SnapshotStore,
};
use crate::{CliError, files};

/// The CLI's keys: the one trusted signing key, and AUTH_ENCRYPTION_KEY if set.
struct CliKeys {
    signing: VerifyingKey,
    decryption: Option<EncryptionKey>,
}

impl KeyProvider for CliKeys {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        (kid == self.signing.kid()).then(|| self.signing.clone())
    }

    fn decryption_key(&self, kid: &str) -> Option<EncryptionKey> {
        let key = self.decryption.as_ref().filter(|key| key.kid() == kid)?;
        EncryptionKey::new(key.kid(), *key.to_secret_bytes()).ok()
    }
}

/// The snapshot is handed to the guest directly, so there is no store to read.
struct NoStore;

impl SnapshotStore for NoStore {
    fn snapshot(&self, _tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(None)
    }
}

pub(super) fn check(out: &Output, args: &CheckArgs) -> Result<u8, CliError> {
    let bytes = files::read(&args.snapshot)?;
    let keys = CliKeys {
        signing: files::read_key(&args.key)?.verifying_key(),
        decryption: encryption_key_if_set()?,
    };
    let runtime = Runtime::new(RuntimeConfig::default(), Services::new(NoStore, keys))?;
    let mut guest = runtime.guest()?;
    guest.configure(&GuestConfig::default())?;
    let info = guest.load_bytes(&bytes)?;
    let decision = guest.check(&args.user, &args.permission)?;
    let mut value = json!({
        "user": args.user, "permission": args.permission,
        "allowed": decision.allowed(), "reason": decision.reason(),
        "snapshot": loaded_json(&info),
    });
    if let (Some(role), Some(pattern)) = (decision.role(), decision.pattern()) {
        value["role"] = role.into();
        value["pattern"] = pattern.into();
    }
    out.print(&value, &describe(&args.user, &args.permission, &decision));
    Ok(if decision.allowed() { 0 } else { 1 })
}

fn loaded_json(info: &LoadedInfo) -> serde_json::Value {
    json!({
        "tenant": info.tenant, "revision": info.revision, "issued_at": info.issued_at,
        "expires_at": info.expires_at, "signed_by": info.signed_by, "encrypted_with": info.encrypted_with,
    })
}

fn describe(user: &str, permission: &str, decision: &Decision) -> String {
    let role = decision.role().unwrap_or_default();
    let pattern = decision.pattern().unwrap_or_default();
    match decision.reason() {
        "granted" => format!("allowed: {user} may {permission} (role {role} grants {pattern})"),
        "denied" => format!(
            "denied: {user} may not {permission} (role {role} denies {pattern}, and a deny beats any grant)"
        ),
        "unknown_user" => format!("denied: {user} may not {permission} (no such user in this tenant)"),
        _ => format!("denied: {user} may not {permission} (none of the user's roles grants it)"),
    }
}
