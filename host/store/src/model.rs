//! The resource model's entries — types, resources, groups, users' attributes, grants
//! and rules — one row each, sealed. Every write is checked against the tenant's whole
//! policy in its own transaction, so a write that would leave the policy invalid (a
//! grant on an unknown resource, a type deleted while resources use it, a role deleted
//! while a grant names it) is refused and changes nothing.

use serde::de::DeserializeOwned;
use serde_json::json;
use tessera_core::{
    GrantDocument, GroupDocument, PolicyDocument, ResourceDocument, RuleDocument, TypeDocument, UserDocument,
};

use super::audit::Entry;
use super::fields::{Field, FieldKeys};
use super::policy::Change;
use super::sql::{Tx, Value, any_of, params};
use super::{Scope, Store, StoreError, tenant_row};

/// The section of the policy document an entry belongs to, in the document's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// `types`: keyed by the type's name.
    Type,
    /// `resources`: keyed `type:id`.
    Resource,
    /// `groups`: keyed by the group's name.
    Group,
    /// `users`: keyed by the user.
    User,
    /// `grants`: keyed by the grant itself (holder, role, resource).
    Grant,
    /// `rules`: keyed by the rule's id.
    Rule,
}

impl EntryKind {
    /// Every kind, in the document's order.
    pub const ALL: [Self; 6] = [Self::Type, Self::Resource, Self::Group, Self::User, Self::Grant, Self::Rule];

    /// The kind's name in rows, audit entries and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Type => "type",
            Self::Resource => "resource",
            Self::Group => "group",
            Self::User => "user",
            Self::Grant => "grant",
            Self::Rule => "rule",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One entry of the resource model, as the policy document holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelEntry {
    /// A resource type and its actions.
    Type(String, TypeDocument),
    /// A resource (`type:id`), its parents and attributes.
    Resource(String, ResourceDocument),
    /// A group, its members, parent groups and tenant-wide roles.
    Group(String, GroupDocument),
    /// A user's attributes.
    User(String, UserDocument),
    /// A role held on a resource.
    Grant(GrantDocument),
    /// A permit or forbid rule.
    Rule(RuleDocument),
}

impl ModelEntry {
    /// Its section.
    pub fn kind(&self) -> EntryKind {
        match self {
            Self::Type(..) => EntryKind::Type,
            Self::Resource(..) => EntryKind::Resource,
            Self::Group(..) => EntryKind::Group,
            Self::User(..) => EntryKind::User,
            Self::Grant(_) => EntryKind::Grant,
            Self::Rule(_) => EntryKind::Rule,
        }
    }

    /// What names it within its section: the entry's name, a resource's `type:id`, a
    /// rule's id, a grant's [`grant_key`].
    pub fn key(&self) -> String {
        match self {
            Self::Type(name, _) | Self::Resource(name, _) | Self::Group(name, _) | Self::User(name, _) => {
                name.clone()
            }
            Self::Grant(grant) => grant_key(grant),
            Self::Rule(rule) => rule.id.clone(),
        }
    }

    /// The entry's document, as the policy document writes it.
    pub fn body(&self) -> serde_json::Value {
        let body = match self {
            Self::Type(_, d) => serde_json::to_value(d),
            Self::Resource(_, d) => serde_json::to_value(d),
            Self::Group(_, d) => serde_json::to_value(d),
            Self::User(_, d) => serde_json::to_value(d),
            Self::Grant(d) => serde_json::to_value(d),
            Self::Rule(d) => serde_json::to_value(d),
        };
        // The documents are plain structs of strings, lists and maps.
        body.unwrap_or_else(|_| unreachable!("a model document always serializes"))
    }

    /// Reads a stored row back: its body must parse as its kind and name its key (a
    /// body moved to another row of the tenant names another).
    fn from_row(kind: EntryKind, key: String, body: &str) -> Result<Self, StoreError> {
        fn parse<T: DeserializeOwned>(body: &str) -> Option<T> {
            serde_json::from_str(body).ok()
        }
        let entry = match kind {
            EntryKind::Type => parse(body).map(|d| Self::Type(key.clone(), d)),
            EntryKind::Resource => parse(body).map(|d| Self::Resource(key.clone(), d)),
            EntryKind::Group => parse(body).map(|d| Self::Group(key.clone(), d)),
            EntryKind::User => parse(body).map(|d| Self::User(key.clone(), d)),
            EntryKind::Grant => parse(body).map(Self::Grant),
            EntryKind::Rule => parse(body).map(Self::Rule),
        };
        // No serde message: it would quote stored values, which may be personal data.
        entry.filter(|e| e.key() == key).ok_or_else(|| {
            StoreError::Corrupt(format!("a stored {} entry is not what tessera wrote", kind.as_str()))
        })
    }

