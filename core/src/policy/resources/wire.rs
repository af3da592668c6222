//! How a [`ResourceModel`] travels inside a snapshot (format 3).
//!
//! Tables by column, references by index: `resources` as parallel lists of type
//! index, id, parent count and attribute map, with every parent index in one flat
//! list; `grants` as three parallel lists (resource, principal, role), where a
//! principal below the user count is a user and the rest are groups after them.
//! Large tables are runs of fixed-width integers, so a later reader can use them
//! where they lie. Decoding checks lengths and ranges; the authoring rules run after.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::{Effect, Grant, GroupDef, Principal, ResourceDef, ResourceModel, RuleDef, TypeDef, UserDef};
use crate::condition::Condition;
use crate::error::PolicyError;
use crate::policy::attributes::AttributeMap;

#[derive(Serialize)]
pub(crate) struct ModelOut<'a> {
    types: Vec<(&'a str, &'a [String])>,
    resources: ResourcesOut<'a>,
    users: UsersOut<'a>,
    groups: Vec<GroupOut<'a>>,
    grants: GrantsOut,
    rules: Vec<RuleOut<'a>>,
}

/// `[name, [member], [parent], [role]]`, by index.
#[derive(Serialize)]
struct GroupOut<'a>(&'a str, &'a [u32], &'a [u32], &'a [u32]);

/// `[id, effect, [pattern], [role], when | nil]`.
#[derive(Serialize)]
struct RuleOut<'a>(&'a str, Effect, &'a [String], &'a [u32], Option<&'a str>);

#[derive(Deserialize)]
struct GroupIn(String, Vec<u32>, Vec<u32>, Vec<u32>);

#[derive(Deserialize)]
struct RuleIn(String, Effect, Vec<String>, Vec<u32>, Option<String>);

#[derive(Serialize)]
struct ResourcesOut<'a> {
    types: Vec<u32>,
    ids: Vec<&'a str>,
    parent_counts: Vec<u32>,
    parents: Vec<u32>,
    attributes: Vec<&'a AttributeMap>,
}

#[derive(Serialize)]
struct UsersOut<'a> {
    names: Vec<&'a str>,
    attributes: Vec<&'a AttributeMap>,
}

#[derive(Serialize, Deserialize)]
struct GrantsOut {
    on: Vec<u32>,
    principals: Vec<u32>,
    roles: Vec<u32>,
}

/// A model as decoded, before validation.
#[derive(Deserialize)]
pub(crate) struct RawModel {
    types: Vec<(String, Vec<String>)>,
    resources: ResourcesIn,
    users: UsersIn,
    groups: Vec<GroupIn>,
    grants: GrantsOut,
    rules: Vec<RuleIn>,
}

#[derive(Deserialize)]
struct ResourcesIn {
    types: Vec<u32>,
    ids: Vec<String>,
    parent_counts: Vec<u32>,
    parents: Vec<u32>,
    attributes: Vec<AttributeMap>,
}

#[derive(Deserialize)]
struct UsersIn {
    names: Vec<String>,
    attributes: Vec<AttributeMap>,
}

impl<'a> ModelOut<'a> {
    pub(crate) fn new(model: &'a ResourceModel) -> Self {
        let resources = &model.resources;
        let users = model.users.len() as u32;
        Self {
            types: model.types.iter().map(|t| (t.name.as_str(), t.actions.as_slice())).collect(),
            resources: ResourcesOut {
                types: resources.iter().map(|r| r.kind).collect(),
                ids: resources.iter().map(|r| r.id.as_str()).collect(),
                parent_counts: resources.iter().map(|r| r.parents.len() as u32).collect(),
                parents: resources.iter().flat_map(|r| r.parents.iter().copied()).collect(),
                attributes: resources.iter().map(|r| &r.attributes).collect(),
            },
            users: UsersOut {
                names: model.users.iter().map(|u| u.name.as_str()).collect(),
                attributes: model.users.iter().map(|u| &u.attributes).collect(),
            },
            groups: model
                .groups
                .iter()
                .map(|g| GroupOut(&g.name, &g.members, &g.parents, &g.roles))
                .collect(),
            grants: GrantsOut {
                on: model.grants.iter().map(|g| g.on).collect(),
                principals: model
                    .grants
                    .iter()
                    .map(|g| match g.principal {
                        Principal::User(u) => u,
                        Principal::Group(g) => users.saturating_add(g),
                    })
                    .collect(),
                roles: model.grants.iter().map(|g| g.role).collect(),
            },
            rules: model
                .rules
                .iter()
                .map(|r| {
                    let when = r.when.as_ref().map(|(text, _)| text.as_str());
                    RuleOut(&r.id, r.effect, &r.actions, &r.roles, when)
                })
                .collect(),
        }
    }
}

fn same_length(field: &'static str, lengths: &[usize]) -> Result<(), PolicyError> {
    if lengths.windows(2).any(|pair| pair[0] != pair[1]) {
        return Err(PolicyError::NotCanonical { field });
    }
    Ok(())
}

impl RawModel {
    /// Rebuilds the model, checking every length; the authoring rules run after.
    pub(crate) fn rebuild(self) -> Result<ResourceModel, PolicyError> {
        let r = self.resources;
        same_length("resources", &[r.types.len(), r.ids.len(), r.parent_counts.len(), r.attributes.len()])?;
        let mut parents = r.parents.into_iter();
        let mut resources = Vec::with_capacity(r.ids.len());
        for (((kind, id), count), attributes) in
            r.types.into_iter().zip(r.ids).zip(r.parent_counts).zip(r.attributes)
        {
            let list: Vec<u32> = parents.by_ref().take(count as usize).collect();
            if list.len() != count as usize {
                return Err(PolicyError::NotCanonical { field: "resources.parent_counts" });
            }
            resources.push(ResourceDef { kind, id, parents: list, attributes });
        }
        if parents.next().is_some() {
            return Err(PolicyError::NotCanonical { field: "resources.parent_counts" });
        }

        same_length("users", &[self.users.names.len(), self.users.attributes.len()])?;
        let users: Vec<UserDef> = self
            .users
            .names
            .into_iter()
            .zip(self.users.attributes)
            .map(|(name, attributes)| UserDef { name, attributes })
            .collect();

        let g = self.grants;
        same_length("grants", &[g.on.len(), g.principals.len(), g.roles.len()])?;
        let user_count = users.len() as u32;
        let grants =
            g.on.into_iter()
                .zip(g.principals)
                .zip(g.roles)
                .map(|((on, principal), role)| {
                    let principal = match principal.checked_sub(user_count) {
                        Some(group) => Principal::Group(group),
                        None => Principal::User(principal),
                    };
                    Grant { on, principal, role }
                })
                .collect();

        let mut rules = Vec::with_capacity(self.rules.len());
        for RuleIn(id, effect, actions, roles, when) in self.rules {
            let when = match when {
                Some(text) => {
                    let condition = Condition::parse(&text)
                        .map_err(|error| PolicyError::Condition { rule: id.clone(), error })?;
                    Some((text, condition))
                }
                None => None,
            };
            rules.push(RuleDef { id, effect, actions, roles, when });
        }

        Ok(ResourceModel {
            types: self.types.into_iter().map(|(name, actions)| TypeDef { name, actions }).collect(),
            resources,
            users,
            groups: self
                .groups
                .into_iter()
                .map(|GroupIn(name, members, parents, roles)| GroupDef { name, members, parents, roles })
                .collect(),
            grants,
            rules,
        })
    }
}
