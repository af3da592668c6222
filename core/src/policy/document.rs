//! The policy-as-code document (JSON or YAML, one shape).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{Members, Policy, Role};
use super::resources::{GrantDocument, ResourceDocument, ResourceModel, RuleDocument, TypeDocument};
use super::resources::{GroupDocument, UserDocument};
use crate::error::PolicyError;

/// A policy as users write it. Unknown fields are an error, so a typo can neither
/// grant nor drop anything silently.
///
/// ```yaml
/// tenant: 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b
/// roles:
///   viewer: { description: Reads posts, grants: [posts:read] }
///   editor: { parents: [viewer], grants: ["posts:*"], denies: [posts:delete] }
/// members:
///   alice: [editor]
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PolicyDocument {
    /// The tenant's client key (UUID4).
    pub tenant: String,
    /// Roles by name.
    #[serde(default)]
    pub roles: Entries<RoleDocument>,
    /// Each user's direct roles.
    #[serde(default)]
    pub members: Entries<Vec<String>>,
    /// Strict users, when on. A server derives it from the tenant's `strict_users`
    /// setting and its API keys; a document carries it to build a snapshot elsewhere
    /// (`tessera snapshot build`) and for the conformance vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_users: Option<StrictUsersDocument>,
    /// Resource types and their actions.
    #[serde(default, skip_serializing_if = "Entries::is_empty")]
    pub types: Entries<TypeDocument>,
    /// Stored resources by `type:id`, with their parents and attributes.
    #[serde(default, skip_serializing_if = "Entries::is_empty")]
    pub resources: Entries<ResourceDocument>,
    /// Groups of users, with their sub-group links and tenant-wide roles.
    #[serde(default, skip_serializing_if = "Entries::is_empty")]
    pub groups: Entries<GroupDocument>,
    /// Users' attributes.
    #[serde(default, skip_serializing_if = "Entries::is_empty")]
    pub users: Entries<UserDocument>,
    /// Roles held on resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantDocument>,
    /// Permit and forbid rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleDocument>,
}

/// Strict users in a [`PolicyDocument`]: decisions about any user not listed are
/// negative (`user_not_key_backed`).
///
/// ```yaml
/// strict_users:
///   key_backed: [alice, build-bot]
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct StrictUsersDocument {
    /// The users holding a live API key.
    #[serde(default)]
    pub key_backed: Vec<String>,
}

/// One role of a [`PolicyDocument`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct RoleDocument {
    /// Free text shown to administrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Roles whose grants and denies this role inherits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// Permission patterns granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
    /// Permission patterns denied; a deny beats any grant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denies: Vec<String>,
}

/// Serde's derive reads a struct from a sequence of its fields too, so
/// `viewer: [posts:read]` would pass as a role described `posts:read` that grants
/// nothing. The derives above are `remote = "Self"` (inherent functions); these impls
/// put them behind a reader that takes a mapping and nothing else.
macro_rules! mapping_only {
    (deserialize: $($document:ident),*) => {$(
        impl<'de> serde::Deserialize<'de> for $document {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Mapping;

                impl<'de> serde::de::Visitor<'de> for Mapping {
                    type Value = $document;

                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str("a mapping")
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
                        $document::deserialize(serde::de::value::MapAccessDeserializer::new(access))
                    }
                }

                deserializer.deserialize_map(Mapping)
            }
        }
    )*};
    ($($document:ident),*) => {
        $(
            impl serde::Serialize for $document {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    $document::serialize(self, serializer)
                }
            }
        )*
        $crate::policy::mapping_only!(deserialize: $($document),*);
    };
}

pub(crate) use mapping_only;

mapping_only!(PolicyDocument, RoleDocument, StrictUsersDocument);

/// A map kept as a list of entries in document order, so that a key written twice
/// is reported as a duplicate instead of silently overwriting the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entries<V>(pub Vec<(String, V)>);

impl<V> Entries<V> {
    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V: Serialize> Serialize for Entries<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Entries::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = access.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

impl PolicyDocument {
    /// An empty policy for `tenant`.
    pub fn new(tenant: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            roles: Entries::default(),
            members: Entries::default(),
            strict_users: None,
            types: Entries::default(),
            resources: Entries::default(),
            groups: Entries::default(),
            users: Entries::default(),
            grants: Vec::new(),
            rules: Vec::new(),
        }
    }