    /// Every entry of the document's model sections.
    pub fn all_of(document: &PolicyDocument) -> Vec<Self> {
        let mut entries = Vec::new();
        entries.extend(document.types.0.iter().map(|(k, d)| Self::Type(k.clone(), d.clone())));
        entries.extend(document.resources.0.iter().map(|(k, d)| Self::Resource(k.clone(), d.clone())));
        entries.extend(document.groups.0.iter().map(|(k, d)| Self::Group(k.clone(), d.clone())));
        entries.extend(document.users.0.iter().map(|(k, d)| Self::User(k.clone(), d.clone())));
        entries.extend(document.grants.iter().cloned().map(Self::Grant));
        entries.extend(document.rules.iter().cloned().map(Self::Rule));
        entries
    }

    /// Puts the entry into its section of `document`.
    fn add_to(self, document: &mut PolicyDocument) {
        match self {
            Self::Type(k, d) => document.types.0.push((k, d)),
            Self::Resource(k, d) => document.resources.0.push((k, d)),
            Self::Group(k, d) => document.groups.0.push((k, d)),
            Self::User(k, d) => document.users.0.push((k, d)),
            Self::Grant(d) => document.grants.push(d),
            Self::Rule(d) => document.rules.push(d),
        }
    }
}

/// A grant's key: its holder, role and resource as a JSON object with sorted keys
/// (`{"on":"folder:eng","role":"editor","user":"alice"}`), whatever the document
/// type's field order.
pub fn grant_key(grant: &GrantDocument) -> String {
    let mut key = serde_json::Map::new();
    for (name, value) in [("user", &grant.user), ("group", &grant.group)] {
        if let Some(value) = value {
            key.insert(name.into(), value.as_str().into());
        }
    }
    key.insert("role".into(), grant.role.as_str().into());
    key.insert("on".into(), grant.on.as_str().into());
    serde_json::Value::Object(key).to_string()
}

/// The sealed name of an entry: its kind and key, so a row cannot pass for another kind.
fn sealed_name(kind: EntryKind, key: &str) -> String {
    format!("{}:{key}", kind.as_str())
}

impl Store {
    /// Adds `entry`, or replaces the entry of its kind and key; nothing changes when it
    /// is stored already as given. Refused, changing nothing, when the policy it makes
    /// is invalid.
    pub fn put_entry(&self, scope: &Scope, entry: &ModelEntry) -> Result<Change, StoreError> {
        let (kind, key) = (entry.kind(), entry.key());
        let body = entry.body();
        let text = body.to_string();
        self.change(scope, |tx, tenant| {
            let name = sealed_name(kind, &key);
            let stored = find(tx, &self.keys, tenant.id, &name)?;
            if stored.as_ref().is_some_and(|(_, old)| *old == text) {
                return Ok(None);
            }
            let sealed_name = self.keys.seal(Field::EntryName, tenant.id, &name)?;
            let sealed_body = self.keys.seal(Field::EntryBody, tenant.id, &text)?;
            let kid = self.keys.current_kid();
            // A replaced entry is a new row, never an update in place: `tessera
            // reencrypt` moves rows by id, so it cannot write an old body back over it.
            if let Some((id, _)) = stored {
                tx.execute("DELETE FROM model_entries WHERE id = $1", &params![id])?;
            }
            tx.execute(
                "INSERT INTO model_entries (tenant, kind, name, name_index, body, key_id) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &params![
                    tenant.id,
                    kind.as_str(),
                    sealed_name.value,
                    sealed_name.index,
                    sealed_body.value,
                    kid
                ],
            )?;
            check_model(tx, &self.keys, tenant.id, &scope.tenant)?;
            let action = format!("{}.put", kind.as_str());
            Ok(Some(Entry::new(&action, kind.as_str(), key.clone(), json!({ "entry": body }))))
        })
    }

    /// Removes the entry of `kind` named `key` ([`ModelEntry::key`]). Refused, changing
    /// nothing, while the policy still refers to it (resources of a type, grants on a
    /// resource, children of a resource, groups of a group, ...).
    pub fn delete_entry(&self, scope: &Scope, kind: EntryKind, key: &str) -> Result<Change, StoreError> {
        self.change(scope, |tx, tenant| {
            let Some((id, _)) = find(tx, &self.keys, tenant.id, &sealed_name(kind, key))? else {
                return Err(StoreError::NotFound { kind: kind.as_str(), name: key.to_owned() });
            };
            tx.execute("DELETE FROM model_entries WHERE id = $1", &params![id])?;
            check_model(tx, &self.keys, tenant.id, &scope.tenant)
                .map_err(|e| in_use(e, kind.as_str(), key))?;
            let action = format!("{}.delete", kind.as_str());
            Ok(Some(Entry::new(&action, kind.as_str(), key, json!({}))))
        })
    }

