//! From a document's sections to the canonical [`ResourceModel`]: names resolved
//! to indices, every list sorted. Reference problems (an undeclared type, an unknown
//! parent, group, role or resource, a name twice) are reported here, by name; the
//! rest of the authoring rules run on the result, in `validate`.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::Grant;
use super::{
    GrantDocument, GroupDef, GroupDocument, Principal, ResourceDef, ResourceDocument, ResourceModel, RuleDef,
    RuleDocument, TypeDef, TypeDocument, UserDef, UserDocument,
};
use crate::condition::Condition;
use crate::error::PolicyError;
use crate::policy::attributes::{AttributeMap, AttributeValue};
use crate::policy::document::Entries;

/// The resource model's sections of a document, as written.
pub(crate) struct Sections {
    pub(crate) types: Entries<TypeDocument>,
    pub(crate) resources: Entries<ResourceDocument>,
    pub(crate) groups: Entries<GroupDocument>,
    pub(crate) users: Entries<UserDocument>,
    pub(crate) grants: Vec<GrantDocument>,
    pub(crate) rules: Vec<RuleDocument>,
}

/// Index of each name in a sorted table.
fn positions<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, u32> {
    names.zip(0u32..).collect()
}

/// The entries by key, refusing a key given twice.
fn unique<V>(field: &str, entries: Entries<V>) -> Result<BTreeMap<String, V>, PolicyError> {
    let mut map = BTreeMap::new();
    for (key, value) in entries.0 {
        if map.contains_key(&key) {
            return Err(PolicyError::Duplicate { field: field.into(), value: key });
        }
        map.insert(key, value);
    }
    Ok(map)
}

/// Names resolved to indices, sorted; a name twice or unknown is an error.
fn resolve(
    field: &str,
    names: &[String],
    table: &BTreeMap<&str, u32>,
    unknown: impl Fn(String) -> PolicyError,
) -> Result<Vec<u32>, PolicyError> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let &id = table.get(name.as_str()).ok_or_else(|| unknown(name.clone()))?;
        ids.push(id);
    }
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        let name =
            names.iter().find(|n| table.get(n.as_str()) == Some(&pair[0])).cloned().unwrap_or_default();
        return Err(PolicyError::Duplicate { field: field.into(), value: name });
    }
    Ok(ids)
}

fn attributes(field: String, entries: Entries<AttributeValue>) -> Result<AttributeMap, PolicyError> {
    AttributeMap::from_entries(entries.0).map_err(|value| PolicyError::Duplicate { field, value })
}

fn sorted_unique(field: String, mut list: Vec<String>) -> Result<Vec<String>, PolicyError> {
    list.sort_unstable();
    if let Some(pair) = list.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(PolicyError::Duplicate { field, value: pair[0].clone() });
    }
    Ok(list)
}

