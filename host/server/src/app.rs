//! The state every handler shares, and the two ways a handler reaches the blocking
//! world: loading a tenant, and changing the store.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tessera_core::{KeySet, SigningKey, TokenSigner, VerifyingKey};
use zeroize::Zeroizing;

use super::metrics::Metrics;
use super::reply::ApiError;
use super::tenants::{LoadError, Pushed, Tenant, Tenants};
use crate::ServerError;
use crate::settings::Settings;
use tessera_runtime::{AuditChecks, GuestConfig, KeyProvider, Runtime, RuntimeConfig, Services};
use tessera_store::{Scope, Store, StoreError};

/// What `tessera serve` runs with.
pub struct ServeOptions {
    /// Where to listen (default 127.0.0.1:4000).
    pub bind: SocketAddr,
    /// The settings.
    pub settings: Settings,
    /// The opened store.
    pub store: Arc<Store>,
    /// The key that signs the snapshots served and decided from.
    pub snapshot_key: SigningKey,
    /// Older snapshot keys still trusted (the keyring's unretired ones).
    pub trusted_snapshot_keys: Vec<VerifyingKey>,
    /// The token keys.
    pub tokens: TokenKeys,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    pub tls: Option<TlsFiles>,
    /// Encrypt the snapshots `GET /api/snapshot` serves with this data key.
    pub snapshot_encryption: Option<tessera_core::EncryptionKey>,
}

/// A PEM certificate chain and its private key.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: std::path::PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: std::path::PathBuf,
}

/// The keys of `/api/token` and `/api/authorize`.
pub struct TokenKeys {
    /// Signs new tokens (HS256 from AUTH_JWT_SECRET_KEY when set, else the keyring's
    /// current EdDSA or ES256 key).
    pub signer: TokenSigner,
    /// Verifies refresh tokens and revocations: every active token key.
    pub verifiers: KeySet,
    /// `/.well-known/jwks.json`: the public keys (`{"keys": [...]}`).
    pub public_jwks: serde_json::Value,
    /// The guest's key set: the public keys, and the HMAC secret when there is one.
    pub guest_jwks: Zeroizing<String>,
}

impl App {
    /// Verifies one of this server's tokens for the tenant with key digest `digest`:
    /// signature, issuer, the tenant's audience, expiry and, when given, `typ`.
    pub(crate) fn verify_tenant_token(
        &self,
        token: &str,
        digest: &str,
        expected_type: Option<&str>,
    ) -> Result<tessera_core::Claims, tessera_core::TokenError> {
        let options = tessera_core::ValidationOptions {
            issuers: vec![self.settings.issuer.clone()],
            audiences: vec![tessera_store::tenant_audience(digest)],
            expected_type: expected_type.map(Into::into),
            ..tessera_core::ValidationOptions::default()
        };
        tessera_core::verify_token(token, &self.tokens.verifiers, &options, tessera_store::now())
    }
}

/// The audience only `key`'s tokens carry ([`tessera_store::tenant_audience`]).
pub(crate) fn tenant_audience(key: &str) -> String {
    tessera_store::tenant_audience(&tessera_store::key_digest(key))
}

/// `{"keys": [...]}` of public JWKs, one per key id.
fn public_jwks(keys: &[VerifyingKey]) -> serde_json::Value {
    let mut seen = std::collections::BTreeSet::new();
    let jwks: Vec<serde_json::Value> = keys
        .iter()
        .filter(|key| seen.insert(key.kid().to_owned()))
        .filter_map(|key| serde_json::from_str(&key.to_jwk()).ok())
        .collect();
    serde_json::json!({ "keys": jwks })
}

/// The keys the guest uses: the server's snapshot keys and its token keys.
struct ServerKeys {
    trusted: Vec<VerifyingKey>,
    token_jwks: Zeroizing<String>,
}

impl KeyProvider for ServerKeys {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        self.trusted.iter().find(|key| key.kid() == kid).cloned()
    }

    fn token_keys(&self, _tenant: &str) -> Option<String> {
        Some(self.token_jwks.to_string())
    }
}

