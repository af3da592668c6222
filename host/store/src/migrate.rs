//! Versioned schema migrations, applied in order at open, each once, under a lock
//! that makes a second process wait rather than race.

use super::sql::{Backend, Dialect, Tx, params};
use super::{FieldKeys, StoreError, audit, client_key};

/// A data step of a migration, run after its SQL in the same transaction.
type Step = fn(&mut dyn Tx, &FieldKeys) -> Result<(), StoreError>;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    then: Option<Step>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "tenants, roles, rules, members, audit",
        sqlite: include_str!("migrations/0001_init.sqlite.sql"),
        postgres: include_str!("migrations/0001_init.postgres.sql"),
        then: None,
    },
    Migration {
        version: 2,
        name: "api keys",
        sqlite: include_str!("migrations/0002_api_keys.sqlite.sql"),
        postgres: include_str!("migrations/0002_api_keys.postgres.sql"),
        then: None,
    },
    Migration {
        version: 3,
        name: "tenant settings",
        sqlite: include_str!("migrations/0003_tenant_settings.sqlite.sql"),
        postgres: include_str!("migrations/0003_tenant_settings.postgres.sql"),
        then: None,
    },
    Migration {
        version: 4,
        name: "credentials and refresh tokens",
        sqlite: include_str!("migrations/0004_credentials.sqlite.sql"),
        postgres: include_str!("migrations/0004_credentials.postgres.sql"),
        then: None,
    },
    Migration {
        version: 5,
        name: "tenants by client-key digest",
        sqlite: include_str!("migrations/0005_key_digests.sqlite.sql"),
        postgres: include_str!("migrations/0005_key_digests.postgres.sql"),
        then: Some(digest_client_keys),
    },
    Migration {
        version: 6,
        name: "audit chain keyed",
        sqlite: include_str!("migrations/0006_audit_keys.sqlite.sql"),
        postgres: include_str!("migrations/0006_audit_keys.postgres.sql"),
        then: Some(audit::key_chains),
    },
    Migration {
        version: 7,
        name: "strict users default",
        sqlite: include_str!("migrations/0007_strict_users_default.sqlite.sql"),
        postgres: include_str!("migrations/0007_strict_users_default.postgres.sql"),
        then: None,
    },
    Migration {
        version: 8,
        name: "resource model entries",
        sqlite: include_str!("migrations/0008_model_entries.sqlite.sql"),
        postgres: include_str!("migrations/0008_model_entries.postgres.sql"),
        then: None,
    },
];

const LEDGER: &str = "CREATE TABLE IF NOT EXISTS tessera_migrations \
     (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Brings the schema to the newest version.
pub(super) fn run(backend: &dyn Backend, keys: &FieldKeys) -> Result<(), StoreError> {
    let dialect = backend.dialect();
    backend.migrate(&mut |tx| {
        tx.batch(LEDGER)?;
        let current = version(tx)?;
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        if current > known {
            return Err(StoreError::SchemaTooNew { found: current, known });
        }
        for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
            tx.batch(match dialect {
                Dialect::Sqlite => migration.sqlite,
                Dialect::Postgres => migration.postgres,
            })?;
            if let Some(step) = migration.then {
                step(tx, keys)?;
            }
            tx.execute(
                "INSERT INTO tessera_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &params![migration.version, migration.name, super::now()],
            )?;
        }
        Ok(true)
    })
}

/// The newest applied version (0 for an empty database).
pub(super) fn version(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    let row = tx.query_opt("SELECT MAX(version) FROM tessera_migrations", &[])?;
    Ok(row.map(|r| r.opt_int(0)).transpose()?.flatten().unwrap_or(0))
}

