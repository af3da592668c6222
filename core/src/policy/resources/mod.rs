//! The resource model of a policy: types with actions, resources with parents and
//! attributes, users' attributes, groups, roles held on resources, and rules.
//!
//! [`ResourceModel`] is the canonical form, by index: every list sorted, every
//! reference an index into its table. It is built from a document's sections
//! ([`ResourceModel::build`]) or decoded from a snapshot, and both paths end in the
//! same validation.

mod build;
mod document;
mod export;
pub(crate) mod validate;
mod wire;

use alloc::string::String;
use alloc::vec::Vec;

pub(crate) use build::Sections;
pub use document::{
    Effect, GrantDocument, GroupDocument, ResourceDocument, RuleDocument, TypeDocument, UserDocument,
};
pub(crate) use wire::ModelTables;

use super::attributes::AttributeMap;
use crate::condition::Condition;

/// The resource model in canonical form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ResourceModel {
    /// Sorted by name.
    pub(crate) types: Vec<TypeDef>,
    /// Sorted by (type index, id), that is by type name, then id (not quite the
    /// order of the `type:id` keys: `doc-x` sorts after `doc` here, before it there).
    pub(crate) resources: Vec<ResourceDef>,
    /// Every user the model names (in a group, a grant or with attributes), sorted.
    pub(crate) users: Vec<UserDef>,
    /// Sorted by name.
    pub(crate) groups: Vec<GroupDef>,
    /// Sorted by (resource, principal, role), each once.
    pub(crate) grants: Vec<Grant>,
    /// Sorted by id.
    pub(crate) rules: Vec<RuleDef>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TypeDef {
    pub(crate) name: String,
    /// Sorted, each once.
    pub(crate) actions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResourceDef {
    pub(crate) kind: u32,
    pub(crate) id: String,
    /// Resource indices, ascending.
    pub(crate) parents: Vec<u32>,
    pub(crate) attributes: AttributeMap,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UserDef {
    pub(crate) name: String,
    pub(crate) attributes: AttributeMap,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupDef {
    pub(crate) name: String,
    /// User indices, ascending.
    pub(crate) members: Vec<u32>,
    /// Group indices, ascending.
    pub(crate) parents: Vec<u32>,
    /// Role indices, ascending.
    pub(crate) roles: Vec<u32>,
}

/// Who holds a grant. Ordered users first, then groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Principal {
    User(u32),
    Group(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Grant {
    pub(crate) on: u32,
    pub(crate) principal: Principal,
    pub(crate) role: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleDef {
    pub(crate) id: String,
    pub(crate) effect: Effect,
    /// Permission patterns, sorted, each once.
    pub(crate) actions: Vec<String>,
    /// Role indices, ascending; empty means any subject.
    pub(crate) roles: Vec<u32>,
    /// The condition's text and its compiled form.
    pub(crate) when: Option<(String, Condition)>,
}

impl ResourceModel {
    /// Whether the model is empty (a tenant-wide policy only).
    pub(crate) fn is_empty(&self) -> bool {
        self.types.is_empty()
            && self.resources.is_empty()
            && self.users.is_empty()
            && self.groups.is_empty()
            && self.grants.is_empty()
            && self.rules.is_empty()
    }

    /// `type:id` of a resource.
    pub(crate) fn key(&self, resource: u32) -> String {
        let Some(def) = self.resources.get(resource as usize) else { return String::new() };
        let kind = self.types.get(def.kind as usize).map_or("", |t| t.name.as_str());
        alloc::format!("{kind}:{}", def.id)
    }
}
