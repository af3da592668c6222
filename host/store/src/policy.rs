//! Policy edits (roles, grants, denies, memberships, whole-document import, with the
//! resource model's entries) and
//! reading a tenant's policy back as a document, for export and snapshots.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;
use tessera_core::{Entries, IdentifierKind, PolicyDocument, PolicyError, RoleDocument, validate_identifier};

use super::audit::Entry;
use super::fields::{Field, FieldKeys};
use super::model::{check_model, in_use, read_model, write_model};
use super::sql::{Tx, Value, any_of, params};
use super::{Scope, Store, StoreError, tenant_row};

/// What a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The tenant's revision after it.
    pub revision: i64,
    /// Whether anything changed (granting a granted permission changes nothing).
    pub changed: bool,
}

/// A role as `role list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleInfo {
    /// The name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// Direct parents, sorted.
    pub parents: Vec<String>,
}

/// What an import wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Roles.
    pub roles: usize,
    /// Grants and denies.
    pub rules: usize,
    /// User → role pairs.
    pub memberships: usize,
    /// Entries of the resource model (types, resources, groups, users, grants, rules).
    pub entries: usize,
    /// The tenant's revision after it.
    pub revision: i64,
}

const GRANT: i64 = 0;
const DENY: i64 = 1;
/// Memberships handed to the database at once in an import (and between progress reports).
pub(crate) const CHUNK: usize = 20_000;

fn check(kind: IdentifierKind, field: &str, value: &str) -> Result<(), StoreError> {
    validate_identifier(kind, value)
        .map_err(|error| PolicyError::InvalidIdentifier { field: field.into(), error }.into())
}

fn role_id(tx: &mut dyn Tx, tenant: i64, name: &str) -> Result<i64, StoreError> {
    tx.query_opt("SELECT id FROM roles WHERE tenant = $1 AND name = $2", &params![tenant, name])?
        .ok_or_else(|| StoreError::NotFound { kind: "role", name: name.to_owned() })?
        .int(0)
}

fn effect_name(effect: i64) -> &'static str {
    if effect == DENY { "deny" } else { "grant" }
}

impl Store {
    /// Adds a role with optional description and parents (which must exist).
    pub fn add_role(
        &self,
        scope: &Scope,
        name: &str,
        description: Option<&str>,
        parents: &[String],
    ) -> Result<Change, StoreError> {
        check(IdentifierKind::Role, "role", name)?;
        if let Some(text) = description {
            tessera_core::check_description(name, text)?;
        }
        self.change(scope, |tx, tenant| {
            if tx.query_opt("SELECT id FROM roles WHERE tenant = $1 AND name = $2", &params![tenant.id, name])?.is_some() {
                return Err(StoreError::Exists { kind: "role", name: name.into() });
            }
            let mut parent_ids = Vec::with_capacity(parents.len());
            for parent in parents {
                let id = role_id(tx, tenant.id, parent).map_err(|_| PolicyError::UnknownParent {
                    role: name.into(),
                    parent: parent.clone(),
                })?;
                if !parent_ids.contains(&id) {
                    parent_ids.push(id);
                }
            }
            let sealed = self.keys.seal_opt(Field::Description, tenant.id, description)?;
            let id = tx
                .query_opt(
                    "INSERT INTO roles (tenant, name, description, key_id) VALUES ($1, $2, $3, $4) RETURNING id",
                    &params![tenant.id, name, sealed.map(|s| s.value), self.keys.current_kid()],
                )?
                .ok_or_else(|| StoreError::Database("INSERT returned no id".into()))?
                .int(0)?;
            for parent in parent_ids {
                tx.execute("INSERT INTO role_parents (role, parent) VALUES ($1, $2)", &params![id, parent])?;
            }
            Ok(Some(Entry::new("role.add", "role", name, json!({"parents": parents}))))
        })
    }

