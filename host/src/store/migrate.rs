//! Versioned schema migrations, applied in order at open, each once, under a lock
//! that makes a second process wait rather than race.

use super::StoreError;
use super::sql::{Backend, Dialect, Tx, params};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "tenants, roles, rules, members, audit",
        sqlite: include_str!("migrations/0001_init.sqlite.sql"),
        postgres: include_str!("migrations/0001_init.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "api keys",
        sqlite: include_str!("migrations/0002_api_keys.sqlite.sql"),
        postgres: include_str!("migrations/0002_api_keys.postgres.sql"),
    },
    Migration {
        version: 3,
        name: "tenant settings",
        sqlite: include_str!("migrations/0003_tenant_settings.sqlite.sql"),
        postgres: include_str!("migrations/0003_tenant_settings.postgres.sql"),
    },
    Migration {
        version: 4,
        name: "credentials and refresh tokens",
        sqlite: include_str!("migrations/0004_credentials.sqlite.sql"),
        postgres: include_str!("migrations/0004_credentials.postgres.sql"),
    },
];

const LEDGER: &str = "CREATE TABLE IF NOT EXISTS tessera_migrations \
     (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Brings the schema to the newest version.
pub(super) fn run(backend: &dyn Backend) -> Result<(), StoreError> {
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
