//! The encodings both sides of the ABI share: packed results, framed string lists,
//! and the numeric codes of queries and key purposes (a reason's code is the core's,
//! [`tessera_core::Reason::code`]). The runtime uses this module too, so the two
//! sides cannot drift apart.

use alloc::vec::Vec;

/// Version of the ABI described in the crate docs.
pub const ABI_VERSION: u32 = 1;

/// Bit 62 of a packed result: the call failed and the output is an error.
const FAILED: u64 = 1 << 62;
/// Largest output length a packed result can carry (30 bits).
pub const MAX_OUTPUT: usize = (1 << 30) - 1;

/// `now` argument meaning "ask the host's clock".
pub const NOW_FROM_HOST: i64 = i64::MIN;

/// Packs an output location and the failure flag into one result.
pub fn pack(ptr: u32, len: usize, failed: bool) -> i64 {
    let len = len.min(MAX_OUTPUT) as u64;
    let flag = if failed { FAILED } else { 0 };
    (u64::from(ptr) | len << 32 | flag) as i64
}

/// A result unpacked: where the output is, how long, and whether the call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packed {
    /// Address of the output in guest memory.
    pub ptr: u32,
    /// Length of the output.
    pub len: usize,
    /// Whether the output is an error.
    pub failed: bool,
}

/// Reads a packed result; `None` when bits the ABI never sets are set.
pub fn unpack(value: i64) -> Option<Packed> {
    let bits = value as u64;
    if bits >> 63 != 0 {
        return None;
    }
    Some(Packed {
        ptr: bits as u32,
        len: ((bits >> 32) & MAX_OUTPUT as u64) as usize,
        failed: bits & FAILED != 0,
    })
}

/// Appends `items` framed as `u32 len` + bytes each.
pub fn frame<'a>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'a str>) {
    for item in items {
        let len = u32::try_from(item.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(item.as_bytes());
    }
}

/// Reads a framed list; `None` when a frame runs past the end or is not UTF-8.
pub fn unframe(mut bytes: &[u8]) -> Option<Vec<&str>> {
    let mut items = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if len > rest.len() {
            return None;
        }
        let (item, rest) = rest.split_at(len);
        items.push(core::str::from_utf8(item).ok()?);
        bytes = rest;
    }
    Some(items)
}

/// The queries of `tessera_query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum QueryKind {
    /// `has_role(user, role)`.
    HasRole = 0,
    /// `user_roles(user)`.
    UserRoles = 1,
    /// `user_permissions(user)`.
    UserPermissions = 2,
    /// `user_denies(user)`.
    UserDenies = 3,
    /// `role_permissions(role)`.
    RolePermissions = 4,
    /// `role_denies(role)`.
    RoleDenies = 5,
    /// `role_members(role)`.
    RoleMembers = 6,
    /// `which_roles_can(permission)`.
    WhichRolesCan = 7,
    /// `which_users_can(permission)`.
    WhichUsersCan = 8,
    /// `roles()`.
    Roles = 9,
    /// `strict_blocks(user)`: one byte.
    StrictBlocks = 10,
}

impl QueryKind {
    const ALL: [Self; 11] = [
        Self::HasRole,
        Self::UserRoles,
        Self::UserPermissions,
        Self::UserDenies,
        Self::RolePermissions,
        Self::RoleDenies,
        Self::RoleMembers,
        Self::WhichRolesCan,
        Self::WhichUsersCan,
        Self::Roles,
        Self::StrictBlocks,
    ];

    /// The kind for a code, if it names one.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(usize::try_from(code).ok()?).copied()
    }
}

/// What the guest asks the `key` import for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum KeyPurpose {
    /// A snapshot verification key by kid, as a public JWK.
    SnapshotVerify = 0,
    /// A snapshot decryption key by kid, as its 32 raw bytes.
    SnapshotDecrypt = 1,
    /// A tenant's token verification keys, as a JWKS.
    TokenKeys = 2,
}

impl KeyPurpose {
    /// The purpose for a code, if it names one.
    pub fn from_code(code: u32) -> Option<Self> {
        [Self::SnapshotVerify, Self::SnapshotDecrypt, Self::TokenKeys]
            .get(usize::try_from(code).ok()?)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    #[test]
    fn packing_round_trips() {
        for (ptr, len, failed) in [(0, 0, false), (u32::MAX, MAX_OUTPUT, true), (1024, 17, false)] {
            assert_eq!(unpack(pack(ptr, len, failed)), Some(Packed { ptr, len, failed }));
        }
        assert_eq!(unpack(-1), None);
    }

    #[test]
    fn framing_round_trips_and_refuses_overruns() {
        let mut out = Vec::new();
        frame(&mut out, ["a", "", "posts:edit"]);
        assert_eq!(unframe(&out), Some(vec!["a", "", "posts:edit"]));
        assert_eq!(unframe(&out[..out.len() - 1]), None);
        assert_eq!(unframe(&[1, 0, 0]), None);
        assert_eq!(unframe(&[1, 0, 0, 0, 0xff]), None);
        assert_eq!(unframe(&[]), Some(vec![]));
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(QueryKind::from_code(9), Some(QueryKind::Roles));
        assert_eq!(QueryKind::from_code(10), Some(QueryKind::StrictBlocks));
        assert_eq!(QueryKind::from_code(11), None);
        assert_eq!(KeyPurpose::from_code(2), Some(KeyPurpose::TokenKeys));
    }
}
