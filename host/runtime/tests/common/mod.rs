//! Services for tests: an in-memory snapshot store, a key provider with one trusted
//! signing key, an audit sink that keeps what it gets, and a settable clock.

#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part of this module")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use tessera_core::{EncryptionKey, PolicyDocument, SigningKey, Snapshot, VerifyingKey};
use tessera_runtime::{
    AuditEvent, AuditSink, Clock, KeyProvider, Runtime, RuntimeConfig, ServiceError, Services, SnapshotStore,
};

pub const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

#[derive(Default)]
pub struct MemoryStore {
    snapshots: Mutex<HashMap<String, Vec<u8>>>,
    pub failing: AtomicBool,
}

impl MemoryStore {
    pub fn put(&self, tenant: &str, bytes: Vec<u8>) {
        self.snapshots.lock().unwrap().insert(tenant.into(), bytes);
    }
}

impl SnapshotStore for MemoryStore {
    fn snapshot(&self, tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        if self.failing.load(Ordering::Relaxed) {
            return Err(ServiceError("the disk is on fire".into()));
        }
        Ok(self.snapshots.lock().unwrap().get(tenant).cloned())
    }
}

pub struct Keys {
    pub signing: SigningKey,
    pub decryption: Option<(String, [u8; 32])>,
    pub jwks: Mutex<Option<String>>,
}

impl KeyProvider for Keys {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        (kid == self.signing.kid()).then(|| self.signing.verifying_key())
    }

    fn decryption_key(&self, kid: &str) -> Option<EncryptionKey> {
        self.decryption
            .as_ref()
            .filter(|(id, _)| id == kid)
            .map(|(id, key)| EncryptionKey::new(id, *key).unwrap())
    }

    fn token_keys(&self, _tenant: &str) -> Option<String> {
        self.jwks.lock().unwrap().clone()
    }
}

#[derive(Default)]
pub struct Recorder {
    pub events: Mutex<Vec<AuditEvent>>,
    pub refusing: AtomicBool,
}

impl Recorder {
    pub fn actions(&self) -> Vec<String> {
        self.events.lock().unwrap().iter().map(|e| e.action.clone()).collect()
    }
}

impl AuditSink for Recorder {
    fn append(&self, event: AuditEvent) -> Result<(), ServiceError> {
        if self.refusing.load(Ordering::Relaxed) {
            return Err(ServiceError("audit database unreachable".into()));
        }
        self.events.lock().unwrap().push(event);
        Ok(())
    }
}

pub struct FixedClock(pub AtomicI64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The services of one test, with handles to inspect or change them.
pub struct Fixture {
    pub store: Arc<MemoryStore>,
    pub keys: Arc<Keys>,
    pub audit: Arc<Recorder>,
    pub clock: Arc<FixedClock>,
}

pub const NOW: i64 = 1_750_000_000;

impl Fixture {
    pub fn new() -> Self {
        Self {
            store: Arc::default(),
            keys: Arc::new(Keys {
                signing: SigningKey::generate().unwrap(),
                decryption: None,
                jwks: Mutex::new(None),
            }),
            audit: Arc::default(),
            clock: Arc::new(FixedClock(AtomicI64::new(NOW))),
        }
    }

    pub fn services(&self) -> Services {
        Services::new(Arc::clone(&self.store), Arc::clone(&self.keys))
            .audit(Arc::clone(&self.audit))
            .clock(Arc::clone(&self.clock))
    }

    /// A runtime without the disk cache (each test binary compiles once per runtime).
    pub fn runtime(&self, config: RuntimeConfig) -> Runtime {
        Runtime::new(RuntimeConfig { cache_dir: None, ..config }, self.services()).unwrap()
    }

    /// Signs `policy_json` as `revision` with the trusted key.
    pub fn seal(&self, policy_json: &str, revision: u64) -> Vec<u8> {
        seal_with(&self.keys.signing, policy_json, revision)
    }

    /// Signs and stores it as the tenant's snapshot.
    pub fn publish(&self, policy_json: &str, revision: u64) -> Vec<u8> {
        let bytes = self.seal(policy_json, revision);
        let tenant = PolicyDocument::from_json(policy_json).unwrap().tenant;
        self.store.put(&tenant, bytes.clone());
        bytes
    }
}

pub fn seal_with(key: &SigningKey, policy_json: &str, revision: u64) -> Vec<u8> {
    let policy = PolicyDocument::from_json(policy_json).unwrap().into_policy().unwrap();
    Snapshot { revision, issued_at: NOW - 10, expires_at: None, policy }.seal(key).unwrap()
}

/// A small policy: editors inherit viewers, and may not delete.
pub fn blog_policy(extra_member: &str) -> String {
    format!(
        r#"{{"tenant": "{TENANT}",
            "roles": {{
              "viewer": {{"grants": ["posts:read"]}},
              "editor": {{"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}}
            }},
            "members": {{"alice": ["editor"], "bob": ["viewer"]{extra_member}}}}}"#
    )
}
