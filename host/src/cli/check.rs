//! `tessera check`: one decision, with its reason; exit 0 allowed, 1 denied. The
//! snapshot is verified and the decision made by the guest engine in wasmtime, as
//! `tessera serve` and every other runtime make it.

use base64ct::{Base64, Encoding};
use serde_json::json;
use tessera_core::{EncryptionKey, VerifyingKey};

use zeroize::Zeroizing;

use super::{CheckArgs, Output};
use crate::runtime::{
    Decision, GuestConfig, KeyProvider, LoadedInfo, Runtime, RuntimeConfig, ServiceError, Services,
    SnapshotStore,
};
use crate::{CliError, files};

/// An AES-256 key and its id.
type DecryptionKey = (String, Zeroizing<[u8; 32]>);

/// The CLI's keys: the one trusted signing key, and AUTH_ENCRYPTION_KEY if set.
struct CliKeys {
    signing: VerifyingKey,
    decryption: Option<DecryptionKey>,
}

impl KeyProvider for CliKeys {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        (kid == self.signing.kid()).then(|| self.signing.clone())
    }

    fn decryption_key(&self, kid: &str) -> Option<Zeroizing<[u8; 32]>> {
        self.decryption.as_ref().filter(|(id, _)| id == kid).map(|(_, key)| key.clone())
    }
}

/// The snapshot is handed to the guest directly, so there is no store to read.
struct NoStore;

impl SnapshotStore for NoStore {
    fn snapshot(&self, _tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        Ok(None)
    }
}

/// AUTH_ENCRYPTION_KEY as a key id and its bytes, when set.
fn decryption_key() -> Result<Option<DecryptionKey>, CliError> {
    let Ok(text) = std::env::var("AUTH_ENCRYPTION_KEY").map(Zeroizing::new) else {
        return Ok(None);
    };
    let kid = EncryptionKey::from_base64(&text)?.kid().to_owned();
    let bytes = Zeroizing::new(
        Base64::decode_vec(text.trim()).map_err(|_| tessera_core::KeyError::InvalidEncryptionKey)?,
    );
    let key: [u8; 32] =
        bytes.as_slice().try_into().map_err(|_| tessera_core::KeyError::InvalidEncryptionKey)?;
    Ok(Some((kid, Zeroizing::new(key))))
}

pub(super) fn check(out: &Output, args: &CheckArgs) -> Result<u8, CliError> {
    let bytes = files::read(&args.snapshot)?;
    let keys =
        CliKeys { signing: files::read_key(&args.key)?.verifying_key(), decryption: decryption_key()? };
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