    /// The entry of `kind` named `key`, if stored.
    pub fn entry(&self, tenant: &str, kind: EntryKind, key: &str) -> Result<Option<ModelEntry>, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row(tx, tenant)?;
            find(tx, &self.keys, id, &sealed_name(kind, key))?
                .map(|(_, body)| ModelEntry::from_row(kind, key.to_owned(), &body))
                .transpose()
        })
    }

    /// Every entry of `kind`, sorted by key.
    pub fn entries(&self, tenant: &str, kind: EntryKind) -> Result<Vec<ModelEntry>, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row(tx, tenant)?;
            read_entries(tx, &self.keys, id, Some(kind))
        })
    }
}

/// The row holding the entry sealed as `name`: its id and its body's JSON text.
fn find(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    name: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    let (matches, candidates) =
        any_of("name_index", 2, keys.index_candidates(Field::EntryName, tenant, name));
    let sql = format!("SELECT id, body FROM model_entries WHERE tenant = $1 AND {matches}");
    let values = [params![tenant].to_vec(), candidates].concat();
    tx.query_opt(&sql, &values)?
        .map(|row| Ok((row.int(0)?, keys.open(Field::EntryBody, tenant, &row.bytes(1)?)?)))
        .transpose()
}

/// The tenant's entries (of one kind, or all), sorted by key within each kind.
pub(crate) fn read_entries(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    kind: Option<EntryKind>,
) -> Result<Vec<ModelEntry>, StoreError> {
    let (sql, values) = match kind {
        Some(kind) => (
            "SELECT kind, name, body FROM model_entries WHERE tenant = $1 AND kind = $2",
            params![tenant, kind.as_str()].to_vec(),
        ),
        None => ("SELECT kind, name, body FROM model_entries WHERE tenant = $1", params![tenant].to_vec()),
    };
    let mut rows: Vec<(EntryKind, String, String)> = Vec::new();
    tx.query_each(sql, &values, &mut |row| {
        let column = row.text(0)?;
        let kind = EntryKind::parse(&column)
            .ok_or_else(|| StoreError::Corrupt(format!("a model entry of unknown kind `{column}`")))?;
        let name = keys.open(Field::EntryName, tenant, &row.bytes(1)?)?;
        // The kind is sealed with the key, so a row relabelled in the database is caught.
        let key = name
            .strip_prefix(kind.as_str())
            .and_then(|rest| rest.strip_prefix(':'))
            .ok_or_else(|| StoreError::Corrupt("a model entry's kind does not match its name".into()))?;
        rows.push((kind, key.to_owned(), keys.open(Field::EntryBody, tenant, &row.bytes(2)?)?));
        Ok(())
    })?;
    rows.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    rows.into_iter().map(|(kind, key, body)| ModelEntry::from_row(kind, key, &body)).collect()
}

/// Adds the tenant's model entries to `document`.
pub(crate) fn read_model(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    document: &mut PolicyDocument,
) -> Result<(), StoreError> {
    for entry in read_entries(tx, keys, tenant, None)? {
        entry.add_to(document);
    }
    Ok(())
}

/// Replaces the tenant's model entries with the document's.
pub(crate) fn write_model(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    document: &PolicyDocument,
) -> Result<usize, StoreError> {
    const COLUMNS: [&str; 6] = ["tenant", "kind", "name", "name_index", "body", "key_id"];
    tx.execute("DELETE FROM model_entries WHERE tenant = $1", &params![tenant])?;
    let kid = keys.current_kid();
    let entries = ModelEntry::all_of(document);
    let mut rows: Vec<Value> = Vec::with_capacity(entries.len() * COLUMNS.len());
    for entry in &entries {
        let kind = entry.kind();
        let name = keys.seal(Field::EntryName, tenant, &sealed_name(kind, &entry.key()))?;
        let body = keys.seal(Field::EntryBody, tenant, &entry.body().to_string())?;
        rows.extend(params![tenant, kind.as_str(), name.value, name.index, body.value, kid]);
        if rows.len() >= super::policy::CHUNK * COLUMNS.len() {
            tx.insert_many("model_entries", &COLUMNS, &rows)?;
            rows.clear();
        }
    }
    tx.insert_many("model_entries", &COLUMNS, &rows)?;
    Ok(entries.len())
}

/// A deletion's refusal: the reference it would leave dangling.
pub(crate) fn in_use(error: StoreError, kind: &'static str, name: &str) -> StoreError {
    match error {
        StoreError::Policy(reference) => StoreError::InUse { kind, name: name.to_owned(), reference },
        other => other,
    }
}

/// Validates the tenant's whole policy as the transaction now holds it, when it has a
/// resource model (a tenant without one keeps its rules write by write, as before).
pub(crate) fn check_model(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    client_key: &str,
) -> Result<(), StoreError> {
    if tx.query_opt("SELECT id FROM model_entries WHERE tenant = $1 LIMIT 1", &params![tenant])?.is_none() {
        return Ok(());
    }
    super::policy::read_document(tx, keys, tenant, client_key)?.into_policy()?;
    Ok(())
}
