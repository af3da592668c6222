//! The seam between the store and a database: a transaction that runs SQL with
//! positional parameters (`$1`, `$2`, ... in both dialects) and hands back rows of
//! plain values. Everything above it — policy writes, field encryption, the audit
//! chain — is written once and runs the same on SQLite and PostgreSQL.

use super::StoreError;

/// One parameter or column value. Integers are 64-bit everywhere (BIGINT in
/// PostgreSQL, INTEGER in SQLite); booleans are stored as 0 and 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// UTF-8 text.
    Text(String),
    /// Bytes (BLOB, BYTEA).
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Self::Bytes(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// `params![a, b, c]` → `[Value; 3]`.
macro_rules! params {
    ($($value:expr),* $(,)?) => { [$($crate::sql::Value::from($value)),*] };
}
pub(crate) use params;

/// One result row.
#[derive(Debug)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, StoreError> {
        self.0.get(i).ok_or_else(|| StoreError::Corrupt(format!("result row has no column {i}")))
    }

    /// An integer column.
    pub(crate) fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!("column {i}: expected an integer, found {other:?}"))),
        }
    }

    /// A text column.
    pub(crate) fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.at(i)? {
            Value::Text(v) => Ok(v.clone()),
            _ => Err(StoreError::Corrupt(format!("column {i}: expected text"))),
        }
    }

    /// A bytes column.
    pub(crate) fn bytes(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        match self.at(i)? {
            Value::Bytes(v) => Ok(v.clone()),
            _ => Err(StoreError::Corrupt(format!("column {i}: expected bytes"))),
        }
    }

    /// A nullable integer column.
    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    /// A nullable bytes column.
    pub(crate) fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.bytes(i).map(Some),
        }
    }
}

/// Statements inside one open transaction.
pub(crate) trait Tx {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;

    /// Runs a query, calling `each` for every row as it arrives (an export of a
    /// million memberships never holds them all as rows).
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Runs several statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;

    /// Inserts rows (flattened, `columns.len()` values each) into `table`: the bulk
    /// path of an import. By default multi-row INSERTs; PostgreSQL uses binary COPY.
    fn insert_many(&mut self, table: &str, columns: &[&str], rows: &[Value]) -> Result<(), StoreError> {
        // 500 rows of 5 values stays far below both databases' parameter limits.
        let width = columns.len().max(1);
        for chunk in rows.chunks(width * 500) {
            let groups: Vec<String> =
                (0..chunk.len() / width).map(|i| placeholders(i * width + 1, width)).collect();
            let sql = format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), groups.join(", "));
            self.execute(&sql, chunk)?;
        }
        Ok(())
    }

    /// All rows of a query.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::new();
        self.query_each(sql, params, &mut |row| {
            rows.push(row);
            Ok(())
        })?;
        Ok(rows)
    }

    /// The single integer a `SELECT COUNT(*) ...` returns.
    fn count(&mut self, sql: &str, params: &[Value]) -> Result<i64, StoreError> {
        self.query_opt(sql, params)?.map_or(Ok(0), |row| row.int(0))
    }

    /// The first row of a query, if any.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// `($first, $first+1, ...)` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    let list: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

/// `column IN ($first, ...)` over `values`, and the values to bind: an equality
/// lookup through every form a sealed value may be stored under.
pub(crate) fn any_of(column: &str, first: usize, values: Vec<Vec<u8>>) -> (String, Vec<Value>) {
    (
        format!("{column} IN {}", placeholders(first, values.len())),
        values.into_iter().map(Value::Bytes).collect(),
    )
}

/// A transaction body. `Ok(true)` commits, `Ok(false)` rolls back (nothing to change),
/// an error rolls back and is returned.
pub(crate) type Body<'a> = dyn FnMut(&mut dyn Tx) -> Result<bool, StoreError> + 'a;

/// Which SQL dialect a backend speaks, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite 3.45+.
    Sqlite,
    /// PostgreSQL 12+.
    Postgres,
}

/// A database the store can run transactions on. Implemented by the SQLite and
/// PostgreSQL backends.
pub(crate) trait Backend: Send + Sync {
    /// The dialect, for migrations.
    fn dialect(&self) -> Dialect;

    /// Runs `body` in a write transaction. Writers to one database are serialized
    /// (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the tenant row lock every write takes
    /// first), so the audit chain and uniqueness checks never race.
    fn write(&self, body: &mut Body<'_>) -> Result<(), StoreError>;

    /// Runs `body` in a read-only transaction that sees one consistent state.
    fn read(&self, body: &mut Body<'_>) -> Result<(), StoreError>;

    /// Runs `body` once, holding the migration lock (across processes).
    fn migrate(&self, body: &mut Body<'_>) -> Result<(), StoreError>;
}
