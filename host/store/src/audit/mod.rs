//! The audit log: append-only rows, each linked to its tenant's previous row by a
//! MAC under the audit key ([`chain`]). `verify` walks the chain and names the first
//! row that does not fit, so a modified, deleted, inserted or reordered row is found;
//! the tenant row keeps the head (sequence number and link), so rows cut from the end
//! are found too; and without the key nobody can write a chain that fits.

mod chain;
mod verify;

use serde::Serialize;
use serde_json::Value as Json;

use super::fields::{Field, FieldKeys};
use super::sql::{self, Tx, Value, any_of, params};
use super::{Locked, StoreError};
pub(crate) use chain::GENESIS;
pub use chain::{AuditKey, AuditKeys};
use chain::{EntryText, Position, link};
pub use verify::{Broken, Verification};
pub(crate) use verify::{key_chains, rewrite_entity, verify};

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
    /// A guest's event as an entry, with the client key of its tenant and its actor.
    pub fn from_guest(event: tessera_runtime::AuditEvent) -> (String, Option<String>, Self) {
        let entry = Self {
            action: event.action,
            entity_type: event.entity_type,
            entity: event.entity,
            success: event.success,
            details: event.details,
        };
        (event.tenant, event.actor, entry)
    }

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

/// One row as stored, opened.
pub(crate) struct Row {
    seq: i64,
    time: i64,
    actor: Option<String>,
    action: String,
    entity_type: String,
    entity: String,
    success: bool,
    details: String,
}

impl Row {
    /// Opens the first eight columns of an audit query (`seq, time, actor, action,
    /// entity_type, entity, success, details`), decrypting the sealed ones.
    pub(crate) fn open(keys: &FieldKeys, tenant: i64, row: &sql::Row) -> Result<Self, StoreError> {
        Ok(Self {
            seq: row.int(0)?,
            time: row.int(1)?,
            actor: keys.open_opt(Field::Actor, tenant, row.opt_bytes(2)?.as_deref())?,
            action: row.text(3)?,
            entity_type: row.text(4)?,
            entity: keys.open(Field::Entity, tenant, &row.bytes(5)?)?,
            success: row.int(6)? != 0,
            details: keys.open(Field::Details, tenant, &row.bytes(7)?)?,
        })
    }
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
    const COLUMNS: [&str; 14] = [
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
        "chain_kid",
        "prev_hash",
        "hash",
    ];
    let chain_key = keys.audit_keys().current();
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
        let at = Position { tenant: tenant.id, seq, time, actor: *actor };
        let hash = link(chain_key, &tenant.audit_head, at, &text);
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
            chain_key.map_or("", AuditKey::kid),
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
        let Row { seq, time, actor, action, entity_type, entity, success, details } =
            Row::open(keys, tenant, &row)?;
        let details = serde_json::from_str(&details).unwrap_or(Json::String(details));
        records.push(Record { seq, time, actor, action, entity_type, entity, success, details });
        Ok(())
    })?;
    Ok(records)
}
