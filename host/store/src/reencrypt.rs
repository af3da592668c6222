//! Moving every sealed row to the current data key (or to the clear, with encryption
//! off), in small transactions, so the service keeps running and an interrupted run
//! resumes where it stopped: a row is done when its `key_id` is the current one.

use serde::Serialize;

use super::fields::Field;
use super::sql::{Value, params};
use super::{Store, StoreError};

/// A sealed column and, for lookups, its index column.
struct Column {
    name: &'static str,
    index: Option<&'static str>,
    field: Field,
}

/// A table with sealed columns.
struct Table {
    name: &'static str,
    columns: &'static [Column],
}

const TABLES: &[Table] = &[
    Table {
        name: "roles",
        columns: &[Column { name: "description", index: None, field: Field::Description }],
    },
    Table {
        name: "rules",
        columns: &[Column { name: "pattern", index: Some("pattern_index"), field: Field::Pattern }],
    },
    Table {
        name: "members",
        columns: &[Column { name: "user_name", index: Some("user_index"), field: Field::User }],
    },
    Table {
        name: "api_keys",
        columns: &[
            Column { name: "user_name", index: Some("user_index"), field: Field::User },
            Column { name: "label", index: None, field: Field::Label },
        ],
    },
    Table {
        name: "credentials",
        columns: &[Column { name: "user_name", index: Some("user_index"), field: Field::User }],
    },
    Table {
        name: "model_entries",
        columns: &[
            Column { name: "name", index: Some("name_index"), field: Field::EntryName },
            Column { name: "body", index: None, field: Field::EntryBody },
        ],
    },
    Table {
        name: "audit",
        columns: &[
            Column { name: "actor", index: Some("actor_index"), field: Field::Actor },
            Column { name: "entity", index: None, field: Field::Entity },
            Column { name: "details", index: None, field: Field::Details },
        ],
    },
];

/// What a run moved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reencrypted {
    /// The key rows now use (`""`: in the clear).
    pub key_id: String,
    /// Rows moved, per table.
    pub tables: Vec<(String, u64)>,
}

impl Store {
    /// Rows not yet under the current key, over every table.
    pub fn rows_to_reencrypt(&self) -> Result<u64, StoreError> {
        Ok(u64::try_from(self.count_sealed("<>", self.keys.current_kid())?).unwrap_or(0))
    }

    /// Rows whose sealed values use data key `kid`.
    pub fn rows_using(&self, kid: &str) -> Result<i64, StoreError> {
        self.count_sealed("=", kid)
    }

    /// Rows of every sealed table whose `key_id` compares to `kid` by `op`.
    fn count_sealed(&self, op: &str, kid: &str) -> Result<i64, StoreError> {
        self.read(|tx| {
            let mut total = 0;
            for table in TABLES {
                total += tx.count(
                    &format!("SELECT COUNT(*) FROM {} WHERE key_id {op} $1", table.name),
                    &params![kid],
                )?;
            }
            Ok(total)
        })
    }

    /// Re-seals every row in batches of `batch` rows, one transaction each;
    /// `progress` gets the number of rows moved after each batch.
    pub fn reencrypt(&self, batch: usize, progress: &dyn Fn(u64)) -> Result<Reencrypted, StoreError> {
        let kid = self.keys.current_kid().to_owned();
        let mut report = Reencrypted { key_id: kid.clone(), tables: Vec::new() };
        let mut moved_total = 0;
        for table in TABLES {
            let mut moved = 0;
            let mut after = 0;
            loop {
                let (count, last) = self.reencrypt_batch(table, &kid, after, batch)?;
                moved += count;
                moved_total += count;
                progress(moved_total);
                match last {
                    Some(last) => after = last,
                    None => break,
                }
            }
            report.tables.push((table.name.to_owned(), moved));
        }
        Ok(report)
    }

    /// One batch of `table` after row id `after`: the rows moved and the last id seen
    /// (`None` when the table is done).
    fn reencrypt_batch(
        &self,
        table: &Table,
        kid: &str,
        after: i64,
        batch: usize,
    ) -> Result<(u64, Option<i64>), StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        let select = format!(
            "SELECT id, tenant, key_id, {} FROM {} WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3",
            columns.join(", "),
            table.name
        );
        let mut sets: Vec<String> = Vec::new();
        for column in table.columns {
            sets.push(format!("{} = ${}", column.name, sets.len() + 1));
            if let Some(index) = column.index {
                sets.push(format!("{index} = ${}", sets.len() + 1));
            }
        }
        let n = sets.len();
        let update = format!(
            "UPDATE {} SET {}, key_id = ${} WHERE id = ${} AND key_id = ${}",
            table.name,
            sets.join(", "),
            n + 1,
            n + 2,
            n + 3
        );
        let mut result = (0, None);
        self.backend.write(&mut |tx| {
            let rows = tx.query(&select, &params![kid, after, i64::try_from(batch).unwrap_or(i64::MAX)])?;
            let mut moved = 0;
            for row in &rows {
                let (id, tenant, old_kid) = (row.int(0)?, row.int(1)?, row.text(2)?);
                let mut values = Vec::with_capacity(n + 3);
                for (i, column) in table.columns.iter().enumerate() {
                    let text = self.keys.open_opt(column.field, tenant, row.opt_bytes(3 + i)?.as_deref())?;
                    let sealed = self.keys.seal_opt(column.field, tenant, text.as_deref())?;
                    let (value, index) = sealed.map_or((None, None), |s| (Some(s.value), Some(s.index)));
                    values.push(Value::from(value));
                    if column.index.is_some() {
                        values.push(Value::from(index));
                    }
                }
                values.extend(params![kid, id, old_kid]);
                // A row changed meanwhile keeps its new state; a later run takes it.
                moved += tx.execute(&update, &values)?;
            }
            let last = rows.last().map(|r| r.int(0)).transpose()?;
            result = (moved, last.filter(|_| rows.len() == batch));
            Ok(true)
        })?;
        Ok(result)
    }
}
