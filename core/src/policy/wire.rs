//! How a [`Policy`] travels inside a snapshot.
//!
//! Users are sorted, so each name is sent as the length it shares with the previous
//! name plus the rest (front coding): `user-0000041`, `user-0000042` cost one byte
//! of prefix length and one character. Direct roles travel as one flat list of role
//! indices with a count per user. Grant and deny patterns are sent once, in a sorted
//! table, and roles refer to them by index: a pattern many roles hold costs its text
//! once. Under strict users, the key-backed users follow as a sorted list
//! (`key_backed`), absent otherwise. The resource model, when there is one, follows
//! as `model` (see `resources::wire`). A subject-scoped policy ends with its
//! `subject`.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Serialize, Serializer};

use super::model::{Members, Policy, Role};
use super::resources::{ModelTables, ResourceModel};
use crate::error::{PolicyError, SnapshotError};
use crate::snapshot::reader::{Reader, once, required};

#[derive(Serialize)]
struct PolicyOut<'a> {
    tenant: &'a str,
    patterns: Vec<&'a str>,
    roles: Vec<RoleOut<'a>>,
    members: MembersOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_backed: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<ModelTables<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
}

/// `[name, description | nil, [parent], [grant], [deny]]`: an array, not a map, so
/// a thousand roles do not repeat five field names each.
#[derive(Serialize)]
struct RoleOut<'a>(&'a str, Option<&'a str>, &'a [u32], Vec<u32>, Vec<u32>);

#[derive(Serialize)]
struct MembersOut<'a> {
    #[serde(with = "serde_bytes")]
    shared: Vec<u8>,
    suffixes: Vec<&'a str>,
    counts: Vec<u32>,
    roles: &'a [u32],
}

/// A policy as decoded, before validation; the only way out is [`RawPolicy::validate`].
pub(crate) struct RawPolicy<'a> {
    tenant: String,
    patterns: Vec<&'a str>,
    roles: Vec<RoleIn>,
    members: MembersIn<'a>,
    key_backed: Option<Vec<String>>,
    model: Option<ModelTables<'a>>,
    subject: Option<String>,
}

struct RoleIn(String, Option<String>, Vec<u32>, Vec<u32>, Vec<u32>);

struct MembersIn<'a> {
    shared: &'a [u8],
    suffixes: Vec<&'a str>,
    counts: Vec<u32>,
    roles: Vec<u32>,
}

impl<'a> RawPolicy<'a> {
    /// Reads the policy's tables; [`RawPolicy::validate`] checks what they say.
    pub(crate) fn read(reader: &mut Reader<'a>) -> Result<Self, SnapshotError> {
        let (mut tenant, mut patterns, mut roles, mut members, mut key_backed, mut model, mut subject) =
            (None, None, None, None, None, None, None);
        reader.fields("policy", true, |r, name| match name {
            "tenant" => once(&mut tenant, r.string("policy.tenant")?, "policy.tenant"),
            "patterns" => once(&mut patterns, r.strs("policy.patterns")?, "policy.patterns"),
            "roles" => once(&mut roles, r.list("policy.roles", RoleIn::read)?, "policy.roles"),
            "members" => once(&mut members, MembersIn::read(r)?, "policy.members"),
            "key_backed" => {
                let list = r.option(|r| r.list("policy.key_backed", |r| r.string("policy.key_backed")))?;
                once(&mut key_backed, list, "policy.key_backed")
            }
            "model" => once(&mut model, r.option(ModelTables::read)?, "policy.model"),
            "subject" => once(&mut subject, r.string("policy.subject")?, "policy.subject"),
            _ => Ok(false),
        })?;
        Ok(Self {
            tenant: required(tenant, "policy.tenant")?,
            patterns: required(patterns, "policy.patterns")?,
            roles: required(roles, "policy.roles")?,
            members: required(members, "policy.members")?,
            key_backed: key_backed.flatten(),
            model: model.flatten(),
            subject,
        })
    }
}

