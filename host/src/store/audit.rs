//! The audit log: append-only rows, each carrying the hash of its tenant's previous
//! row. `verify` recomputes the chain and names the first row that does not fit, so a
//! modified, deleted, inserted or reordered row is found; the tenant row keeps the
//! head (sequence number and hash), so rows cut from the end are found too.

use serde::Serialize;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::fields::{Field, FieldKeys};
use super::sql::{Tx, Value, any_of, params};
use super::{Locked, StoreError};

/// The hash before a tenant's first row.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

/// What happened, as a change records it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// `role.add`, `permission.grant`, `member.add`, `policy.import`, `check`, ...
    pub action: String,
    /// `role`, `permission`, `membership`, `tenant`, `token`, `key`, ...
    pub entity_type: String,
    /// Which one.
    pub entity: String,
    /// Whether it succeeded (for checks: whether it was allowed).
    pub success: bool,
    /// The rest, as JSON.
    pub details: Json,
}

impl Entry {
    /// A successful change.
    pub fn new(action: &str, entity_type: &str, entity: impl Into<String>, details: Json) -> Self {
        Self {
            action: action.into(),
            entity_type: entity_type.into(),
            entity: entity.into(),
            success: true,
            details,
        }
    }
}

/// One stored audit row, opened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    /// Position in the tenant's chain, from 1.
    pub seq: i64,
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// Who acted.
    pub actor: Option<String>,
    /// What happened.
    pub action: String,
    /// What kind of thing.
    pub entity_type: String,
    /// Which one.
    pub entity: String,
    /// Whether it succeeded.
    pub success: bool,
    /// The rest.
    pub details: Json,
}

/// Which rows `query` returns, newest first.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this action.
    pub action: Option<String>,
    /// Only this entity type.
    pub entity_type: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only rows at or after this time (seconds since the epoch).
    pub since: Option<i64>,
    /// At most this many rows.
    pub limit: i64,
    /// Skip this many of the newest matching rows first.
    pub offset: i64,
}

/// What `verify` found for one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The tenant's fingerprint ([`fingerprint`](super::fingerprint)).
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

/// The chain hash of one row: SHA-256 over the previous hash and every field,
/// each length-prefixed, so no two different rows hash alike.
pub(crate) fn chain_hash(
    prev: &[u8],
    tenant: i64,
    seq: i64,
    time: i64,
    actor: Option<&str>,
    entry: &EntryText<'_>,
) -> [u8; 32] {
    let mut hash = Sha256::new_with_prefix(b"tessera audit v1\0");
    hash.update(prev);
    hash.update(tenant.to_be_bytes());
    hash.update(seq.to_be_bytes());
    hash.update(time.to_be_bytes());
    let mut field = |bytes: Option<&[u8]>| match bytes {
        None => hash.update([0]),
        Some(bytes) => {
            hash.update([1]);
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        }
    };
    field(actor.map(str::as_bytes));
    field(Some(entry.action.as_bytes()));
    field(Some(entry.entity_type.as_bytes()));
    field(Some(entry.entity.as_bytes()));
    field(Some(if entry.success { b"1" } else { b"0" }));
    field(Some(entry.details.as_bytes()));
    hash.finalize().into()
}

/// The hashed form of an entry: details as the exact JSON text stored.
pub(crate) struct EntryText<'a> {
    pub(crate) action: &'a str,
    pub(crate) entity_type: &'a str,
    pub(crate) entity: &'a str,
    pub(crate) success: bool,
    pub(crate) details: &'a str,
}

/// An entry to append and who acted.
pub(crate) type Pending<'a> = (Option<&'a str>, &'a Entry);

/// Appends one entry to the locked tenant's chain.
pub(crate) fn append(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: &Locked,
    time: i64,
    actor: Option<&str>,
    entry: &Entry,
) -> Result<(), StoreError> {
    append_all(tx, keys, &mut tenant.clone(), time, &[(actor, entry)])
}