impl ResourceModel {
    /// Resolves the sections against the policy's roles (`roles`: name to index).
    pub(crate) fn build(roles: &BTreeMap<&str, u32>, sections: Sections) -> Result<Self, PolicyError> {
        let Sections { types, resources, groups, users, grants, rules } = sections;
        let undefined_role =
            |field: String| move |role| PolicyError::UndefinedRole { field: field.clone(), role };

        let types = unique("types", types)?;
        let type_ids = positions(types.keys().map(String::as_str));
        let types = types
            .iter()
            .map(|(name, doc)| {
                let actions = sorted_unique(format!("types.{name}.actions"), doc.actions.clone())?;
                Ok(TypeDef { name: name.clone(), actions })
            })
            .collect::<Result<Vec<_>, PolicyError>>()?;

        // Resources: keyed `type:id`, ordered by (type, id), which is key order.
        let resources = unique("resources", resources)?;
        let mut keyed: Vec<(u32, &str, &String, ResourceDocument)> = Vec::with_capacity(resources.len());
        for (key, doc) in &resources {
            let (kind, id) = key.split_once(':').unwrap_or((key.as_str(), ""));
            let &type_id = type_ids.get(kind).ok_or_else(|| PolicyError::UnknownType {
                field: format!("resources.{key}"),
                name: kind.into(),
            })?;
            keyed.push((type_id, id, key, doc.clone()));
        }
        keyed.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let resource_ids = positions(keyed.iter().map(|r| r.2.as_str()));
        let unknown_resource =
            |field: String| move |resource| PolicyError::UnknownResource { field: field.clone(), resource };
        let mut resource_defs = Vec::with_capacity(keyed.len());
        for (kind, id, key, doc) in keyed {
            let field = format!("resources.{key}.parents");
            let parents = resolve(&field, &doc.parents, &resource_ids, unknown_resource(field.clone()))?;
            let attributes = attributes(format!("resources.{key}.attributes"), doc.attributes)?;
            resource_defs.push(ResourceDef { kind, id: id.into(), parents, attributes });
        }

        // Users: everyone the model names, with the attributes the `users` section gives.
        let mut user_attributes: BTreeMap<String, AttributeMap> = BTreeMap::new();
        for (name, doc) in unique("users", users)? {
            let map = attributes(format!("users.{name}.attributes"), doc.attributes)?;
            user_attributes.insert(name, map);
        }
        for name in
            groups.0.iter().flat_map(|(_, g)| &g.members).chain(grants.iter().filter_map(|g| g.user.as_ref()))
        {
            user_attributes.entry(name.clone()).or_default();
        }
        let user_ids = positions(user_attributes.keys().map(String::as_str));

        let groups = unique("groups", groups)?;
        let group_ids = positions(groups.keys().map(String::as_str));
        let mut group_defs = Vec::with_capacity(groups.len());
        for (name, doc) in &groups {
            let members = resolve(&format!("groups.{name}.members"), &doc.members, &user_ids, |user| {
                // Unreachable: every member was added to the user table above.
                PolicyError::Document { message: format!("groups.{name}.members: `{user}` is not a user") }
            })?;
            let field = format!("groups.{name}.parents");
            let parents = resolve(&field, &doc.parents, &group_ids, |group| PolicyError::UnknownGroup {
                field: field.clone(),
                group,
            })?;
            let field = format!("groups.{name}.roles");
            let roles = resolve(&field, &doc.roles, roles, undefined_role(field.clone()))?;
            group_defs.push(GroupDef { name: name.clone(), members, parents, roles });
        }

        let mut grant_defs = Vec::with_capacity(grants.len());
        for (i, grant) in grants.iter().enumerate() {
            let field = format!("grants[{i}]");
            let principal = match (&grant.user, &grant.group) {
                (Some(user), None) => {
                    // Every grantee was added to the user table above.
                    let id = user_ids.get(user.as_str()).ok_or_else(|| PolicyError::Document {
                        message: format!("{field}: `{user}` is not a user"),
                    })?;
                    Principal::User(*id)
                }
                (None, Some(group)) => {
                    let id = group_ids.get(group.as_str()).ok_or_else(|| PolicyError::UnknownGroup {
                        field: field.clone(),
                        group: group.clone(),
                    })?;
                    Principal::Group(*id)
                }
                _ => {
                    return Err(PolicyError::Document {
                        message: format!("{field}: give exactly one of `user` and `group`"),
                    });
                }
            };
            let role = *roles.get(grant.role.as_str()).ok_or_else(|| PolicyError::UndefinedRole {
                field: field.clone(),
                role: grant.role.clone(),
            })?;
            let on = *resource_ids.get(grant.on.as_str()).ok_or_else(|| PolicyError::UnknownResource {
                field: format!("{field}.on"),
                resource: grant.on.clone(),
            })?;
            grant_defs.push((Grant { on, principal, role }, i));
        }
        grant_defs.sort_unstable();
        if let Some(pair) = grant_defs.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            let grant = &grants[pair[1].1];
            let who = grant.user.as_deref().or(grant.group.as_deref()).unwrap_or_default();
            return Err(PolicyError::Duplicate {
                field: "grants".into(),
                value: format!("{who} holds {} on {}", grant.role, grant.on),
            });
        }

        let mut rule_defs = Vec::with_capacity(rules.len());
        for rule in rules {
            let field = format!("rules.{}", rule.id);
            let actions = sorted_unique(format!("{field}.actions"), rule.actions)?;
            let roles = resolve(
                &format!("{field}.roles"),
                &rule.roles,
                roles,
                undefined_role(format!("{field}.roles")),
            )?;
            let when = match rule.when {
                Some(text) => {
                    let condition = Condition::parse(&text)
                        .map_err(|error| PolicyError::Condition { rule: rule.id.clone(), error })?;
                    Some((text, condition))
                }
                None => None,
            };
            rule_defs.push(RuleDef { id: rule.id, effect: rule.effect, actions, roles, when });
        }
        rule_defs.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = rule_defs.windows(2).find(|pair| pair[0].id == pair[1].id) {
            return Err(PolicyError::Duplicate { field: "rules".into(), value: pair[0].id.clone() });
        }

        let users =
            user_attributes.into_iter().map(|(name, attributes)| UserDef { name, attributes }).collect();
        Ok(Self {
            types,
            resources: resource_defs,
            users,
            groups: group_defs,
            grants: grant_defs.into_iter().map(|(grant, _)| grant).collect(),
            rules: rule_defs,
        })
    }
}