impl RoleIn {
    fn read(reader: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        reader.tuple("policy.roles", 5)?;
        Ok(Self(
            reader.string("a role's name")?,
            reader.option(|r| r.string("a role's description"))?,
            reader.u32s("a role's parents")?,
            reader.u32s("a role's grants")?,
            reader.u32s("a role's denies")?,
        ))
    }
}

impl<'a> MembersIn<'a> {
    fn read(reader: &mut Reader<'a>) -> Result<Self, SnapshotError> {
        let (mut shared, mut suffixes, mut counts, mut roles) = (None, None, None, None);
        reader.fields("policy.members", true, |r, name| match name {
            "shared" => once(&mut shared, r.bin("members.shared")?, "members.shared"),
            "suffixes" => once(&mut suffixes, r.strs("members.suffixes")?, "members.suffixes"),
            "counts" => once(&mut counts, r.u32s("members.counts")?, "members.counts"),
            "roles" => once(&mut roles, r.u32s("members.roles")?, "members.roles"),
            _ => Ok(false),
        })?;
        Ok(Self {
            shared: required(shared, "members.shared")?,
            suffixes: required(suffixes, "members.suffixes")?,
            counts: required(counts, "members.counts")?,
            roles: required(roles, "members.roles")?,
        })
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (patterns, roles) = indexed_roles(&self.roles);
        PolicyOut {
            tenant: &self.tenant,
            patterns,
            roles,
            members: front_coded(&self.members),
            key_backed: self.key_backed.as_deref(),
            model: (!self.model.is_empty()).then(|| ModelTables::new(&self.model)),
            subject: self.subject.as_deref(),
        }
        .serialize(serializer)
    }
}

/// The sorted table of every grant and deny pattern, and the roles referring to it.
fn indexed_roles(roles: &[Role]) -> (Vec<&str>, Vec<RoleOut<'_>>) {
    let mut table: BTreeMap<&str, u32> = BTreeMap::new();
    for pattern in roles.iter().flat_map(|role| role.grants.iter().chain(&role.denies)) {
        table.insert(pattern, 0);
    }
    for (index, slot) in (0..).zip(table.values_mut()) {
        *slot = index;
    }
    let indices =
        |list: &[String]| list.iter().map(|p| table.get(p.as_str()).copied().unwrap_or(0)).collect();
    let out = roles
        .iter()
        .map(|role| {
            let description = role.description.as_deref();
            RoleOut(&role.name, description, &role.parents, indices(&role.grants), indices(&role.denies))
        })
        .collect();
    (table.into_keys().collect(), out)
}

fn front_coded(members: &Members) -> MembersOut<'_> {
    let count = members.len();
    let mut out = MembersOut {
        shared: Vec::with_capacity(count),
        suffixes: Vec::with_capacity(count),
        counts: Vec::with_capacity(count),
        roles: &members.roles,
    };
    let mut previous = "";
    for i in 0..count {
        let name = members.name(i);
        // Names are at most 64 ASCII bytes, so the shared length fits a byte.
        let common = previous.bytes().zip(name.bytes()).take_while(|(a, b)| a == b).count();
        out.shared.push(common as u8);
        out.suffixes.push(name.get(common..).unwrap_or_default());
        out.counts.push(members.roles_of(i).len() as u32);
        previous = name;
    }
    out
}

