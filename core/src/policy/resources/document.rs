//! The resource model's sections of the policy-as-code document.
//!
//! ```yaml
//! types:
//!   folder:   { actions: [read, write] }
//!   document: { actions: [read, edit, delete, share] }
//! resources:
//!   "folder:eng":       { attributes: { archived: false } }
//!   "document:roadmap": { parents: ["folder:eng"], attributes: { owner: alice } }
//! groups:
//!   eng:   { members: [alice, bob], parents: [staff] }
//!   staff: { roles: [viewer] }
//! users:
//!   alice: { attributes: { department: Legal } }
//! grants:
//!   - { group: eng, role: editor, on: "folder:eng" }
//! rules:
//!   - id: owners-edit
//!     effect: permit
//!     actions: ["document:edit"]
//!     when: resource.owner == subject.id
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::policy::attributes::AttributeValue;
use crate::policy::document::{Entries, mapping_only};

/// A resource type: the actions a resource of it offers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct TypeDocument {
    /// The actions (`read`, `edit`, ...); the permission for action `a` on type `t` is `t:a`.
    #[serde(default)]
    pub actions: Vec<String>,
}

/// A stored resource, keyed `type:id` in the document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ResourceDocument {
    /// Resources (`type:id`) this one sits under; roles held on them apply here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// Attributes rule conditions read as `resource.<name>`.
    #[serde(default, skip_serializing_if = "Entries::is_empty")]
    pub attributes: Entries<AttributeValue>,
}

/// A group of users.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct GroupDocument {
    /// The users in the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Groups this one belongs to: its members hold what those groups hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// Roles the group's members hold tenant-wide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// A user's stored attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct UserDocument {
    /// Attributes rule conditions read as `subject.<name>`.
    #[serde(default, skip_serializing_if = "Entries::is_empty")]
    pub attributes: Entries<AttributeValue>,
}

/// A role held on a resource, by a user or by a group (exactly one of the two).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct GrantDocument {
    /// The user holding the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The group holding the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The role held.
    pub role: String,
    /// The resource (`type:id`) it is held on; it applies to its descendants too.
    pub on: String,
}

/// Whether a rule allows or denies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Allows, unless a deny or a forbid rule applies.
    Permit,
    /// Denies, beating every grant and permit.
    Forbid,
}

/// A permit or forbid rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct RuleDocument {
    /// The rule's id, named in the decisions it makes.
    pub id: String,
    /// Permit or forbid.
    pub effect: Effect,
    /// Permission patterns (`document:edit`, `document:*`, `*`) of the actions it covers.
    pub actions: Vec<String>,
    /// When given, the rule applies only to subjects holding one of these roles where
    /// it applies (tenant-wide, or on the resource or an ancestor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The condition; absent, the rule always applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

mapping_only!(TypeDocument, ResourceDocument, GroupDocument, UserDocument, GrantDocument, RuleDocument);