    /// Deletes a role with its grants, denies and memberships; roles inheriting from
    /// it lose that parent.
    pub fn delete_role(&self, scope: &Scope, name: &str) -> Result<Change, StoreError> {
        self.change(scope, |tx, tenant| {
            let id = role_id(tx, tenant.id, name)?;
            let members = tx.count("SELECT COUNT(*) FROM members WHERE role = $1", &params![id])?;
            let children = tx.count("SELECT COUNT(*) FROM role_parents WHERE parent = $1", &params![id])?;
            tx.execute("DELETE FROM members WHERE role = $1", &params![id])?;
            tx.execute("DELETE FROM roles WHERE id = $1", &params![id])?;
            // Refused while a group, grant or rule of the resource model names the role.
            check_model(tx, &self.keys, tenant.id, &scope.tenant).map_err(|e| in_use(e, "role", name))?;
            let details = json!({"memberships_removed": members, "children_unlinked": children});
            Ok(Some(Entry::new("role.delete", "role", name, details)))
        })
    }

    /// Every role of the tenant, sorted by name.
    pub fn roles(&self, tenant: &str) -> Result<Vec<RoleInfo>, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row(tx, tenant)?;
            Ok(read_roles(tx, &self.keys, id)?.into_iter().map(|(_, role)| role).collect())
        })
    }

    /// Grants `pattern` to `role`.
    pub fn grant(&self, scope: &Scope, role: &str, pattern: &str) -> Result<Change, StoreError> {
        self.add_rule(scope, role, pattern, GRANT)
    }

    /// Denies `pattern` to `role`; a deny beats any grant.
    pub fn deny(&self, scope: &Scope, role: &str, pattern: &str) -> Result<Change, StoreError> {
        self.add_rule(scope, role, pattern, DENY)
    }

    /// Removes a grant (or, with `deny`, a deny) of `pattern` from `role`.
    pub fn revoke(&self, scope: &Scope, role: &str, pattern: &str, deny: bool) -> Result<Change, StoreError> {
        let effect = if deny { DENY } else { GRANT };
        self.change(scope, |tx, tenant| {
            let (_, filter, values) = self.rule(tx, tenant.id, role, effect, pattern)?;
            let sql = format!("DELETE FROM rules WHERE {filter}");
            if tx.execute(&sql, &values)? == 0 {
                return Err(StoreError::NotFound {
                    kind: effect_name(effect),
                    name: format!("{pattern} of role {role}"),
                });
            }
            let action = if deny { "permission.undeny" } else { "permission.revoke" };
            Ok(Some(Entry::new(action, "permission", pattern, json!({"role": role}))))
        })
    }

    fn add_rule(&self, scope: &Scope, role: &str, pattern: &str, effect: i64) -> Result<Change, StoreError> {
        check(IdentifierKind::Pattern, "permission", pattern)?;
        self.change(scope, |tx, tenant| {
            let (id, filter, values) = self.rule(tx, tenant.id, role, effect, pattern)?;
            let sql = format!("SELECT id FROM rules WHERE {filter}");
            if tx.query_opt(&sql, &values)?.is_some() {
                return Ok(None);
            }
            let sealed = self.keys.seal(Field::Pattern, tenant.id, pattern)?;
            tx.execute(
                "INSERT INTO rules (tenant, role, effect, pattern, pattern_index, key_id) VALUES ($1, $2, $3, $4, $5, $6)",
                &params![tenant.id, id, effect, sealed.value, sealed.index, self.keys.current_kid()],
            )?;
            // A pattern on a declared type must name one of its actions.
            check_model(tx, &self.keys, tenant.id, &scope.tenant)?;
            let action = if effect == DENY { "permission.deny" } else { "permission.grant" };
            Ok(Some(Entry::new(action, "permission", pattern, json!({"role": role}))))
        })
    }

    /// Makes `user` a member of `role`.
    pub fn add_member(&self, scope: &Scope, user: &str, role: &str) -> Result<Change, StoreError> {
        check(IdentifierKind::User, "user", user)?;
        self.change(scope, |tx, tenant| {
            let (id, filter, values) = self.membership(tx, tenant.id, user, role)?;
            let sql = format!("SELECT id FROM members WHERE {filter}");
            if tx.query_opt(&sql, &values)?.is_some() {
                return Ok(None);
            }
            let sealed = self.keys.seal(Field::User, tenant.id, user)?;
            tx.execute(
                "INSERT INTO members (tenant, role, user_name, user_index, key_id) VALUES ($1, $2, $3, $4, $5)",
                &params![tenant.id, id, sealed.value, sealed.index, self.keys.current_kid()],
            )?;
            Ok(Some(Entry::new("member.add", "membership", user, json!({"role": role}))))
        })
    }

    /// Removes `user` from `role`.
    pub fn remove_member(&self, scope: &Scope, user: &str, role: &str) -> Result<Change, StoreError> {
        self.change(scope, |tx, tenant| {
            let (_, filter, values) = self.membership(tx, tenant.id, user, role)?;
            let sql = format!("DELETE FROM members WHERE {filter}");
            if tx.execute(&sql, &values)? == 0 {
                return Err(StoreError::NotFound {
                    kind: "membership",
                    name: format!("{user} in role {role}"),
                });
            }
            Ok(Some(Entry::new("member.remove", "membership", user, json!({"role": role}))))
        })
    }

    /// `role`'s id, and the WHERE clause (and its values) naming its rule of `effect`
    /// on `pattern`, in whichever form the pattern is stored.
    fn rule(
        &self,
        tx: &mut dyn Tx,
        tenant: i64,
        role: &str,
        effect: i64,
        pattern: &str,
    ) -> Result<(i64, String, Vec<Value>), StoreError> {
        let id = role_id(tx, tenant, role)?;
        let (matches, candidates) =
            any_of("pattern_index", 3, self.keys.index_candidates(Field::Pattern, tenant, pattern));
        Ok((
            id,
            format!("role = $1 AND effect = $2 AND {matches}"),
            [params![id, effect].to_vec(), candidates].concat(),
        ))
    }

    /// `role`'s id, and the WHERE clause (and its values) naming `user`'s membership of it.
    fn membership(
        &self,
        tx: &mut dyn Tx,
        tenant: i64,
        user: &str,
        role: &str,
    ) -> Result<(i64, String, Vec<Value>), StoreError> {
        let id = role_id(tx, tenant, role)?;
        let (matches, candidates) =
            any_of("user_index", 2, self.keys.index_candidates(Field::User, tenant, user));
        Ok((id, format!("role = $1 AND {matches}"), [params![id].to_vec(), candidates].concat()))
    }

    /// Replaces the tenant's whole policy with `document` (validated first: nothing is
    /// written unless all of it is valid), in one transaction. `progress` is called
    /// with the number of memberships written so far.
    pub fn import(
        &self,
        scope: &Scope,
        document: &PolicyDocument,
        progress: &dyn Fn(usize),
    ) -> Result<ImportSummary, StoreError> {
        if document.strict_users.is_some() {
            // The store derives it from the tenant's setting and its API keys.
            return Err(StoreError::Policy(PolicyError::Document {
                message: "strict_users: a tenant's strict users come from its `strict_users` setting and \
                          its API keys, not from an imported document; remove the section"
                    .into(),
            }));
        }
        if document.tenant != scope.tenant {
            return Err(StoreError::Policy(PolicyError::Document {
                message: format!(
                    "the document is for tenant {}, the import is into {}",
                    super::fingerprint(&document.tenant),
                    super::fingerprint(&scope.tenant)
                ),
            }));
        }
        document.clone().into_policy()?;
        let mut summary = ImportSummary { roles: 0, rules: 0, memberships: 0, entries: 0, revision: 0 };
        let change = self.change(scope, |tx, tenant| {
            summary = write_document(tx, &self.keys, tenant.id, document, progress)?;
            let details =
                json!({"roles": summary.roles, "rules": summary.rules, "memberships": summary.memberships, "entries": summary.entries});
            Ok(Some(Entry::new("policy.import", "tenant", super::fingerprint(&scope.tenant), details)))
        })?;
        summary.revision = change.revision;
        Ok(summary)
    }

    /// The tenant's policy as a document, with the revision it was read at.
    pub fn policy(&self, tenant: &str) -> Result<(PolicyDocument, u64), StoreError> {
        self.policy_of_digest(&super::key_digest(tenant), tenant)
    }

    /// [`policy`](Self::policy) of the tenant with this key digest, its document
    /// naming the tenant `name`.
    pub(crate) fn policy_of_digest(
        &self,
        digest: &str,
        name: &str,
    ) -> Result<(PolicyDocument, u64), StoreError> {
        self.read(|tx| {
            let (id, revision) = super::tenant_row_of_digest(tx, digest)?;
            Ok((read_document(tx, &self.keys, id, name)?, revision))
        })
    }
}

