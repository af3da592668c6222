//! # tessera-store
//!
//! Where policy lives between edits: tenants, roles, grants, denies, memberships and
//! the audit log, in SQLite (the embedded default) or PostgreSQL.
//!
//! Both backends implement one small trait (`sql::Backend`: transactions running
//! the same SQL); everything else — validation, field encryption, the audit chain —
//! is written once here. Every change is one transaction that first locks its
//! tenant's row (bumping the revision), then writes the change and its audit row: a
//! change whose audit row cannot be written is rolled back.
//!
//! The [`keyring`] beside the database holds every key the host generated (snapshot
//! and token signing, field encryption, audit chain): never in the database, whose
//! readers must not hold the keys that sign its snapshots or decrypt its columns.

mod api_keys;
mod audit;
mod client_key;
mod credentials;
mod error;
mod fields;
pub mod keyring;
mod migrate;
mod model;
mod policy;
mod postgres;
mod reencrypt;
pub(crate) mod sql;
mod sqlite;
mod tenant;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub use api_keys::{API_KEY_PREFIX, ApiKeyInfo, ApiKeyOwner, KeyStatus, Revoked};
pub use audit::{AuditKey, AuditKeys, Broken, Entry, Filter, Record, Verification};
pub use client_key::{
    TENANT_AUDIENCE_PREFIX, canonical_client_key, fingerprint, fingerprint_of_digest, key_digest,
    new_client_key, public_tenant_id, tenant_audience,
};
pub use credentials::{Login, RefreshOutcome};
pub use error::StoreError;
pub use fields::FieldKeys;
pub use model::{EntryKind, ModelEntry, grant_key};
pub use policy::{Change, ImportSummary, RoleInfo};
pub use reencrypt::Reencrypted;
use sql::{Backend, Tx, params};
pub use tenant::{Published, Rotated, TenantSettings};

/// The client key of the installation's own audit chain (key rotation, re-encryption).
pub const SYSTEM_TENANT: &str = "00000000-0000-0000-0000-000000000000";

/// The PostgreSQL channel every committed change is announced on, with the digest of
/// the tenant's client key (before the change, for a client-key rotation) as the
/// payload ([`key_digest`]; never the key itself, which any listener would read).
pub const CHANGES_CHANNEL: &str = "tessera_changes";

/// Which database to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://...`).
    Postgres(String),
}

impl Location {
    /// Parses `sqlite://PATH`, `postgres://...` or `postgresql://...`.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = sqlite::path_of(url) {
            return Ok(Self::Sqlite(path));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(StoreError::Unavailable(format!(
            "AUTH_DATABASE_URL must start with sqlite:// or postgres:// (got `{}`)",
            url.split(':').next().unwrap_or_default()
        )))
    }
}

impl std::fmt::Display for Location {
    /// The SQLite path, or the PostgreSQL URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    let user = &url[scheme + 3..at];
                    let user = user.split(':').next().unwrap_or_default();
                    write!(f, "{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
                }
                _ => f.write_str(url),
            },
        }
    }
}

/// Who makes changes, and in which tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The tenant's client key (canonical lowercase UUID4).
    pub tenant: String,
    /// Who acts, for the audit log (`cli:alice`, an API key's user, ...).
    pub actor: String,
}

/// A tenant's internal id ([`Store::tenant_id`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TenantId(pub i64);

/// The tenant row as a write transaction holds it locked.
#[derive(Clone)]
pub(crate) struct Locked {
    pub(crate) id: i64,
    pub(crate) revision: i64,
    pub(crate) audit_seq: i64,
    pub(crate) audit_head: Vec<u8>,
}