impl RawPolicy<'_> {
    /// Rebuilds members and roles and validates the whole policy.
    pub(crate) fn validate(self) -> Result<Policy, PolicyError> {
        let model_sent = self.model.is_some();
        let members = self.members.rebuild()?;
        let pattern = |index: &u32| {
            self.patterns
                .get(*index as usize)
                .map(ToString::to_string)
                .ok_or(PolicyError::IndexOutOfRange { field: "roles.patterns", index: *index })
        };
        let mut roles = Vec::with_capacity(self.roles.len());
        for RoleIn(name, description, parents, grants, denies) in self.roles {
            roles.push(Role {
                grants: grants.iter().map(pattern).collect::<Result<_, _>>()?,
                denies: denies.iter().map(pattern).collect::<Result<_, _>>()?,
                name,
                description,
                parents,
            });
        }
        let model = match self.model {
            Some(model) => model.rebuild()?,
            None => ResourceModel::default(),
        };
        // A signer writes the section only for a model with something in it.
        if model_sent && model.is_empty() {
            return Err(PolicyError::NotCanonical { field: "model" });
        }
        Policy::new(self.tenant, roles, members, self.key_backed, model, self.subject)
    }

    /// Whether the policy is scoped to one subject (format 4).
    pub(crate) fn is_scoped(&self) -> bool {
        self.subject.is_some()
    }

    /// Whether the policy carries a resource model (format 3 and later).
    pub(crate) fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Whether the policy is under strict users (known before validation: the
    /// snapshot format it needs depends on it).
    pub(crate) fn is_strict(&self) -> bool {
        self.key_backed.is_some()
    }
}

