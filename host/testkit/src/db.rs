//! Databases for the storage tests: a fresh SQLite file, or a fresh schema on the
//! PostgreSQL server named by TEST_POSTGRES_URL (scripts/test.sh sets it when the
//! local server answers). Each gives raw SQL access too, for the tamper tests.

use std::path::PathBuf;

use r2d2_postgres::postgres::{Client, NoTls};
use r2d2_sqlite::rusqlite::Connection;
use tessera_store::{AuditKey, AuditKeys, FieldKeys, Location, Store};

/// Keys that link the audit chain as a server's keyring does (a fixed test key).
pub fn audit_keyed() -> FieldKeys {
    FieldKeys::plain().with_audit_keys(AuditKeys::new(AuditKey::new("audit-test", [5; 32]), vec![]))
}

/// One test's database.
pub struct TestDb {
    /// `sqlite` or `postgres`, for test messages.
    pub name: &'static str,
    /// Where it is.
    pub location: Location,
    /// SQLite: the file (and its directory, removed at the end).
    dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the base URL and the test's schema (dropped at the end).
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file in a directory of its own.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("tessera.db"));
        Self { name: "sqlite", location, dir: Some(dir), postgres: None }
    }

    /// `None` (with a loud message) when TEST_POSTGRES_URL is not set.
    pub fn postgres() -> Option<Self> {
        let Ok(base) = std::env::var("TEST_POSTGRES_URL") else {
            eprintln!("!!! TEST_POSTGRES_URL is not set: SKIPPING the PostgreSQL half of this test !!!");
            return None;
        };
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).unwrap();
        let schema: String =
            format!("tessera_test_{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let mut client = Client::connect(&base, NoTls)
            .unwrap_or_else(|e| panic!("TEST_POSTGRES_URL is set but PostgreSQL does not answer: {e}"));
        client.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        Some(Self {
            name: "postgres",
            location: Location::Postgres(url),
            dir: None,
            postgres: Some((base, schema)),
        })
    }

    /// A SQLite database at `path` (in a directory the test made, on a file system
    /// of its own choosing).
    pub fn sqlite_at(path: PathBuf) -> Self {
        Self { name: "sqlite", location: Location::Sqlite(path), dir: None, postgres: None }
    }

    /// The PostgreSQL database at `url` as it is (a private cluster a test runs itself).
    pub fn postgres_at(url: String) -> Self {
        Self { name: "postgres", location: Location::Postgres(url), dir: None, postgres: None }
    }

    /// Another fresh database of the same backend.
    pub fn same_kind(&self) -> Self {
        match self.location {
            Location::Sqlite(_) => Self::sqlite(),
            Location::Postgres(_) => Self::postgres().unwrap(),
        }
    }

    /// Both backends (PostgreSQL when configured).
    pub fn all() -> Vec<Self> {
        let mut all = vec![Self::sqlite()];
        all.extend(Self::postgres());
        all
    }

    /// The store on it, migrated.
    pub fn open(&self, keys: FieldKeys) -> Store {
        Store::open(&self.location, keys, true).unwrap()
    }

    /// AUTH_DATABASE_URL for this database.
    pub fn url(&self) -> String {
        match &self.location {
            Location::Sqlite(path) => format!("sqlite://{}", path.display()),
            Location::Postgres(url) => url.clone(),
        }
    }

    /// The SQLite file, when it is one.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.location {
            Location::Sqlite(path) => Some(path.clone()),
            Location::Postgres(_) => None,
        }
    }

    /// Runs statements directly, behind the store's back.
    pub fn sql(&self, statements: &str) {
        match &self.location {
            Location::Sqlite(path) => Connection::open(path).unwrap().execute_batch(statements).unwrap(),
            Location::Postgres(url) => {
                Client::connect(url, NoTls).unwrap().batch_execute(statements).unwrap()
            }
        }
    }

    /// Every row of `table` as text, for scanning for plaintext (bytes as raw bytes).
    pub fn dump(&self, table: &str) -> Vec<u8> {
        match &self.location {
            Location::Sqlite(_) => {
                // The whole file and its WAL: what a thief of the disk would read.
                let path = self.sqlite_path().unwrap();
                let mut bytes = std::fs::read(&path).unwrap_or_default();
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                bytes.extend(std::fs::read(PathBuf::from(wal)).unwrap_or_default());
                bytes
            }
            Location::Postgres(url) => {
                let mut client = Client::connect(url, NoTls).unwrap();
                let mut out = Vec::new();
                // Text of every column; bytea comes out as hex, so decode it back.
                for row in client.query(&format!("SELECT t::text FROM {table} t"), &[]).unwrap() {
                    let text: String = row.get(0);
                    out.extend_from_slice(text.as_bytes());
                    for part in text.split("\\x").skip(1) {
                        let hex: String = part.chars().take_while(char::is_ascii_hexdigit).collect();
                        out.extend(
                            (0..hex.len() / 2)
                                .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()),
                        );
                    }
                }
                out
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.postgres
            && let Ok(mut client) = Client::connect(base, NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
        drop(self.dir.take());
    }
}