fn write_document(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    document: &PolicyDocument,
    progress: &dyn Fn(usize),
) -> Result<ImportSummary, StoreError> {
    // Memberships and rules first: deleting them by tenant is one index scan, where
    // the cascade from roles would look each one up.
    tx.execute("DELETE FROM members WHERE tenant = $1", &params![tenant])?;
    tx.execute("DELETE FROM rules WHERE tenant = $1", &params![tenant])?;
    tx.execute("DELETE FROM roles WHERE tenant = $1", &params![tenant])?;
    let kid = keys.current_kid();
    // Everything goes in through the bulk path: rows one statement each would cost a
    // round trip per grant on PostgreSQL.
    let mut rows = Vec::with_capacity(document.roles.0.len() * 4);
    for (name, role) in &document.roles.0 {
        let sealed = keys.seal_opt(Field::Description, tenant, role.description.as_deref())?;
        rows.extend(params![tenant, name.as_str(), sealed.map(|s| s.value), kid]);
    }
    tx.insert_many("roles", &["tenant", "name", "description", "key_id"], &rows)?;
    let mut ids = HashMap::with_capacity(document.roles.0.len());
    for row in tx.query("SELECT id, name FROM roles WHERE tenant = $1", &params![tenant])? {
        ids.insert(row.text(1)?, row.int(0)?);
    }
    let id_of = |name: &str| {
        ids.get(name).copied().ok_or_else(|| StoreError::NotFound { kind: "role", name: name.to_owned() })
    };
    let (mut parents, mut rules) = (Vec::new(), Vec::new());
    for (name, role) in &document.roles.0 {
        let id = id_of(name)?;
        for parent in &role.parents {
            parents.extend(params![id, id_of(parent)?]);
        }
        for (effect, patterns) in [(GRANT, &role.grants), (DENY, &role.denies)] {
            for pattern in patterns {
                let sealed = keys.seal(Field::Pattern, tenant, pattern)?;
                rules.extend(params![tenant, id, effect, sealed.value, sealed.index, kid]);
            }
        }
    }
    tx.insert_many("role_parents", &["role", "parent"], &parents)?;
    tx.insert_many("rules", &["tenant", "role", "effect", "pattern", "pattern_index", "key_id"], &rules)?;
    let rules = rules.len() / 6;
    const COLUMNS: [&str; 5] = ["tenant", "role", "user_name", "user_index", "key_id"];
    let mut rows: Vec<Value> = Vec::with_capacity(CHUNK * COLUMNS.len());
    let mut memberships = 0;
    for (user, roles) in &document.members.0 {
        for role in roles {
            let sealed = keys.seal(Field::User, tenant, user)?;
            rows.extend(params![tenant, id_of(role)?, sealed.value, sealed.index, kid]);
            memberships += 1;
            if memberships % CHUNK == 0 {
                tx.insert_many("members", &COLUMNS, &rows)?;
                rows.clear();
                progress(memberships);
            }
        }
    }
    tx.insert_many("members", &COLUMNS, &rows)?;
    progress(memberships);
    let entries = write_model(tx, keys, tenant, document)?;
    Ok(ImportSummary { roles: document.roles.0.len(), rules, memberships, entries, revision: 0 })
}

