//! Walking a tenant's chain: `audit verify`, and the migrations that write a chain
//! again (a value taken out of it, its links keyed), which only ever extend what
//! verifies, so no rewrite can heal tampering.

use serde::Serialize;

use super::Row;
use super::chain::{AuditKey, EntryText, GENESIS, Position, link};
use crate::StoreError;
use crate::fields::{Field, FieldKeys};
use crate::sql::{Tx, params};

/// What `verify` found for one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The tenant's fingerprint ([`fingerprint`](crate::fingerprint)).
    pub tenant: String,
    /// Rows checked.
    pub rows: i64,
    /// The chain's head hash (hex): anchor it elsewhere to detect a rewrite of the
    /// whole chain by someone who can write to the database.
    pub head: String,
    /// The first row that does not fit, if any.
    pub broken: Option<Broken>,
}

/// The first bad row of a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Broken {
    /// Its sequence number (for rows cut from the end: the first missing one).
    pub seq: i64,
    /// What is wrong with it.
    pub problem: String,
}

/// Which columns the audit table has: a migration step reads the schema of its own
/// version, and `chain_kid` came with version 6.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Columns {
    BeforeChainKid,
    Current,
}

impl Row {
    fn text(&self) -> EntryText<'_> {
        EntryText {
            action: &self.action,
            entity_type: &self.entity_type,
            entity: &self.entity,
            success: self.success,
            details: &self.details,
        }
    }

    fn position(&self, tenant: i64) -> Position<'_> {
        Position { tenant, seq: self.seq, time: self.time, actor: self.actor.as_deref() }
    }
}

/// How far a chain verifies.
struct Walked {
    /// Rows that fit, from the first.
    rows: i64,
    /// The link of the last of them (the genesis when none).
    last: Vec<u8>,
    /// The first row that does not fit.
    broken: Option<Broken>,
}

/// Walks one tenant's chain from its first row and hands each row that fits to
/// `intact`, up to the first that does not. An unkeyed row fits only while the store
/// has no audit key, unless `allow_unkeyed` (the migration that keys them).
fn walk(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    columns: Columns,
    allow_unkeyed: bool,
    intact: &mut dyn FnMut(Row),
) -> Result<Walked, StoreError> {
    let chain_kid = match columns {
        Columns::BeforeChainKid => "''",
        Columns::Current => "chain_kid",
    };
    let audit_keys = keys.audit_keys();
    let mut walked = Walked { rows: 0, last: GENESIS.to_vec(), broken: None };
    tx.query_each(
        &format!(
            "SELECT seq, time, actor, action, entity_type, entity, success, details, prev_hash, hash, \
             {chain_kid} FROM audit WHERE tenant = $1 ORDER BY seq"
        ),
        &params![tenant],
        &mut |row| {
            if walked.broken.is_some() {
                return Ok(());
            }
            let seq = row.int(0)?;
            let expected = walked.rows + 1;
            let fail = |problem: String| Some(Broken { seq, problem });
            if seq != expected {
                walked.broken =
                    fail(format!("expected row {expected} here: rows were deleted, inserted or renumbered"));
                return Ok(());
            }
            if row.bytes(8)? != walked.last {
                walked.broken = fail(
                    "does not follow the row before it: rows were reordered, inserted or deleted".into(),
                );
                return Ok(());
            }
            let kid = row.text(10)?;
            let key = match (kid.as_str(), audit_keys.keyed()) {
                ("", true) if !allow_unkeyed => {
                    walked.broken = fail(
                        "carries no MAC under an audit key: the chain was written again by someone \
                         without the key"
                            .into(),
                    );
                    return Ok(());
                }
                ("", _) => None,
                (kid, _) => match audit_keys.find(kid) {
                    Some(key) => Some(key),
                    None => {
                        walked.broken = fail(format!(
                            "is MACed with audit key `{kid}`, which this keyring does not hold"
                        ));
                        return Ok(());
                    }
                },
            };
            let stored = match Row::open(keys, tenant, &row) {
                Ok(stored) => stored,
                Err(e) => {
                    walked.broken = fail(format!("cannot be read: {e}"));
                    return Ok(());
                }
            };
            let hash = link(key, &walked.last, stored.position(tenant), &stored.text());
            if row.bytes(9)? != hash {
                walked.broken = fail("was modified: its content does not match its link".into());
                return Ok(());
            }
            walked.rows = seq;
            walked.last = hash.to_vec();
            intact(stored);
            Ok(())
        },
    )?;
    Ok(walked)
}

/// The tenant's head: how many rows its chain has and the last link.
fn head(tx: &mut dyn Tx, tenant: i64, fingerprint: &str) -> Result<(i64, Vec<u8>), StoreError> {
    let head = tx
        .query_opt("SELECT audit_seq, audit_head FROM tenants WHERE id = $1", &params![tenant])?
        .ok_or_else(|| StoreError::UnknownTenant(fingerprint.to_owned()))?;
    Ok((head.int(0)?, head.bytes(1)?))
}