/// The authoring store.
pub struct Store {
    backend: Box<dyn Backend>,
    keys: FieldKeys,
    audit: bool,
    /// Whether a tenant with no stored `strict_users` is strict.
    strict_users_default: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("keys", &self.keys).field("audit", &self.audit).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `location`, creating and migrating its schema.
    /// `audit` false writes no audit rows (`AUTH_ENABLE_AUDIT_LOGGING=false`).
    pub fn open(location: &Location, keys: FieldKeys, audit: bool) -> Result<Self, StoreError> {
        let backend: Box<dyn Backend> = match location {
            Location::Sqlite(path) => Box::new(sqlite::Sqlite::open(path)?),
            Location::Postgres(url) => Box::new(postgres::Postgres::open(url)?),
        };
        migrate::run(backend.as_ref(), &keys)?;
        Ok(Self { backend, keys, audit, strict_users_default: true })
    }

    /// Whether tenants with no stored `strict_users` setting are strict
    /// (`AUTH_STRICT_USERS_DEFAULT`; true, as in Auth 3.x, unless set here).
    pub fn with_strict_users_default(mut self, strict: bool) -> Self {
        self.strict_users_default = strict;
        self
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(|tx| migrate::version(tx))
    }

    /// Runs `body` in a read transaction.
    pub(crate) fn read<T>(
        &self,
        mut body: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut out = None;
        self.backend.read(&mut |tx| {
            out = Some(body(tx)?);
            Ok(false)
        })?;
        out.ok_or_else(|| StoreError::Database("the read transaction did not run".into()))
    }

    /// One change in `scope`: locks the tenant, runs `body`, and when it reports a
    /// change, appends its audit entry and commits. `None` from `body` means nothing
    /// changed: the transaction is rolled back and the revision stays.
    pub(crate) fn change(
        &self,
        scope: &Scope,
        body: impl FnMut(&mut dyn Tx, &Locked) -> Result<Option<Entry>, StoreError>,
    ) -> Result<Change, StoreError> {
        self.audited(scope, true, body)
    }

    /// Like [`change`](Self::change), but for state that is not policy (login
    /// attempts, refresh tokens): the revision stays, so snapshots are not rebuilt.
    pub(crate) fn audited(
        &self,
        scope: &Scope,
        bump: bool,
        mut body: impl FnMut(&mut dyn Tx, &Locked) -> Result<Option<Entry>, StoreError>,
    ) -> Result<Change, StoreError> {
        let mut out = None;
        self.backend.write(&mut |tx| {
            let locked = lock(tx, &scope.tenant, bump)?;
            let Some(entry) = body(tx, &locked)? else {
                out = Some(Change { revision: locked.revision - i64::from(bump), changed: false });
                return Ok(false);
            };
            if self.audit {
                audit::append(tx, &self.keys, &locked, now(), Some(&scope.actor), &entry)?;
            }
            if bump && self.backend.dialect() == sql::Dialect::Postgres {
                // Delivered to listeners at commit, and only if it commits.
                tx.execute("SELECT pg_notify($1, $2)", &params![CHANGES_CHANNEL, key_digest(&scope.tenant)])?;
            }
            out = Some(Change { revision: locked.revision, changed: true });
            Ok(true)
        })?;
        out.ok_or_else(|| StoreError::Database("the write transaction did not run".into()))
    }

    /// Appends an audit entry that changes no policy (a check, an issued token, a key
    /// rotation), in its own transaction. Nothing is written with audit logging off.
    pub fn record(&self, tenant: &str, actor: Option<&str>, entry: &Entry) -> Result<(), StoreError> {
        if !self.audit {
            return Ok(());
        }
        self.backend.write(&mut |tx| {
            let locked = lock(tx, tenant, false)?;
            audit::append(tx, &self.keys, &locked, now(), actor, entry)?;
            Ok(true)
        })
    }

    /// The tenant's internal id, which never changes, not even when its client key is
    /// rotated: what events produced under the old key are filed by.
    pub fn tenant_id(&self, client_key: &str) -> Result<TenantId, StoreError> {
        self.tenant_id_of_digest(&key_digest(client_key))
    }

