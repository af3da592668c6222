//! What a command works with, opened on first use: the settings, the keyring, the
//! store, the tenant and the actor.

use std::cell::OnceCell;
use std::sync::Arc;

use tessera_core::EncryptionKey;

use crate::Output;
use crate::error::CliError;
use serde_json::json;

use tessera_server::settings::Settings;
use tessera_store::keyring::{KeyKind, Keyring};
use tessera_store::{Entry, FieldKeys, SYSTEM_TENANT, Scope, Store, canonical_client_key};

/// A command's surroundings.
pub(crate) struct Context {
    pub(crate) out: Output,
    tenant: Option<String>,
    actor: Option<String>,
    settings: OnceCell<Settings>,
    store: OnceCell<Arc<Store>>,
}

impl Context {
    pub(crate) fn new(out: Output, tenant: Option<String>, actor: Option<String>) -> Self {
        Self { out, tenant, actor, settings: OnceCell::new(), store: OnceCell::new() }
    }

    /// The settings; warnings go to standard error once.
    pub(crate) fn settings(&self) -> Result<&Settings, CliError> {
        if let Some(settings) = self.settings.get() {
            return Ok(settings);
        }
        let settings = Settings::from_env()?;
        for warning in &settings.warnings {
            eprintln!("warning: {warning}");
        }
        Ok(self.settings.get_or_init(|| settings))
    }

    /// The keyring file (read fresh each time: commands that change it save it).
    pub(crate) fn keyring(&self) -> Result<Keyring, CliError> {
        Ok(Keyring::load(&self.settings()?.keyring_file)?)
    }

    /// Data keys, newest first: AUTH_ENCRYPTION_KEY's, then the keyring's.
    pub(crate) fn data_keys(&self) -> Result<Vec<EncryptionKey>, CliError> {
        let settings = self.settings()?;
        let mut keys: Vec<EncryptionKey> = Vec::new();
        for key in &settings.encryption_keys {
            keys.push(EncryptionKey::new(key.kid(), *key.to_secret_bytes())?);
        }
        for key in self.keyring()?.data_keys()? {
            if !keys.iter().any(|k| k.kid() == key.kid()) {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// The data key that encrypts now (the first of [`Self::data_keys`]).
    pub(crate) fn current_data_key(&self) -> Result<EncryptionKey, CliError> {
        self.data_keys()?.into_iter().next().ok_or_else(|| {
            CliError::Usage(
                "encrypting snapshots (--encrypt, AUTH_SNAPSHOT_ENCRYPTION) needs a data key: AUTH_ENCRYPTION_KEY (base64 of 32 random bytes, e.g. \
                 `openssl rand -base64 32`) or one in the keyring (`tessera keys rotate --kind data`)"
                    .into(),
            )
        })
    }

    /// The store, opened (and migrated) on first use. Its audit chain is linked
    /// under the keyring's audit key, made here when the keyring has none (before the
    /// store opens: the migration to a keyed chain needs it).
    pub(crate) fn store(&self) -> Result<&Arc<Store>, CliError> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let settings = self.settings()?;
        let mut keyring = self.keyring()?;
        let created = match keyring.audit_keys()? {
            Some(_) => None,
            None => {
                let kid = keyring.generate(KeyKind::Audit, crate::now())?;
                keyring.save()?;
                Some(kid)
            }
        };
        let audit_keys = keyring.audit_keys()?.unwrap_or_default();
        let fields = FieldKeys::new(&self.data_keys()?, settings.encryption)?.with_audit_keys(audit_keys);
        let store = Store::open(&settings.database, fields, settings.audit_logging)?
            .with_strict_users_default(settings.strict_users_default);
        if let Some(kid) = created {
            let entry = Entry::new("key.create", "key", kid.as_str(), json!({"kind": KeyKind::Audit.name()}));
            store.record(SYSTEM_TENANT, Some(&self.actor()), &entry)?;
        }
        Ok(self.store.get_or_init(|| Arc::new(store)))
    }

    /// Who acts: AUTH_ACTOR, or `cli:$USER`.
    pub(crate) fn actor(&self) -> String {
        self.actor.clone().unwrap_or_else(|| {
            let user = std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "unknown".into());
            format!("cli:{user}")
        })
    }

    /// The tenant given (`--tenant`, AUTH_CLIENT_KEY), canonical; `None` if not given.
    pub(crate) fn given_tenant(&self) -> Result<Option<String>, CliError> {
        Ok(self.tenant.as_deref().map(canonical_client_key).transpose()?)
    }

    /// The tenant: the one given, or the store's only one when the keyring knows its
    /// client key (`tessera init` made it; the store keeps only digests).
    pub(crate) fn tenant(&self) -> Result<String, CliError> {
        if let Some(tenant) = self.given_tenant()? {
            return Ok(tenant);
        }
        let store = self.store()?;
        let digests = store.tenant_digests()?;
        let keyring = self.keyring()?;
        let known: Vec<&str> =
            keyring.client_keys().filter(|key| digests.contains(&tessera_store::key_digest(key))).collect();
        match (digests.len(), known.as_slice()) {
            (0, _) => Err(CliError::Usage("the store has no tenant yet: run `tessera init`".into())),
            (1, [only]) => Ok((*only).to_owned()),
            (1, _) => Err(CliError::Usage(
                "the store's tenant was not made by `tessera init` here: name it with --tenant or AUTH_CLIENT_KEY"
                    .into(),
            )),
            (many, _) => {
                let fingerprints: Vec<String> =
                    digests.iter().map(|digest| tessera_store::fingerprint_of_digest(digest)).collect();
                Err(CliError::Usage(format!(
                    "the store has {many} tenants ({}); pick one with --tenant or AUTH_CLIENT_KEY",
                    fingerprints.join(", ")
                )))
            }
        }
    }

    /// The tenant and actor of a change.
    pub(crate) fn scope(&self) -> Result<Scope, CliError> {
        Ok(Scope { tenant: self.tenant()?, actor: self.actor() })
    }
}

/// A progress bar on standard error for `len` steps, drawn only on a terminal and
/// never with `--json`.
pub(crate) fn progress(out: Output, len: u64, what: &str) -> indicatif::ProgressBar {
    if out.is_json() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    let style =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}