/// Version 5: each stored client key becomes its digest, and the audit entries that
/// named a key (`tenant.create`, `policy.import`) name its fingerprint instead, the
/// chain hashed again. A tenant whose chain was already broken keeps its rows as
/// they are, so the break stays visible (`tessera audit verify`).
fn digest_client_keys(tx: &mut dyn Tx, keys: &FieldKeys) -> Result<(), StoreError> {
    let tenants: Vec<(i64, String)> = tx
        .query("SELECT id, key_digest FROM tenants", &[])?
        .iter()
        .map(|row| Ok((row.int(0)?, row.text(1)?)))
        .collect::<Result<_, StoreError>>()?;
    for (id, client_key) in tenants {
        let (digest, fingerprint) =
            (client_key::key_digest(&client_key), client_key::fingerprint(&client_key));
        tx.execute("UPDATE tenants SET key_digest = $1 WHERE id = $2", &params![digest, id])?;
        let named = tx.count(
            "SELECT COUNT(*) FROM audit WHERE tenant = $1 AND action IN ('tenant.create', 'policy.import')",
            &params![id],
        )?;
        if named > 0 && !audit::rewrite_entity(tx, keys, id, &fingerprint, (&client_key, &fingerprint))? {
            tracing::warn!(
                tenant = %fingerprint,
                "the audit chain is broken; its rows are left as they are and may still name the client key"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    use super::*;
    use crate::{AuditKey, AuditKeys, Entry, Location, Store, fingerprint, key_digest};

    const KEY: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

    fn keyed() -> FieldKeys {
        FieldKeys::plain().with_audit_keys(AuditKeys::new(AuditKey::new("audit-test", [7; 32]), vec![]))
    }

    /// Takes a database back to the schema before `version`, running `then` in the
    /// same transaction first (the rows an older version wrote).
    fn back_to_before(
        store: &Store,
        version: i64,
        then: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) {
        store
            .backend
            .write(&mut |tx| {
                then(tx)?;
                tx.execute("DELETE FROM tessera_migrations WHERE version >= $1", &params![version])?;
                tx.batch("ALTER TABLE audit DROP COLUMN chain_kid")?;
                // Version 8's table; version 7 runs again as it is (it renames back).
                tx.batch("DROP TABLE model_entries")?;
                Ok(true)
            })
            .unwrap();
    }

    /// A version-4 database names tenants by client key and its audit chain names
    /// the key in `tenant.create` and `policy.import`: version 5 keeps digests only,
    /// names fingerprints in the log, and the chain still verifies (keyed by version 6).
    #[test]
    fn version_5_takes_client_keys_out_of_tenants_and_the_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("t.db"));
        let store = Store::open(&location, FieldKeys::plain(), true).unwrap();
        store.create_tenant(Some(KEY), "test").unwrap();
        // Back to what version 4 wrote: the key in the tenant row, and log entries
        // naming it, chained correctly.
        back_to_before(&store, 5, &mut |tx| {
            for key in [KEY, crate::SYSTEM_TENANT] {
                tx.execute(
                    "UPDATE tenants SET key_digest = $1 WHERE key_digest = $2",
                    &params![key, key_digest(key)],
                )?;
            }
            let locked = super::super::lock(tx, KEY, false);
            assert!(locked.is_err(), "found by digest only");
            tx.batch("ALTER TABLE tenants RENAME COLUMN key_digest TO client_key")?;
            let row = tx
                .query_opt(
                    "SELECT id, revision, audit_seq, audit_head FROM tenants WHERE client_key = $1",
                    &params![KEY],
                )?
                .unwrap();
            let locked = super::super::Locked {
                id: row.int(0)?,
                revision: row.int(1)?,
                audit_seq: row.int(2)?,
                audit_head: row.bytes(3)?,
            };
            let entry = Entry::new("policy.import", "tenant", KEY, serde_json::json!({"roles": 0}));
            audit::append(tx, &FieldKeys::plain(), &locked, 1, Some("cli:old"), &entry)
        });
        drop(store);
        let store = Store::open(&location, keyed(), true).unwrap();
        let verification = store.audit_verify(KEY).unwrap();
        assert_eq!(verification.broken, None);
        assert_eq!((verification.rows, verification.tenant.as_str()), (2, fingerprint(KEY).as_str()));
        let records = store.audit_query(KEY, &crate::Filter { limit: 10, ..Default::default() }).unwrap();
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.entity == fingerprint(KEY)), "{records:?}");
        assert!(store.has_tenant(KEY).unwrap());
        assert_eq!(store.tenant_digests().unwrap(), [key_digest(KEY)]);
        drop(store);
        let bytes = std::fs::read(dir.path().join("t.db")).unwrap();
        let wal = std::fs::read(dir.path().join("t.db-wal")).unwrap_or_default();
        for file in [bytes, wal] {
            assert!(!file.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "the key is gone from the files");
        }
    }

    /// Version 6 links chains again under the audit key as far as they verify: an
    /// intact chain verifies keyed afterwards (and no longer without the key), a
    /// broken one is still found broken at the same row.
    #[test]
    fn version_6_keys_chains_as_far_as_they_verify() {
        const OTHER: &str = "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("t.db"));
        let store = Store::open(&location, FieldKeys::plain(), true).unwrap();
        for tenant in [KEY, OTHER] {
            store.create_tenant(Some(tenant), "test").unwrap();
            let scope = crate::Scope { tenant: tenant.into(), actor: "test".into() };
            for role in ["a", "b", "c", "d"] {
                store.add_role(&scope, role, None, &[]).unwrap();
            }
        }
        back_to_before(&store, 6, &mut |tx| {
            tx.execute(
                "UPDATE audit SET action = 'role.delete' WHERE seq = 3 AND tenant = \
                 (SELECT id FROM tenants WHERE key_digest = $1)",
                &params![key_digest(OTHER)],
            )
            .map(drop)
        });
        drop(store);
        let store = Store::open(&location, keyed(), true).unwrap();
        let intact = store.audit_verify(KEY).unwrap();
        assert_eq!((intact.rows, intact.broken), (5, None));
        let broken = store.audit_verify(OTHER).unwrap().broken.unwrap();
        assert_eq!(broken.seq, 3, "{}", broken.problem);
        store.add_role(&crate::Scope { tenant: KEY.into(), actor: "test".into() }, "e", None, &[]).unwrap();
        assert_eq!(store.audit_verify(KEY).unwrap().broken, None);
        drop(store);
        let unkeyed = Store::open(&location, FieldKeys::plain(), true).unwrap();
        let broken = unkeyed.audit_verify(KEY).unwrap().broken.unwrap();
        assert_eq!(broken.seq, 1, "{}", broken.problem);
        assert!(broken.problem.contains("audit-test"), "{}", broken.problem);
    }
}