    /// [`tenant_id`](Self::tenant_id) of the tenant with this key digest.
    pub fn tenant_id_of_digest(&self, digest: &str) -> Result<TenantId, StoreError> {
        self.read(|tx| Ok(TenantId(tenant_row_of_digest(tx, digest)?.0)))
    }

    /// Appends many such entries in one transaction (each still chained in its own
    /// tenant, named by its id): the server's queue of decision events.
    pub fn record_all(&self, entries: &[(TenantId, Option<String>, Entry)]) -> Result<(), StoreError> {
        if !self.audit || entries.is_empty() {
            return Ok(());
        }
        // Each tenant's entries in their order; tenants in order of first appearance.
        let mut tenants: Vec<(TenantId, Vec<audit::Pending<'_>>)> = Vec::new();
        for (tenant, actor, entry) in entries {
            let item = (actor.as_deref(), entry);
            match tenants.iter_mut().find(|(t, _)| t == tenant) {
                Some((_, items)) => items.push(item),
                None => tenants.push((*tenant, vec![item])),
            }
        }
        self.backend.write(&mut |tx| {
            for (tenant, items) in &tenants {
                let row = tx
                    .query_opt(
                        "UPDATE tenants SET revision = revision WHERE id = $1 \
                         RETURNING id, revision, audit_seq, audit_head",
                        &params![tenant.0],
                    )?
                    .ok_or_else(|| StoreError::UnknownTenant(format!("id {}", tenant.0)))?;
                let mut locked = Locked {
                    id: row.int(0)?,
                    revision: row.int(1)?,
                    audit_seq: row.int(2)?,
                    audit_head: row.bytes(3)?,
                };
                audit::append_all(tx, &self.keys, &mut locked, now(), items)?;
            }
            Ok(true)
        })
    }

    /// Creates a tenant (a fresh UUID4 client key unless one is given) and records it.
    pub fn create_tenant(&self, client_key: Option<&str>, actor: &str) -> Result<String, StoreError> {
        let client_key = match client_key {
            Some(key) => canonical_client_key(key)?,
            None => new_client_key()?,
        };
        let digest = key_digest(&client_key);
        self.backend.write(&mut |tx| {
            // ON CONFLICT, not a SELECT first: two first writes of a new client key
            // racing on PostgreSQL must not end in a unique violation.
            let inserted = tx.execute(
                "INSERT INTO tenants (key_digest, audit_head, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key_digest) DO NOTHING",
                &params![digest.as_str(), audit::GENESIS.to_vec(), now()],
            )?;
            if inserted == 0 {
                return Err(StoreError::Exists { kind: "tenant", name: fingerprint(&client_key) });
            }
            if self.audit {
                let locked = lock(tx, &client_key, false)?;
                let entry =
                    Entry::new("tenant.create", "tenant", fingerprint(&client_key), serde_json::json!({}));
                audit::append(tx, &self.keys, &locked, now(), Some(actor), &entry)?;
            }
            Ok(true)
        })?;
        Ok(client_key)
    }

    /// Whether a tenant with this client key exists.
    pub fn has_tenant(&self, client_key: &str) -> Result<bool, StoreError> {
        let digest = key_digest(client_key);
        self.read(|tx| {
            Ok(tx
                .query_opt("SELECT id FROM tenants WHERE key_digest = $1", &params![digest.as_str()])?
                .is_some())
        })
    }

    /// Every tenant's key digest, sorted (the installation's own chain left out): the
    /// store holds no client key to list.
    pub fn tenant_digests(&self) -> Result<Vec<String>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT key_digest FROM tenants WHERE key_digest <> $1 ORDER BY key_digest",
                &params![key_digest(SYSTEM_TENANT)],
            )?;
            rows.iter().map(|r| r.text(0)).collect()
        })
    }

    /// The tenant's revision: it grows with every change.
    pub fn revision(&self, tenant: &str) -> Result<u64, StoreError> {
        self.revision_of_digest(&key_digest(tenant))
    }

    /// [`revision`](Self::revision) of the tenant with this key digest.
    pub fn revision_of_digest(&self, digest: &str) -> Result<u64, StoreError> {
        self.read(|tx| Ok(tenant_row_of_digest(tx, digest)?.1))
    }

    /// Audit rows of `tenant` matching `filter`, newest first.
    pub fn audit_query(&self, tenant: &str, filter: &Filter) -> Result<Vec<Record>, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row(tx, tenant)?;
            audit::query(tx, &self.keys, id, filter)
        })
    }

    /// How many audit rows of `tenant` match `filter` (its limit and offset aside).
    pub fn audit_count(&self, tenant: &str, filter: &Filter) -> Result<i64, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row(tx, tenant)?;
            audit::count(tx, &self.keys, id, filter)
        })
    }

    /// Checks `tenant`'s audit chain.
    pub fn audit_verify(&self, tenant: &str) -> Result<Verification, StoreError> {
        self.audit_verify_digest(&key_digest(tenant))
    }

    /// Checks the audit chain of the tenant with this key digest (what
    /// [`tenant_digests`](Self::tenant_digests) lists).
    pub fn audit_verify_digest(&self, digest: &str) -> Result<Verification, StoreError> {
        self.read(|tx| {
            let row = tx
                .query_opt("SELECT id FROM tenants WHERE key_digest = $1", &params![digest])?
                .ok_or_else(|| StoreError::UnknownTenant(fingerprint_of_digest(digest)))?;
            audit::verify(tx, &self.keys, row.int(0)?, &fingerprint_of_digest(digest))
        })
    }
}