/// Roles by id: name, description, parents.
fn read_roles(tx: &mut dyn Tx, keys: &FieldKeys, tenant: i64) -> Result<Vec<(i64, RoleInfo)>, StoreError> {
    let mut roles = Vec::new();
    tx.query_each(
        "SELECT id, name, description FROM roles WHERE tenant = $1 ORDER BY name",
        &params![tenant],
        &mut |row| {
            let description = keys.open_opt(Field::Description, tenant, row.opt_bytes(2)?.as_deref())?;
            roles.push((row.int(0)?, RoleInfo { name: row.text(1)?, description, parents: Vec::new() }));
            Ok(())
        },
    )?;
    let index: HashMap<i64, usize> = roles.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let names: HashMap<i64, String> = roles.iter().map(|(id, r)| (*id, r.name.clone())).collect();
    tx.query_each(
        "SELECT p.role, p.parent FROM role_parents p JOIN roles r ON r.id = p.role WHERE r.tenant = $1",
        &params![tenant],
        &mut |row| {
            if let (Some(&i), Some(parent)) = (index.get(&row.int(0)?), names.get(&row.int(1)?))
                && let Some((_, role)) = roles.get_mut(i)
            {
                role.parents.push(parent.clone());
            }
            Ok(())
        },
    )?;
    for (_, role) in &mut roles {
        role.parents.sort();
    }
    Ok(roles)
}