/// Walks one tenant's chain from the first row and compares its end with the head
/// the tenant row keeps.
pub(crate) fn verify(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    fingerprint: &str,
) -> Result<Verification, StoreError> {
    let (head_seq, head_link) = head(tx, tenant, fingerprint)?;
    let walked = walk(tx, keys, tenant, Columns::Current, false, &mut |_| {})?;
    let rows = walked.rows;
    let broken = walked.broken.or_else(|| {
        (rows != head_seq || walked.last != head_link).then(|| Broken {
            seq: rows + 1,
            problem: format!(
                "the chain ends at row {rows} but its head says {head_seq}: rows were cut from the end"
            ),
        })
    });
    Ok(Verification {
        tenant: fingerprint.to_owned(),
        rows,
        head: crate::client_key::hex(&head_link),
        broken,
    })
}

/// Links `rows` again from the genesis with `key` (without one, `chain_kid` is not
/// written: version 5 had none), replacing each row's entity with `entity(row)` when
/// it gives one; moves the head when the rows are the whole chain.
fn relink(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    rows: &mut [Row],
    key: Option<&AuditKey>,
    whole: bool,
    entity: &dyn Fn(&Row) -> Option<String>,
) -> Result<(), StoreError> {
    let mut prev = GENESIS.to_vec();
    for row in rows {
        let replaced = entity(row);
        if let Some(entity) = &replaced {
            row.entity.clone_from(entity);
        }
        let hash = link(key, &prev, row.position(tenant), &row.text());
        let sealed = replaced.map(|entity| keys.seal(Field::Entity, tenant, &entity)).transpose()?;
        match (sealed, key) {
            (Some(sealed), _) => tx.execute(
                "UPDATE audit SET entity = $1, prev_hash = $2, hash = $3 WHERE tenant = $4 AND seq = $5",
                &params![sealed.value, prev.clone(), hash.to_vec(), tenant, row.seq],
            )?,
            (None, None) => tx.execute(
                "UPDATE audit SET prev_hash = $1, hash = $2 WHERE tenant = $3 AND seq = $4",
                &params![prev.clone(), hash.to_vec(), tenant, row.seq],
            )?,
            (None, Some(key)) => tx.execute(
                "UPDATE audit SET chain_kid = $1, prev_hash = $2, hash = $3 WHERE tenant = $4 AND seq = $5",
                &params![key.kid(), prev.clone(), hash.to_vec(), tenant, row.seq],
            )?,
        };
        prev = hash.to_vec();
    }
    if whole {
        tx.execute("UPDATE tenants SET audit_head = $1 WHERE id = $2", &params![prev, tenant])?;
    }
    Ok(())
}

/// Replaces the entity `from` with `to` in one tenant's chain and links the chain
/// again from its first row: a schema migration's way to take a value out of the
/// log (a client key, named by older versions). Only an intact chain is rewritten;
/// `false` when the chain was broken and is left as it was. For schema version 5:
/// rows and links as they were before audit keys.
pub(crate) fn rewrite_entity(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    fingerprint: &str,
    (from, to): (&str, &str),
) -> Result<bool, StoreError> {
    let (head_seq, head_link) = head(tx, tenant, fingerprint)?;
    let mut rows = Vec::new();
    let walked = walk(tx, keys, tenant, Columns::BeforeChainKid, true, &mut |row| rows.push(row))?;
    if walked.broken.is_some() || walked.rows != head_seq || walked.last != head_link {
        return Ok(false);
    }
    let replace = |row: &Row| (row.entity == from).then(|| to.to_owned());
    relink(tx, keys, tenant, &mut rows, None, true, &replace)?;
    Ok(true)
}

