//! What the host lends the guest, as traits an embedder implements: where snapshots
//! live, which keys are trusted, where audit events go, and what time it is.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::{EncryptionKey, VerifyingKey};

/// A failure of an embedder's service; the guest sees "unavailable" and the host logs
/// this message (so it must not contain secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError(pub String);

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServiceError {}

/// Where each tenant's current signed snapshot is kept.
pub trait SnapshotStore: Send + Sync {
    /// The tenant's snapshot bytes, or `None` when it has none.
    fn snapshot(&self, tenant: &str) -> Result<Option<Vec<u8>>, ServiceError>;
}

/// The keys the guest may use. Every method answers "unknown" by default, so an
/// embedder implements only what it uses; an unknown key fails closed in the guest.
pub trait KeyProvider: Send + Sync {
    /// The key trusted to have signed snapshots with key id `kid`.
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        let _ = kid;
        None
    }

    /// The AES-256-GCM key with id `kid` that decrypts snapshot payloads.
    fn decryption_key(&self, kid: &str) -> Option<EncryptionKey> {
        let _ = kid;
        None
    }

    /// The tenant's token verification keys, as a JWKS document (`{"keys": [...]}`).
    fn token_keys(&self, tenant: &str) -> Option<String> {
        let _ = tenant;
        None
    }
}

/// One audit event from the guest, stamped with the host's time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When, in seconds since the Unix epoch (the host's clock).
    #[serde(default)]
    pub time: i64,
    /// The tenant.
    pub tenant: String,
    /// Who acted: the user of a check, the subject of a token.
    pub actor: Option<String>,
    /// What happened: `check`, `authorize`, `snapshot.load`, `security.suspicious_input`.
    pub action: String,
    /// What kind of thing it happened to: `permission`, `snapshot`, `input`.
    pub entity_type: String,
    /// Which one.
    pub entity: String,
    /// Whether it succeeded (for decisions: whether it was allowed).
    pub success: bool,
    /// The rest: reason, role, pattern, revision, decision id, findings, error.
    pub details: Value,
}

/// Where audit events go. An error makes the guest call that produced the event fail
/// (`ERR_AUDIT_UNAVAILABLE`), so no audited decision is handed out unrecorded.
pub trait AuditSink: Send + Sync {
    /// Persists one event.
    fn append(&self, event: AuditEvent) -> Result<(), ServiceError>;
}

/// Writes events to the `tracing` log (target `tessera::audit`): the default sink.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingAudit;

impl AuditSink for TracingAudit {
    fn append(&self, event: AuditEvent) -> Result<(), ServiceError> {
        // Serialized only when someone listens.
        if tracing::enabled!(target: "tessera::audit", tracing::Level::INFO) {
            let json = serde_json::to_string(&event).map_err(|e| ServiceError(e.to_string()))?;
            tracing::info!(target: "tessera::audit", event = %json);
        }
        Ok(())
    }
}

/// The time, for snapshot expiry and token checks.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system clock: the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// Everything the guest imports, bundled.
#[derive(Clone)]
pub struct Services {
    pub(crate) store: Arc<dyn SnapshotStore>,
    pub(crate) keys: Arc<dyn KeyProvider>,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Services {
    /// Storage and keys from the embedder; audit to the log and the system clock
    /// until replaced with [`Services::audit`] and [`Services::clock`].
    pub fn new(store: impl SnapshotStore + 'static, keys: impl KeyProvider + 'static) -> Self {
        Self {
            store: Arc::new(store),
            keys: Arc::new(keys),
            audit: Arc::new(TracingAudit),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sends audit events to `sink`.
    pub fn audit(mut self, sink: impl AuditSink + 'static) -> Self {
        self.audit = Arc::new(sink);
        self
    }

    /// Reads time from `clock`.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Services { .. }")
    }
}

// Shared handles work as services too, so an embedder can keep one (to inspect its
// audit sink, or update its store) while the runtime holds another.
impl<T: SnapshotStore + ?Sized> SnapshotStore for Arc<T> {
    fn snapshot(&self, tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        (**self).snapshot(tenant)
    }
}

impl<T: KeyProvider + ?Sized> KeyProvider for Arc<T> {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        (**self).snapshot_key(kid)
    }

    fn decryption_key(&self, kid: &str) -> Option<EncryptionKey> {
        (**self).decryption_key(kid)
    }

    fn token_keys(&self, tenant: &str) -> Option<String> {
        (**self).token_keys(tenant)
    }
}

impl<T: AuditSink + ?Sized> AuditSink for Arc<T> {
    fn append(&self, event: AuditEvent) -> Result<(), ServiceError> {
        (**self).append(event)
    }
}

impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> i64 {
        (**self).now()
    }
}
