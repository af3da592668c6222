//! From the canonical [`ResourceModel`] back to a document's sections (export).

use alloc::string::String;
use alloc::vec::Vec;

use super::{GrantDocument, GroupDocument, Principal, ResourceDocument, ResourceModel, RuleDocument};
use super::{TypeDocument, UserDocument};
use crate::policy::Role;
use crate::policy::attributes::{AttributeMap, AttributeValue};
use crate::policy::document::{Entries, PolicyDocument};

fn entries(map: &AttributeMap) -> Entries<AttributeValue> {
    Entries(map.entries().to_vec())
}

impl ResourceModel {
    /// Writes the model's sections into `document`, sorted as the model is.
    pub(crate) fn write_sections(&self, roles: &[Role], document: &mut PolicyDocument) {
        let role = |id: &u32| roles.get(*id as usize).map(|r| r.name.clone()).unwrap_or_default();
        let group = |id: &u32| self.groups.get(*id as usize).map(|g| g.name.clone()).unwrap_or_default();
        let user = |id: &u32| self.users.get(*id as usize).map(|u| u.name.clone()).unwrap_or_default();
        let key = |id: &u32| self.key(*id);

        document.types = Entries(
            self.types
                .iter()
                .map(|t| (t.name.clone(), TypeDocument { actions: t.actions.clone() }))
                .collect(),
        );
        document.resources = Entries(
            (0u32..)
                .zip(&self.resources)
                .map(|(i, r)| {
                    let doc = ResourceDocument {
                        parents: r.parents.iter().map(key).collect(),
                        attributes: entries(&r.attributes),
                    };
                    (self.key(i), doc)
                })
                .collect(),
        );
        document.groups = Entries(
            self.groups
                .iter()
                .map(|g| {
                    let doc = GroupDocument {
                        members: g.members.iter().map(user).collect(),
                        parents: g.parents.iter().map(group).collect(),
                        roles: g.roles.iter().map(role).collect(),
                    };
                    (g.name.clone(), doc)
                })
                .collect(),
        );
        // A user without attributes is implied by the groups and grants naming them.
        let mut named = alloc::vec![false; self.users.len()];
        let grantees = self.grants.iter().filter_map(|g| match g.principal {
            Principal::User(u) => Some(u),
            Principal::Group(_) => None,
        });
        for id in self.groups.iter().flat_map(|g| g.members.iter().copied()).chain(grantees) {
            if let Some(flag) = named.get_mut(id as usize) {
                *flag = true;
            }
        }
        document.users = Entries(
            self.users
                .iter()
                .zip(named)
                .filter(|(u, named)| !u.attributes.is_empty() || !named)
                .map(|(u, _)| u)
                .map(|u| (u.name.clone(), UserDocument { attributes: entries(&u.attributes) }))
                .collect(),
        );
        document.grants = self
            .grants
            .iter()
            .map(|g| {
                let (user, group): (Option<String>, Option<String>) = match g.principal {
                    Principal::User(u) => (Some(user(&u)), None),
                    Principal::Group(id) => (None, Some(group(&id))),
                };
                GrantDocument { user, group, role: role(&g.role), on: key(&g.on) }
            })
            .collect();
        document.rules = self
            .rules
            .iter()
            .map(|r| RuleDocument {
                id: r.id.clone(),
                effect: r.effect,
                actions: r.actions.clone(),
                roles: r.roles.iter().map(role).collect::<Vec<_>>(),
                when: r.when.as_ref().map(|(text, _)| text.clone()),
            })
            .collect();
    }
}