/// Appends entries, in order, to the locked tenant's chain: one bulk insert and one
/// update of the tenant's head, however many there are. `tenant` ends at the new head.
pub(crate) fn append_all(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: &mut Locked,
    time: i64,
    entries: &[Pending<'_>],
) -> Result<(), StoreError> {
    const COLUMNS: [&str; 13] = [
        "tenant",
        "seq",
        "time",
        "actor",
        "actor_index",
        "action",
        "entity_type",
        "entity",
        "success",
        "details",
        "key_id",
        "prev_hash",
        "hash",
    ];
    let mut rows = Vec::with_capacity(entries.len() * COLUMNS.len());
    for (actor, entry) in entries {
        let seq = tenant.audit_seq + 1;
        let details = entry.details.to_string();
        let text = EntryText {
            action: &entry.action,
            entity_type: &entry.entity_type,
            entity: &entry.entity,
            success: entry.success,
            details: &details,
        };
        let hash = chain_hash(&tenant.audit_head, tenant.id, seq, time, *actor, &text);
        let sealed_actor = keys.seal_opt(Field::Actor, tenant.id, *actor)?;
        let (actor, actor_index) = sealed_actor.map_or((None, None), |s| (Some(s.value), Some(s.index)));
        let entity = keys.seal(Field::Entity, tenant.id, &entry.entity)?.value;
        let details = keys.seal(Field::Details, tenant.id, &details)?.value;
        rows.extend(params![
            tenant.id,
            seq,
            time,
            actor,
            actor_index,
            entry.action.as_str(),
            entry.entity_type.as_str(),
            entity,
            entry.success,
            details,
            keys.current_kid(),
            std::mem::replace(&mut tenant.audit_head, hash.to_vec()),
            hash.to_vec()
        ]);
        tenant.audit_seq = seq;
    }
    if rows.is_empty() {
        return Ok(());
    }
    tx.insert_many("audit", &COLUMNS, &rows)?;
    tx.execute(
        "UPDATE tenants SET audit_seq = $1, audit_head = $2 WHERE id = $3",
        &params![tenant.audit_seq, tenant.audit_head.clone(), tenant.id],
    )?;
    Ok(())
}

/// The `WHERE` clause of `filter` (without limit and offset) and its values.
fn matching(keys: &FieldKeys, tenant: i64, filter: &Filter) -> (String, Vec<Value>) {
    let mut sql = String::from(" WHERE tenant = $1");
    let mut values = vec![Value::Int(tenant)];
    if let Some(action) = &filter.action {
        let actions = actions_named(action);
        let first = values.len() + 1;
        let slots: Vec<String> = (first..first + actions.len()).map(|n| format!("${n}")).collect();
        sql.push_str(&format!(" AND action IN ({})", slots.join(", ")));
        values.extend(actions.into_iter().map(Value::from));
    }
    if let Some(entity_type) = &filter.entity_type {
        bind(&mut sql, &mut values, " AND entity_type = ?", entity_type.as_str().into());
    }
    if let Some(since) = filter.since {
        bind(&mut sql, &mut values, " AND time >= ?", since.into());
    }
    if let Some(actor) = &filter.actor {
        let (matches, candidates) =
            any_of("actor_index", values.len() + 1, keys.index_candidates(Field::Actor, tenant, actor));
        sql.push_str(&format!(" AND {matches}"));
        values.extend(candidates);
    }
    (sql, values)
}

/// Auth 3.7.1's audit action names (`AuditAction`, matched case-insensitively as Auth
/// matches them) and the Tessera actions that record the same events. Auth's reads
/// (`LIST_ROLES`, `GET_SETTINGS`, ...) are not audited here and match nothing.
const AUTH_ACTIONS: &[(&str, &[&str])] = &[
    ("CREATE_ROLE", &["role.add"]),
    ("DELETE_ROLE", &["role.delete"]),
    ("ADD_PERMISSION", &["permission.grant", "permission.deny"]),
    ("REMOVE_PERMISSION", &["permission.revoke", "permission.undeny"]),
    ("ADD_MEMBERSHIP", &["member.add"]),
    ("REMOVE_MEMBERSHIP", &["member.remove"]),
    ("CHECK_PERMISSION", &["check", "authorize"]),
    ("ROTATE_KEY", &["tenant.rotate_key"]),
    ("CREATE_API_KEY", &["apikey.create"]),
    ("REVOKE_API_KEY", &["apikey.revoke"]),
    ("UPDATE_API_KEY", &["apikey.expiry"]),
    ("UPDATE_SETTINGS", &["settings.update"]),
];

/// The stored actions an `action` filter names: a Tessera action as it is, or an
/// Auth action name (`create_role`, `CREATE_API_KEY`) as the actions recording it.
pub(crate) fn actions_named(action: &str) -> Vec<&str> {
    AUTH_ACTIONS
        .iter()
        .find(|(auth, _)| auth.eq_ignore_ascii_case(action))
        .map_or_else(|| vec![action], |(_, ours)| ours.to_vec())
}

/// Appends `clause` with its `?` as the next `$n`.
fn bind(sql: &mut String, values: &mut Vec<Value>, clause: &str, value: Value) {
    values.push(value);
    sql.push_str(&clause.replace('?', &format!("${}", values.len())));
}

/// How many rows match `filter` (limit and offset aside).
pub(crate) fn count(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    filter: &Filter,
) -> Result<i64, StoreError> {
    let (clause, values) = matching(keys, tenant, filter);
    tx.count(&format!("SELECT COUNT(*) FROM audit{clause}"), &values)
}

/// Matching rows of one tenant, newest first.
pub(crate) fn query(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    filter: &Filter,
) -> Result<Vec<Record>, StoreError> {
    let (clause, mut values) = matching(keys, tenant, filter);
    let mut sql =
        format!("SELECT seq, time, actor, action, entity_type, entity, success, details FROM audit{clause}");
    bind(&mut sql, &mut values, " ORDER BY seq DESC LIMIT ?", filter.limit.into());
    bind(&mut sql, &mut values, " OFFSET ?", filter.offset.into());
    let mut records = Vec::new();
    tx.query_each(&sql, &values, &mut |row| {
        let details = keys.open(Field::Details, tenant, &row.bytes(7)?)?;
        records.push(Record {
            seq: row.int(0)?,
            time: row.int(1)?,
            actor: keys.open_opt(Field::Actor, tenant, row.opt_bytes(2)?.as_deref())?,
            action: row.text(3)?,
            entity_type: row.text(4)?,
            entity: keys.open(Field::Entity, tenant, &row.bytes(5)?)?,
            success: row.int(6)? != 0,
            details: serde_json::from_str(&details).unwrap_or(Json::String(details)),
        });
        Ok(())
    })?;
    Ok(records)
}

/// Walks one tenant's chain from the first row and compares its end with the head
/// the tenant row keeps.
pub(crate) fn verify(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    fingerprint: &str,
) -> Result<Verification, StoreError> {
    let head = tx
        .query_opt("SELECT audit_seq, audit_head FROM tenants WHERE id = $1", &params![tenant])?
        .ok_or_else(|| StoreError::UnknownTenant(fingerprint.to_owned()))?;
    let (head_seq, head_hash) = (head.int(0)?, head.bytes(1)?);
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_vec();
    let mut broken = None;
    tx.query_each(
        "SELECT seq, time, actor, action, entity_type, entity, success, details, prev_hash, hash \
         FROM audit WHERE tenant = $1 ORDER BY seq",
        &params![tenant],
        &mut |row| {
            if broken.is_some() {
                return Ok(());
            }
            let seq = row.int(0)?;
            let fail = |problem: String| Some(Broken { seq, problem });
            if seq != expected_seq {
                broken = fail(format!(
                    "expected row {expected_seq} here: rows were deleted, inserted or renumbered"
                ));
                return Ok(());
            }
            if row.bytes(8)? != prev {
                broken = fail(
                    "does not follow the row before it: rows were reordered, inserted or deleted".into(),
                );
                return Ok(());
            }
            let opened = (|| {
                Ok::<_, StoreError>((
                    keys.open_opt(Field::Actor, tenant, row.opt_bytes(2)?.as_deref())?,
                    keys.open(Field::Entity, tenant, &row.bytes(5)?)?,
                    keys.open(Field::Details, tenant, &row.bytes(7)?)?,
                ))
            })();
            let (actor, entity, details) = match opened {
                Ok(opened) => opened,
                Err(e) => {
                    broken = fail(format!("cannot be read: {e}"));
                    return Ok(());
                }
            };
            let (action, entity_type) = (row.text(3)?, row.text(4)?);
            let text = EntryText {
                action: &action,
                entity_type: &entity_type,
                entity: &entity,
                success: row.int(6)? != 0,
                details: &details,
            };
            let hash = chain_hash(&prev, tenant, seq, row.int(1)?, actor.as_deref(), &text);
            if row.bytes(9)? != hash {
                broken = fail("was modified: its content does not match its hash".into());
                return Ok(());
            }
            prev = hash.to_vec();
            expected_seq += 1;
            Ok(())
        },
    )?;
    let rows = expected_seq - 1;
    if broken.is_none() && (rows != head_seq || prev != head_hash) {
        broken = Some(Broken {
            seq: rows + 1,
            problem: format!(
                "the chain ends at row {rows} but its head says {head_seq}: rows were cut from the end"
            ),
        });
    }
    Ok(Verification {
        tenant: fingerprint.to_owned(),
        rows,
        head: super::client_key::hex(&head_hash),
        broken,
    })
}

/// Replaces the entity `from` with `to` in one tenant's chain and hashes the chain
/// again from its first row: a schema migration's way to take a value out of the
/// log (a client key, named by older versions). Only an intact chain is rewritten,
/// so a rewrite can never heal tampering; `false` when the chain was broken and is
/// left as it was.
pub(crate) fn rewrite_entity(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    fingerprint: &str,
    (from, to): (&str, &str),
) -> Result<bool, StoreError> {
    if verify(tx, keys, tenant, fingerprint)?.broken.is_some() {
        return Ok(false);
    }
    struct Stored {
        seq: i64,
        time: i64,
        actor: Option<String>,
        action: String,
        entity_type: String,
        entity: String,
        success: bool,
        details: String,
    }
    let mut rows = Vec::new();
    tx.query_each(
        "SELECT seq, time, actor, action, entity_type, entity, success, details FROM audit \
         WHERE tenant = $1 ORDER BY seq",
        &params![tenant],
        &mut |row| {
            rows.push(Stored {
                seq: row.int(0)?,
                time: row.int(1)?,
                actor: keys.open_opt(Field::Actor, tenant, row.opt_bytes(2)?.as_deref())?,
                action: row.text(3)?,
                entity_type: row.text(4)?,
                entity: keys.open(Field::Entity, tenant, &row.bytes(5)?)?,
                success: row.int(6)? != 0,
                details: keys.open(Field::Details, tenant, &row.bytes(7)?)?,
            });
            Ok(())
        },
    )?;
    let mut prev = GENESIS.to_vec();
    for row in &rows {
        let entity = if row.entity == from { to } else { row.entity.as_str() };
        let text = EntryText {
            action: &row.action,
            entity_type: &row.entity_type,
            entity,
            success: row.success,
            details: &row.details,
        };
        let hash = chain_hash(&prev, tenant, row.seq, row.time, row.actor.as_deref(), &text);
        let sealed = (entity != row.entity).then(|| keys.seal(Field::Entity, tenant, entity)).transpose()?;
        match sealed {
            Some(sealed) => tx.execute(
                "UPDATE audit SET entity = $1, prev_hash = $2, hash = $3 WHERE tenant = $4 AND seq = $5",
                &params![sealed.value, prev.clone(), hash.to_vec(), tenant, row.seq],
            )?,
            None => tx.execute(
                "UPDATE audit SET prev_hash = $1, hash = $2 WHERE tenant = $3 AND seq = $4",
                &params![prev.clone(), hash.to_vec(), tenant, row.seq],
            )?,
        };
        prev = hash.to_vec();
    }
    tx.execute("UPDATE tenants SET audit_head = $1 WHERE id = $2", &params![prev, tenant])?;
    Ok(true)
}