pub(crate) fn read_document(
    tx: &mut dyn Tx,
    keys: &FieldKeys,
    tenant: i64,
    client_key: &str,
) -> Result<PolicyDocument, StoreError> {
    let roles = read_roles(tx, keys, tenant)?;
    let index: HashMap<i64, usize> = roles.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut documents: Vec<(String, RoleDocument)> = roles
        .iter()
        .map(|(_, r)| {
            let document = RoleDocument {
                description: r.description.clone(),
                parents: r.parents.clone(),
                grants: Vec::new(),
                denies: Vec::new(),
            };
            (r.name.clone(), document)
        })
        .collect();
    tx.query_each(
        "SELECT role, effect, pattern FROM rules WHERE tenant = $1 ORDER BY id",
        &params![tenant],
        &mut |row| {
            let pattern = keys.open(Field::Pattern, tenant, &row.bytes(2)?)?;
            let Some((_, role)) = index.get(&row.int(0)?).and_then(|&i| documents.get_mut(i)) else {
                return Err(StoreError::Corrupt("a rule refers to a role of another tenant".into()));
            };
            if row.int(1)? == DENY {
                role.denies.push(pattern)
            } else {
                role.grants.push(pattern)
            }
            Ok(())
        },
    )?;
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    tx.query_each("SELECT role, user_name FROM members WHERE tenant = $1", &params![tenant], &mut |row| {
        let user = keys.open(Field::User, tenant, &row.bytes(1)?)?;
        let Some((_, role)) = index.get(&row.int(0)?).and_then(|&i| roles.get(i)) else {
            return Err(StoreError::Corrupt("a membership refers to a role of another tenant".into()));
        };
        members.entry(user).or_default().push(role.name.clone());
        Ok(())
    })?;
    let mut members: Vec<(String, Vec<String>)> = members.into_iter().collect();
    members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, roles) in &mut members {
        roles.sort_unstable();
    }
    let mut document = PolicyDocument {
        roles: Entries(documents),
        members: Entries(members),
        ..PolicyDocument::new(client_key.to_owned())
    };
    read_model(tx, keys, tenant, &mut document)?;
    Ok(document)
}