/// Shared by every request.
pub(crate) struct App {
    pub(crate) store: Arc<Store>,
    pub(crate) tenants: Tenants,
    pub(crate) settings: Settings,
    pub(crate) metrics: Metrics,
    pub(crate) tokens: TokenKeys,
    /// `/.well-known/tessera-snapshot-keys.json`: every key a served snapshot may be signed with.
    pub(crate) snapshot_jwks: serde_json::Value,
    /// The database, for logs (without a password).
    pub(crate) database: String,
    pub(crate) started: Instant,
}

impl App {
    pub(crate) fn new(options: ServeOptions) -> Result<Self, ServerError> {
        let ServeOptions {
            settings,
            store,
            snapshot_key,
            mut trusted_snapshot_keys,
            tokens,
            snapshot_encryption,
            ..
        } = options;
        trusted_snapshot_keys.push(snapshot_key.verifying_key());
        let snapshot_jwks = public_jwks(&trusted_snapshot_keys);
        let keys = ServerKeys { trusted: trusted_snapshot_keys, token_jwks: tokens.guest_jwks.clone() };
        let metrics = Metrics::default();
        let directory = crate::audit_writer::Directory::default();
        let queue = crate::audit_writer::AuditQueue::start(
            Arc::clone(&store),
            Arc::clone(&metrics.audit_dropped),
            directory.clone(),
            settings.audit_durable,
        );
        let services = Services::new(Pushed, keys).audit(queue);
        let runtime = Runtime::new(RuntimeConfig::default(), services)?;
        let audit_checks = if settings.audit_checks { AuditChecks::All } else { AuditChecks::Denied };
        let mut config = GuestConfig { audit_checks, ..GuestConfig::default() };
        config.token.issuers = vec![settings.issuer.clone()];
        let database = settings.database.to_string();
        Ok(Self {
            tenants: Tenants::new(
                Arc::clone(&store),
                runtime,
                (snapshot_key, snapshot_encryption),
                config,
                directory,
            ),
            store,
            settings,
            metrics,
            tokens,
            snapshot_jwks,
            database,
            started: Instant::now(),
        })
    }

    /// The tenant with its current revision in force; `None` when it does not exist
    /// (Auth answers reads of an unused client key with empty results).
    pub(crate) async fn tenant(self: &Arc<Self>, key: &str) -> Result<Option<Arc<Tenant>>, ApiError> {
        if let Some(tenant) = self.tenants.ready(key) {
            return Ok(Some(tenant));
        }
        let app = Arc::clone(self);
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || app.tenants.get(&key)).await?.map_err(|e| match e {
            LoadError::Store(e) => ApiError::from(e),
            LoadError::Guest(e) => ApiError::from(e),
        })
    }

    /// Runs a change in `key`'s tenant, creating the tenant first when it does not
    /// exist (an Auth client key names its namespace by being used), and marks the
    /// tenant changed so the next read sees the write.
    pub(crate) async fn change<T: Send + 'static>(
        self: &Arc<Self>,
        key: &str,
        actor: String,
        body: impl Fn(&Store, &Scope) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let app = Arc::clone(self);
        let scope = Scope { tenant: key.to_owned(), actor };
        let outcome = tokio::task::spawn_blocking(move || {
            let outcome = match body(&app.store, &scope) {
                Err(StoreError::UnknownTenant(_)) => {
                    match app.store.create_tenant(Some(&scope.tenant), &scope.actor) {
                        Ok(_) | Err(StoreError::Exists { .. }) => body(&app.store, &scope),
                        Err(e) => Err(e),
                    }
                }
                other => other,
            };
            app.tenants.mark(&scope.tenant);
            outcome
        })
        .await?;
        Ok(outcome?)
    }

    /// Runs blocking store work (reads, and writes that are not policy changes:
    /// logins, refresh tokens) off the async threads.
    pub(crate) async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        body: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let app = Arc::clone(self);
        Ok(tokio::task::spawn_blocking(move || body(&app.store)).await??)
    }

    /// Like [`blocking`](Self::blocking) for a read of one tenant: a client key that
    /// names no tenant yet reads as empty (Auth answers an unused namespace so).
    pub(crate) async fn read_tenant<T: Default + Send + 'static>(
        self: &Arc<Self>,
        body: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.blocking(move |store| match body(store) {
            Err(StoreError::UnknownTenant(_)) => Ok(T::default()),
            other => other,
        })
        .await
    }
}