impl MembersIn<'_> {
    /// Undoes the front coding into the columnar [`Members`], checking every length
    /// and offset on the way (identifier rules and order are checked by validation).
    fn rebuild(self) -> Result<Members, PolicyError> {
        let count = self.suffixes.len();
        if self.shared.len() != count || self.counts.len() != count {
            return Err(PolicyError::NotCanonical { field: "members" });
        }
        let mut members = Members {
            names: String::with_capacity(self.suffixes.iter().map(|s| s.len() + 8).sum()),
            name_ends: Vec::with_capacity(count),
            roles: Vec::new(),
            role_ends: Vec::with_capacity(count),
        };
        let mut previous = 0..0;
        let mut role_start = 0usize;
        for ((&shared, suffix), &n) in self.shared.iter().zip(&self.suffixes).zip(&self.counts) {
            let cut = previous.start + usize::from(shared);
            if usize::from(shared) > previous.len() || !members.names.is_char_boundary(cut) {
                return Err(PolicyError::NotCanonical { field: "members.shared" });
            }
            let role_end = role_start.checked_add(n as usize).filter(|&e| e <= self.roles.len());
            let Some(role_end) = role_end else {
                return Err(PolicyError::NotCanonical { field: "members.counts" });
            };
            let start = members.names.len();
            // Copy the shared prefix from the previous name, already in the arena.
            members.names.extend_from_within(previous.start..cut);
            members.names.push_str(suffix);
            // Offsets are u32: a policy whose names outgrow them is refused, not wrapped.
            let Ok(name_end) = u32::try_from(members.names.len()) else {
                return Err(PolicyError::NotCanonical { field: "members.suffixes" });
            };
            members.name_ends.push(name_end);
            members.role_ends.push(role_end as u32);
            previous = start..members.names.len();
            role_start = role_end;
        }
        if role_start != self.roles.len() {
            return Err(PolicyError::NotCanonical { field: "members.counts" });
        }
        members.roles = self.roles;
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// The wire shape, written freely so tests can forge what a buggy or hostile
    /// signer might send.
    #[derive(Serialize)]
    struct Forged<'a> {
        tenant: &'a str,
        patterns: Vec<&'a str>,
        roles: Vec<ForgedRole<'a>>,
        members: ForgedMembers<'a>,
    }

    #[derive(Serialize)]
    struct ForgedRole<'a>(&'a str, Option<&'a str>, Vec<u32>, Vec<u32>, Vec<u32>);

    #[derive(Serialize)]
    struct ForgedMembers<'a> {
        #[serde(with = "serde_bytes")]
        shared: Vec<u8>,
        suffixes: Vec<&'a str>,
        counts: Vec<u32>,
        roles: Vec<u32>,
    }

    fn role(name: &str) -> ForgedRole<'_> {
        ForgedRole(name, None, vec![], vec![0], vec![])
    }

    fn decode(members: ForgedMembers<'_>) -> Result<Policy, PolicyError> {
        let forged = Forged {
            tenant: "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
            patterns: vec!["x"],
            roles: vec![role("a"), role("b")],
            members,
        };
        let bytes = messagepack_serde::to_vec(&forged).expect("encodes");
        let raw = RawPolicy::read(&mut Reader::new(&bytes)).expect("decodes");
        raw.validate()
    }

    fn members(shared: Vec<u8>, suffixes: Vec<&str>, counts: Vec<u32>, roles: Vec<u32>) -> ForgedMembers<'_> {
        ForgedMembers { shared, suffixes, counts, roles }
    }

    #[test]
    fn front_coding_round_trips() {
        let policy = decode(members(vec![0, 5, 4], vec!["user-1", "2", "x"], vec![1, 2, 0], vec![0, 0, 1]))
            .expect("valid");
        let names: Vec<&str> = (0..policy.members.len()).map(|i| policy.members.name(i)).collect();
        assert_eq!(names, ["user-1", "user-2", "userx"]);
        assert_eq!(policy.members.roles_of(1), [0, 1]);
        let again = messagepack_serde::to_vec(&policy).expect("encodes");
        let raw = RawPolicy::read(&mut Reader::new(&again)).expect("decodes");
        assert_eq!(raw.validate().expect("valid"), policy);
    }

    #[test]
    fn forged_members_are_refused_without_panicking() {
        let cases = [
            // A shared prefix longer than the previous name.
            (members(vec![0, 9], vec!["ab", "c"], vec![0, 0], vec![]), "NotCanonical"),
            // The first name cannot share anything.
            (members(vec![1], vec!["a"], vec![0], vec![]), "NotCanonical"),
            // Column lengths disagree.
            (members(vec![0], vec!["a", "b"], vec![0, 0], vec![]), "NotCanonical"),
            // Counts claim more roles than sent, or fewer.
            (members(vec![0], vec!["a"], vec![3], vec![0]), "NotCanonical"),
            (members(vec![0], vec!["a"], vec![0], vec![0]), "NotCanonical"),
            (members(vec![0], vec!["a"], vec![u32::MAX], vec![0]), "NotCanonical"),
            // Users out of order, or repeated.
            (members(vec![0, 0], vec!["b", "a"], vec![0, 0], vec![]), "NotCanonical"),
            (members(vec![0, 1], vec!["a", ""], vec![0, 0], vec![]), "Duplicate"),
            // Role index past the table; roles of a user repeated or unsorted.
            (members(vec![0], vec!["a"], vec![1], vec![7]), "IndexOutOfRange"),
            (members(vec![0], vec!["a"], vec![2], vec![1, 1]), "Duplicate"),
            (members(vec![0], vec!["a"], vec![2], vec![1, 0]), "NotCanonical"),
            // A user name that breaks the identifier rule.
            (members(vec![0], vec!["a b"], vec![0], vec![]), "InvalidIdentifier"),
            // A shared prefix cutting a multi-byte character in two.
            (members(vec![0, 1], vec!["\u{e9}\u{e9}", "x"], vec![0, 0], vec![]), "NotCanonical"),
        ];
        // A role naming a pattern past the table.
        let mut bad_role = role("a");
        bad_role.3 = vec![5];
        let forged = Forged {
            tenant: "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
            patterns: vec!["x"],
            roles: vec![bad_role],
            members: members(vec![], vec![], vec![], vec![]),
        };
        let bytes = messagepack_serde::to_vec(&forged).expect("encodes");
        let raw = RawPolicy::read(&mut Reader::new(&bytes)).expect("decodes");
        assert_eq!(raw.validate(), Err(PolicyError::IndexOutOfRange { field: "roles.patterns", index: 5 }));
        for (forged, expected) in cases {
            let description = alloc::format!("{:?}", forged.suffixes);
            let error = decode(forged).expect_err(&description);
            assert!(alloc::format!("{error:?}").starts_with(expected), "{description}: {error:?}");
        }
    }
}