    /// Parses a JSON policy document. An error names where in the document it is
    /// (`roles.viewer: invalid type: sequence, expected a mapping at line 1 column 40`).
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let mut json = serde_json::Deserializer::from_str(text);
        let document = Self::read(&mut json)?;
        json.end().map_err(|e| PolicyError::Document { message: format!("{e}") })?;
        Ok(document)
    }

    /// Whether the document has any section of the resource model (types, resources,
    /// groups, users, grants, rules).
    pub fn has_resource_model(&self) -> bool {
        !(self.types.is_empty()
            && self.resources.is_empty()
            && self.groups.is_empty()
            && self.users.is_empty()
            && self.grants.is_empty()
            && self.rules.is_empty())
    }

    /// Reads a policy document from any serde format (the CLI reads YAML with it). An
    /// error names where in the document it is, as a dotted path.
    pub fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, PolicyError> {
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = format!("{}", error.path());
            let message = match path.as_str() {
                "." => format!("{}", error.inner()),
                _ => format!("{path}: {}", error.inner()),
            };
            PolicyError::Document { message }
        })
    }

    /// Validates the document and turns it into a canonical [`Policy`].
    pub fn into_policy(self) -> Result<Policy, PolicyError> {
        let mut by_name = BTreeMap::new();
        for (name, role) in self.roles.0 {
            if by_name.contains_key(&name) {
                return Err(PolicyError::Duplicate { field: "roles".into(), value: name });
            }
            by_name.insert(name, role);
        }
        let index: BTreeMap<&str, u32> =
            by_name.keys().zip(0u32..).map(|(name, i)| (name.as_str(), i)).collect();
        let resolve_parent = |role: &str, parent: &String| {
            index
                .get(parent.as_str())
                .copied()
                .ok_or_else(|| PolicyError::UnknownParent { role: role.into(), parent: parent.clone() })
        };

        let mut roles = Vec::with_capacity(by_name.len());
        for (name, doc) in &by_name {
            let parents = doc
                .parents
                .iter()
                .map(|parent| resolve_parent(name, parent))
                .collect::<Result<Vec<_>, _>>()?;
            roles.push(Role {
                name: name.clone(),
                description: doc.description.clone(),
                parents,
                grants: doc.grants.clone(),
                denies: doc.denies.clone(),
            });
        }

        let mut users: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (user, role_names) in self.members.0 {
            if users.contains_key(&user) {
                return Err(PolicyError::Duplicate { field: "members".into(), value: user });
            }
            let mut ids = Vec::with_capacity(role_names.len());
            for role in role_names {
                let Some(&id) = index.get(role.as_str()) else {
                    return Err(PolicyError::UnknownRole { user, role });
                };
                if ids.contains(&id) {
                    return Err(PolicyError::Duplicate { field: format!("members.{user}"), value: role });
                }
                ids.push(id);
            }
            ids.sort_unstable();
            users.insert(user, ids);
        }
        let mut members = Members::default();
        for (user, ids) in &users {
            members.push(user, ids);
        }
        let model = ResourceModel::build(
            &index,
            super::resources::Sections {
                types: self.types,
                resources: self.resources,
                groups: self.groups,
                users: self.users,
                grants: self.grants,
                rules: self.rules,
            },
        )?;
        let policy = Policy::new(self.tenant, roles, members, None, model, None)?;
        match self.strict_users {
            Some(strict) => policy.with_strict_users(strict.key_backed),
            None => Ok(policy),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    use alloc::string::ToString;

    use super::PolicyDocument;

    const TENANT: &str = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";

    fn refusal(body: &str) -> alloc::string::String {
        let text = alloc::format!(r#"{{"tenant": "{TENANT}", {body}}}"#);
        let error = PolicyDocument::from_json(&text).unwrap_err();
        assert_eq!(error.code(), "ERR_POLICY_DOCUMENT");
        error.to_string()
    }

    #[test]
    fn a_wrong_shape_is_named_by_its_path() {
        let message = refusal(r#""roles": {"viewer": ["posts:read"]}"#);
        assert!(
            message.starts_with("policy document: roles.viewer: invalid type: sequence, expected a mapping"),
            "{message}"
        );
        let message = refusal(r#""roles": {"viewer": {"grants": "posts:read"}}"#);
        assert!(
            message.starts_with("policy document: roles.viewer.grants: invalid type: string"),
            "{message}"
        );
        let message = refusal(r#""members": {"alice": "viewer"}"#);
        assert!(message.starts_with("policy document: members.alice: invalid type: string"), "{message}");
    }

    #[test]
    fn a_mapping_still_reads() {
        let text = alloc::format!(
            r#"{{"tenant": "{TENANT}", "roles": {{"viewer": {{"description": "a\n\tb", "grants": ["x"]}}}}}}"#
        );
        let document = PolicyDocument::from_json(&text).unwrap();
        assert_eq!(document.roles.0[0].1.grants, ["x"]);
        document.into_policy().unwrap();
    }
}
