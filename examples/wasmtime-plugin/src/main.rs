//! Embeds Tessera's engine as a sandboxed wasmtime plugin: the program brings its own
//! snapshot storage (a map in memory) and audit sink (a list it prints), publishes a
//! signed policy, asks for decisions, hot-swaps a new revision, and shows the audit
//! trail. Run it with `cargo run -p wasmtime-plugin`.

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};

use tessera_core::{PolicyDocument, SigningKey, Snapshot, VerifyingKey};
use tessera_runtime::{
    AuditEvent, AuditSink, GuestConfig, KeyProvider, Runtime, RuntimeConfig, ServiceError, Services,
    SnapshotStore,
};

const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

/// Snapshots by tenant, in memory.
#[derive(Default)]
struct MemoryStore(Mutex<HashMap<String, Vec<u8>>>);

impl SnapshotStore for MemoryStore {
    fn snapshot(&self, tenant: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        let snapshots = self.0.lock().map_err(|_| ServiceError("store lock poisoned".into()))?;
        Ok(snapshots.get(tenant).cloned())
    }
}

/// Trusts one snapshot-signing key.
struct OneKey(VerifyingKey);

impl KeyProvider for OneKey {
    fn snapshot_key(&self, kid: &str) -> Option<VerifyingKey> {
        (kid == self.0.kid()).then(|| self.0.clone())
    }
}

/// Keeps every audit event.
#[derive(Default)]
struct AuditList(Mutex<Vec<AuditEvent>>);

impl AuditSink for AuditList {
    fn append(&self, event: AuditEvent) -> Result<(), ServiceError> {
        self.0.lock().map_err(|_| ServiceError("audit lock poisoned".into()))?.push(event);
        Ok(())
    }
}

fn policy(members: &str) -> String {
    format!(
        r#"{{"tenant": "{TENANT}",
            "roles": {{
              "viewer": {{"grants": ["posts:read"]}},
              "editor": {{"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}}
            }},
            "members": {{{members}}}}}"#
    )
}

fn publish(
    store: &MemoryStore,
    key: &SigningKey,
    members: &str,
    revision: u64,
) -> Result<(), Box<dyn Error>> {
    let policy = PolicyDocument::from_json(&policy(members))?.into_policy()?;
    let sealed = Snapshot { revision, issued_at: 0, expires_at: None, policy }.seal(key)?;
    store.0.lock().map_err(|_| "store lock poisoned")?.insert(TENANT.into(), sealed);
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let key = SigningKey::generate()?;
    let store = Arc::new(MemoryStore::default());
    let audit = Arc::new(AuditList::default());
    publish(&store, &key, r#""alice": ["editor"], "bob": ["viewer"]"#, 1)?;

    let services = Services::new(Arc::clone(&store), OneKey(key.verifying_key())).audit(Arc::clone(&audit));
    let runtime = Runtime::new(RuntimeConfig::default(), services)?;
    let authz = runtime.authorizer(TENANT, GuestConfig::default())?;
    println!("module: {:?}; revision {} loaded", runtime.module_source(), authz.info().revision);

    let ask = |user: &str, permission: &str| -> Result<(), Box<dyn Error>> {
        let decision = authz.check(user, permission)?;
        let why = match (decision.role(), decision.pattern()) {
            (Some(role), Some(pattern)) => format!("{} by {role} ({pattern})", decision.reason()),
            _ => decision.reason().to_string(),
        };
        println!("{user:>6} {permission:<13} {:<7} {why}", if decision.allowed() { "allow" } else { "deny" });
        Ok(())
    };
    for (user, permission) in
        [("alice", "posts:edit"), ("alice", "posts:delete"), ("bob", "posts:read"), ("carol", "posts:read")]
    {
        ask(user, permission)?;
    }

    publish(&store, &key, r#""alice": ["editor"], "bob": ["viewer"], "carol": ["viewer"]"#, 2)?;
    println!("reloaded: revision {}", authz.reload()?.revision);
    ask("carol", "posts:read")?;

    publish(&store, &key, r#""mallory": ["editor"]"#, 1)?;
    match authz.reload() {
        Ok(info) => println!("unexpected: revision {} accepted", info.revision),
        Err(error) => println!("rollback refused: {} ({error})", error.code()),
    }

    for event in audit.0.lock().map_err(|_| "audit lock poisoned")?.iter() {
        let outcome = if event.success { "ok" } else { "refused" };
        println!(
            "audit: {} {} {} {outcome}",
            event.action,
            event.actor.as_deref().unwrap_or("-"),
            event.entity
        );
    }
    Ok(())
}