/// Locks the tenant row for the rest of the transaction (an UPDATE takes the row
/// lock in PostgreSQL; SQLite's IMMEDIATE transaction already holds the database).
fn lock(tx: &mut dyn Tx, tenant: &str, bump: bool) -> Result<Locked, StoreError> {
    let sql = if bump {
        "UPDATE tenants SET revision = revision + 1 WHERE key_digest = $1 RETURNING id, revision, audit_seq, audit_head"
    } else {
        "UPDATE tenants SET revision = revision WHERE key_digest = $1 RETURNING id, revision, audit_seq, audit_head"
    };
    let row = tx
        .query_opt(sql, &params![key_digest(tenant)])?
        .ok_or_else(|| StoreError::UnknownTenant(fingerprint(tenant)))?;
    Ok(Locked { id: row.int(0)?, revision: row.int(1)?, audit_seq: row.int(2)?, audit_head: row.bytes(3)? })
}

/// The tenant's internal id and revision.
fn tenant_row(tx: &mut dyn Tx, tenant: &str) -> Result<(i64, u64), StoreError> {
    tenant_row_of_digest(tx, &key_digest(tenant))
}

/// [`tenant_row`] of the tenant with this key digest.
fn tenant_row_of_digest(tx: &mut dyn Tx, digest: &str) -> Result<(i64, u64), StoreError> {
    let row = tx
        .query_opt("SELECT id, revision FROM tenants WHERE key_digest = $1", &params![digest])?
        .ok_or_else(|| StoreError::UnknownTenant(fingerprint_of_digest(digest)))?;
    Ok((row.int(0)?, u64::try_from(row.int(1)?).unwrap_or(0)))
}

/// Seconds since the Unix epoch: the clock that stamps rows and that expiries stored
/// here (API keys, refresh tokens, lockouts) are compared with.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Decisions and security events from the guest go into the tenant's audit chain.
impl tessera_runtime::AuditSink for Store {
    fn append(&self, event: tessera_runtime::AuditEvent) -> Result<(), tessera_runtime::ServiceError> {
        let (tenant, actor, entry) = Entry::from_guest(event);
        self.record(&tenant, actor.as_deref(), &entry)
            .map_err(|e| tessera_runtime::ServiceError(format!("audit log: {}", e.code())))
    }
}
