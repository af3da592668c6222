//! How a [`Policy`] travels inside a snapshot.
//!
//! Users are sorted, so each name is sent as the length it shares with the previous
//! name plus the rest (front coding): `user-0000041`, `user-0000042` cost one byte
//! of prefix length and one character. Direct roles travel as one flat list of role
//! indices with a count per user.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize, Serializer};

use super::model::{Members, Policy, Role};
use crate::error::PolicyError;

#[derive(Serialize)]
struct PolicyOut<'a> {
    tenant: &'a str,
    roles: &'a [Role],
    members: MembersOut<'a>,
}

#[derive(Serialize)]
struct MembersOut<'a> {
    #[serde(with = "serde_bytes")]
    shared: Vec<u8>,
    suffixes: Vec<&'a str>,
    counts: Vec<u32>,
    roles: &'a [u32],
}

/// A policy as decoded, before validation; the only way out is [`RawPolicy::validate`].
#[derive(Deserialize)]
pub(crate) struct RawPolicy<'a> {
    tenant: String,
    roles: Vec<Role>,
    #[serde(borrow)]
    members: MembersIn<'a>,
}

#[derive(Deserialize)]
struct MembersIn<'a> {
    #[serde(with = "serde_bytes", borrow)]
    shared: &'a [u8],
    #[serde(borrow)]
    suffixes: Vec<&'a str>,
    counts: Vec<u32>,
    roles: Vec<u32>,
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let members = &self.members;
        let count = members.len();
        let mut shared = Vec::with_capacity(count);
        let mut suffixes = Vec::with_capacity(count);
        let mut counts = Vec::with_capacity(count);
        let mut previous = "";
        for i in 0..count {
            let name = members.name(i);
            // Names are at most 64 ASCII bytes, so the shared length fits a byte.
            let common = previous
                .bytes()
                .zip(name.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            shared.push(common as u8);
            suffixes.push(name.get(common..).unwrap_or_default());
            counts.push(members.roles_of(i).len() as u32);
            previous = name;
        }
        PolicyOut {
            tenant: &self.tenant,
            roles: &self.roles,
            members: MembersOut {
                shared,
                suffixes,
                counts,
                roles: &members.roles,
            },
        }
        .serialize(serializer)
    }
}

impl RawPolicy<'_> {
    /// Rebuilds the members and validates the whole policy.
    pub(crate) fn validate(self) -> Result<Policy, PolicyError> {
        let input = self.members;
        let count = input.suffixes.len();
        if input.shared.len() != count || input.counts.len() != count {
            return Err(PolicyError::NotCanonical { field: "members" });
        }
        let mut members = Members {
            names: String::with_capacity(input.suffixes.iter().map(|s| s.len() + 8).sum()),
            name_ends: Vec::with_capacity(count),
            roles: Vec::new(),
            role_ends: Vec::with_capacity(count),
        };
        let mut previous = 0..0;
        let mut role_start = 0usize;
        for ((&shared, suffix), &n) in input.shared.iter().zip(&input.suffixes).zip(&input.counts) {
            let cut = previous.start + usize::from(shared);
            if usize::from(shared) > previous.len() || !members.names.is_char_boundary(cut) {
                return Err(PolicyError::NotCanonical {
                    field: "members.shared",
                });
            }
            let role_end = role_start
                .checked_add(n as usize)
                .filter(|&e| e <= input.roles.len());
            let Some(role_end) = role_end else {
                return Err(PolicyError::NotCanonical {
                    field: "members.counts",
                });
            };
            let start = members.names.len();
            // Copy the shared prefix from the previous name, already in the arena.
            members.names.extend_from_within(previous.start..cut);
            members.names.push_str(suffix);
            members.name_ends.push(members.names.len() as u32);
            members.role_ends.push(role_end as u32);
            previous = start..members.names.len();
            role_start = role_end;
        }
        if role_start != input.roles.len() {
            return Err(PolicyError::NotCanonical {
                field: "members.counts",
            });
        }
        members.roles = input.roles;
        Policy::new(self.tenant, self.roles, members)
    }
}
