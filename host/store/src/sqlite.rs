//! The embedded default: one SQLite file in WAL mode, reached through a small pool.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use r2d2_sqlite::rusqlite::{self, TransactionBehavior, types::ValueRef};

use super::StoreError;
use super::sql::{Backend, Body, Dialect, Row, Tx, Value};

/// How long a writer waits for another before giving up (SQLite's busy timeout).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A SQLite database file.
pub(crate) struct Sqlite {
    pool: r2d2::Pool<SqliteConnectionManager>,
}

impl Sqlite {
    /// Opens (creating it with mode 0600, in a directory of mode 0700) the file at `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        create_private(path)?;
        // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss,
        // and an acknowledged write must survive that too. secure_delete: a value
        // re-encrypted or deleted is overwritten, not left readable in a free page.
        // A 64 MiB page cache (2 MiB by default) halves a 1M-membership import.
        let manager = SqliteConnectionManager::file(path).with_init(|conn| {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                 PRAGMA secure_delete = ON; PRAGMA cache_size = -65536;",
            )
        });
        let pool = r2d2::Pool::builder()
            .max_size(4)
            .connection_timeout(BUSY_TIMEOUT)
            .build(manager)
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
        Ok(Self { pool })
    }

    fn run(&self, behavior: TransactionBehavior, body: &mut Body<'_>) -> Result<(), StoreError> {
        let mut conn = self.pool.get().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let tx = conn.transaction_with_behavior(behavior).map_err(db)?;
        let commit = body(&mut SqliteTx(&tx))?;
        if commit { tx.commit().map_err(db) } else { tx.rollback().map_err(db) }
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn write(&self, body: &mut Body<'_>) -> Result<(), StoreError> {
        self.run(TransactionBehavior::Immediate, body)
    }

    fn read(&self, body: &mut Body<'_>) -> Result<(), StoreError> {
        self.run(TransactionBehavior::Deferred, body)
    }

    fn migrate(&self, body: &mut Body<'_>) -> Result<(), StoreError> {
        // IMMEDIATE takes the write lock at once: a second process migrating waits.
        self.run(TransactionBehavior::Immediate, body)
    }
}

/// The file and its directory exist, readable by the owner only, before SQLite
/// opens it; SQLite gives its `-wal` and `-shm` files the same mode.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Unavailable(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(io)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(io)?;
    Ok(())
}

/// `sqlite://PATH` or `sqlite:PATH` → PATH.
pub(crate) fn path_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    (!rest.is_empty()).then(|| PathBuf::from(rest))
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

/// `$1` → `?1`: the store writes PostgreSQL's placeholders, SQLite numbers them with `?`.
fn translate(sql: &str) -> String {
    sql.replace('$', "?")
}

fn bind(params: &[Value]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|v| match v {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(i) => rusqlite::types::Value::Integer(*i),
            Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Value::Bytes(b) => rusqlite::types::Value::Blob(b.clone()),
        })
        .collect()
}

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut statement = self.0.prepare_cached(&translate(sql)).map_err(db)?;
        let changed = statement.execute(rusqlite::params_from_iter(bind(params))).map_err(db)?;
        Ok(changed as u64)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.0.prepare_cached(&translate(sql)).map_err(db)?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(bind(params))).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(db)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Int(v as i64),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                });
            }
            each(Row(values))?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.execute_batch(sql).map_err(db)
    }
}

fn db(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{
        CannotOpen, ConstraintViolation, DatabaseBusy, DatabaseLocked, DiskFull, ReadOnly, SystemIoFailure,
    };
    match &e {
        rusqlite::Error::SqliteFailure(code, _) if code.code == ConstraintViolation => {
            StoreError::Constraint(e.to_string())
        }
        // The file cannot take a write now (a full disk, a read-only file system, an
        // I/O error, a lock held too long): unavailable, retry later; the transaction
        // was rolled back.
        rusqlite::Error::SqliteFailure(code, _)
            if matches!(
                code.code,
                DiskFull | ReadOnly | SystemIoFailure | CannotOpen | DatabaseBusy | DatabaseLocked
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}
