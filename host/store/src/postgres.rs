//! PostgreSQL, for more than one machine: a pooled connection per transaction.

use std::collections::HashMap;
use std::error::Error;
use std::str::FromStr;
use std::time::Duration;

use bytes::BytesMut;
use r2d2_postgres::PostgresConnectionManager;
use r2d2_postgres::postgres::binary_copy::BinaryCopyInWriter;
use r2d2_postgres::postgres::fallible_iterator::FallibleIterator;
use r2d2_postgres::postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use r2d2_postgres::postgres::{self, IsolationLevel, NoTls, Statement};

use super::StoreError;
use super::sql::{Backend, Body, Dialect, Row, Tx, Value};

/// Any number above is fine; it names the migration lock among the server's advisory locks.
const MIGRATION_LOCK: i64 = 0x0074_6573_7365_7261;

/// A PostgreSQL database.
pub(crate) struct Postgres {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
}

impl Postgres {
    /// Connects to `url` (`postgres://user@host:port/db`, or key=value form).
    pub(crate) fn open(url: &str) -> Result<Self, StoreError> {
        let mut config = postgres::Config::from_str(url).map_err(|e| {
            StoreError::Unavailable(format!("AUTH_POSTGRESQL_URL is not a PostgreSQL URL: {e}"))
        })?;
        config.connect_timeout(Duration::from_secs(10));
        config.application_name("tessera");
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(8)
            // A request waits at most this long for the database before its 503.
            .connection_timeout(Duration::from_secs(5))
            .build(manager)
            .map_err(|e| StoreError::Unavailable(format!("PostgreSQL: {e}")))?;
        Ok(Self { pool })
    }

    fn run(
        &self,
        isolation: IsolationLevel,
        read_only: bool,
        lock: Option<i64>,
        body: &mut Body<'_>,
    ) -> Result<(), StoreError> {
        let mut client = self.pool.get().map_err(|e| StoreError::Unavailable(format!("PostgreSQL: {e}")))?;
        let mut tx =
            client.build_transaction().isolation_level(isolation).read_only(read_only).start().map_err(db)?;
        if let Some(key) = lock {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key]).map_err(db)?;
        }
        let commit = body(&mut PgTx { tx: &mut tx, statements: HashMap::new() })?;
        if commit { tx.commit().map_err(db) } else { tx.rollback().map_err(db) }
    }
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn write(&self, body: &mut Body<'_>) -> Result<(), StoreError> {
        self.run(IsolationLevel::ReadCommitted, false, None, body)
    }

    fn read(&self, body: &mut Body<'_>) -> Result<(), StoreError> {
        // One snapshot for the whole read, so a policy is never read half before and
        // half after a concurrent write.
        self.run(IsolationLevel::RepeatableRead, true, None, body)
    }

    fn migrate(&self, body: &mut Body<'_>) -> Result<(), StoreError> {
        self.run(IsolationLevel::ReadCommitted, false, Some(MIGRATION_LOCK), body)
    }
}

struct PgTx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    /// Prepared once per transaction: an import runs the same insert a million times.
    statements: HashMap<String, Statement>,
}

impl PgTx<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql).map_err(db)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

impl Tx for PgTx<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.tx.execute(&statement, &params).map_err(db)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let statement = self.statement(sql)?;
        let mut rows = self.tx.query_raw(&statement, params.iter()).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let mut values = Vec::with_capacity(row.len());
            for i in 0..row.len() {
                values.push(row.try_get::<_, Value>(i).map_err(db)?);
            }
            each(Row(values))?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.batch_execute(sql).map_err(db)
    }

    /// Binary COPY: an order of magnitude faster than INSERT for an import.
    fn insert_many(&mut self, table: &str, columns: &[&str], rows: &[Value]) -> Result<(), StoreError> {
        let width = columns.len().max(1);
        let Some(first) = rows.get(..width) else { return Ok(()) };
        let types: Vec<Type> = first
            .iter()
            .map(|v| match v {
                Value::Int(_) => Type::INT8,
                Value::Text(_) => Type::TEXT,
                Value::Bytes(_) | Value::Null => Type::BYTEA,
            })
            .collect();
        let sql = format!("COPY {table} ({}) FROM STDIN BINARY", columns.join(", "));
        let writer = self.tx.copy_in(sql.as_str()).map_err(db)?;
        let mut writer = BinaryCopyInWriter::new(writer, &types);
        for row in rows.chunks(width) {
            let values: Vec<&(dyn ToSql + Sync)> = row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            writer.write(&values).map_err(db)?;
        }
        writer.finish().map_err(db)?;
        Ok(())
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Self::Int(v) => v.to_sql(ty, out),
            Self::Text(v) => v.to_sql(ty, out),
            Self::Bytes(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Self::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Self::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Self::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Self::Int(bool::from_sql(ty, raw)?.into()),
            Type::BYTEA => Self::Bytes(Vec::<u8>::from_sql(ty, raw)?),
            _ => Self::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Self::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn db(e: postgres::Error) -> StoreError {
    let code = e.code().map(|c| c.code());
    // A lost connection, and the server shutting down or not yet accepting: the
    // database is unavailable (503, retry later), not broken.
    let unavailable = e.is_closed()
        || code.is_some_and(|c| c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03"))
        || (e.as_db_error().is_none()
            && std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()));
    let message = e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned());
    if unavailable {
        StoreError::Unavailable(format!("PostgreSQL: {message}"))
    } else if code.is_some_and(|c| c.starts_with("23")) {
        StoreError::Constraint(message)
    } else {
        StoreError::Database(message)
    }
}