/// Schema version 6: every tenant's chain is linked again under the current audit
/// key, as far as it verifies; rows after a break keep their links, so the break is
/// still found where it was, and the head moves only with a whole chain.
pub(crate) fn key_chains(tx: &mut dyn Tx, keys: &FieldKeys) -> Result<(), StoreError> {
    let Some(key) = keys.audit_keys().current() else {
        return Ok(());
    };
    let tenants: Vec<i64> =
        tx.query("SELECT id FROM tenants", &[])?.iter().map(|row| row.int(0)).collect::<Result<_, _>>()?;
    for tenant in tenants {
        let (head_seq, head_link) = head(tx, tenant, "")?;
        let mut rows = Vec::new();
        let walked = walk(tx, keys, tenant, Columns::Current, true, &mut |row| rows.push(row))?;
        let whole = walked.broken.is_none() && walked.rows == head_seq && walked.last == head_link;
        if !whole {
            tracing::warn!(
                tenant,
                rows = walked.rows,
                "the audit chain does not verify past its row {}; rows after it keep their unkeyed links",
                walked.rows
            );
        }
        relink(tx, keys, tenant, &mut rows, Some(key), whole, &|_| None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    use super::super::chain::{AuditKeys, link};
    use super::*;
    use crate::{Location, Scope, Store};

    const KEY: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

    fn keys(current: (&str, u8), older: &[(&str, u8)]) -> FieldKeys {
        let older = older.iter().map(|&(kid, byte)| AuditKey::new(kid, [byte; 32])).collect();
        FieldKeys::plain().with_audit_keys(AuditKeys::new(AuditKey::new(current.0, [current.1; 32]), older))
    }

    fn blog(location: &Location, keys: FieldKeys) -> Store {
        let store = Store::open(location, keys, true).unwrap();
        store.create_tenant(Some(KEY), "admin").unwrap();
        let scope = Scope { tenant: KEY.into(), actor: "admin".into() };
        for role in ["viewer", "editor", "admin"] {
            store.add_role(&scope, role, None, &[]).unwrap();
        }
        store.grant(&scope, "viewer", "posts:read").unwrap();
        store
    }

    /// What someone who can write the database but lacks the audit key does: change
    /// a row, then write every link again from the first row, with `key` named `kid`
    /// (none: the plain SHA-256 links of an unkeyed chain), and move the head.
    fn forge(store: &Store, kid: &str, key: Option<&AuditKey>) {
        store
            .backend
            .write(&mut |tx| {
                let tenant = crate::tenant_row(tx, KEY)?.0;
                tx.execute("UPDATE audit SET action = 'role.delete' WHERE tenant = $1 AND seq = 3", &params![tenant])?;
                let mut all = Vec::new();
                tx.query_each(
                    "SELECT seq, time, actor, action, entity_type, entity, success, details FROM audit \
                     WHERE tenant = $1 ORDER BY seq",
                    &params![tenant],
                    &mut |row| {
                        all.push(Row {
                            seq: row.int(0)?,
                            time: row.int(1)?,
                            actor: FieldKeys::plain().open_opt(Field::Actor, tenant, row.opt_bytes(2)?.as_deref())?,
                            action: row.text(3)?,
                            entity_type: row.text(4)?,
                            entity: FieldKeys::plain().open(Field::Entity, tenant, &row.bytes(5)?)?,
                            success: row.int(6)? != 0,
                            details: FieldKeys::plain().open(Field::Details, tenant, &row.bytes(7)?)?,
                        });
                        Ok(())
                    },
                )?;
                let mut prev = GENESIS.to_vec();
                for row in &all {
                    let hash = link(key, &prev, row.position(tenant), &row.text());
                    tx.execute(
                        "UPDATE audit SET chain_kid = $1, prev_hash = $2, hash = $3 WHERE tenant = $4 AND seq = $5",
                        &params![kid, prev.clone(), hash.to_vec(), tenant, row.seq],
                    )?;
                    prev = hash.to_vec();
                }
                tx.execute("UPDATE tenants SET audit_head = $1 WHERE id = $2", &params![prev, tenant])?;
                Ok(true)
            })
            .unwrap();
    }

    #[test]
    fn a_chain_written_again_without_the_key_does_not_verify() {
        let attacker = AuditKey::new("audit-1", [9; 32]);
        let other = AuditKey::new("audit-forged", [9; 32]);
        let forgeries: [(&str, &str, Option<&AuditKey>, &str); 3] = [
            ("plain SHA-256 links", "", None, "carries no MAC"),
            ("another key under the real key's id", "audit-1", Some(&attacker), "was modified"),
            ("another key under its own id", "audit-forged", Some(&other), "does not hold"),
        ];
        for (name, kid, key, problem) in forgeries {
            let dir = tempfile::tempdir().unwrap();
            let location = Location::Sqlite(dir.path().join("t.db"));
            let store = blog(&location, keys(("audit-1", 1), &[]));
            assert_eq!(store.audit_verify(KEY).unwrap().broken, None);
            forge(&store, kid, key);
            let broken =
                store.audit_verify(KEY).unwrap().broken.unwrap_or_else(|| panic!("{name} went unnoticed"));
            assert_eq!(broken.seq, 1, "{name}: {}", broken.problem);
            assert!(broken.problem.contains(problem), "{name}: {}", broken.problem);
        }
    }

    /// Without audit keys the same forgery passes: what the key buys.
    #[test]
    fn an_unkeyed_chain_written_again_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let store = blog(&Location::Sqlite(dir.path().join("t.db")), FieldKeys::plain());
        forge(&store, "", None);
        assert_eq!(store.audit_verify(KEY).unwrap().broken, None);
    }

    /// A rotated key links new rows; the old one, retired, still verifies its rows.
    #[test]
    fn rows_verify_under_the_key_that_linked_them() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("t.db"));
        drop(blog(&location, keys(("audit-1", 1), &[])));
        let store = Store::open(&location, keys(("audit-2", 2), &[("audit-1", 1)]), true).unwrap();
        let scope = Scope { tenant: KEY.into(), actor: "admin".into() };
        store.add_role(&scope, "auditor", None, &[]).unwrap();
        let verification = store.audit_verify(KEY).unwrap();
        assert_eq!((verification.rows, verification.broken), (6, None));
        drop(store);
        let without_old = Store::open(&location, keys(("audit-2", 2), &[]), true).unwrap();
        let broken = without_old.audit_verify(KEY).unwrap().broken.unwrap();
        assert_eq!(broken.seq, 1, "{}", broken.problem);
        assert!(broken.problem.contains("audit-1"), "{}", broken.problem);
    }
}
