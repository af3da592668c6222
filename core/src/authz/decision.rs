//! The answer to a check, with the reason for it.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::Reason;

/// The outcome of a check, tenant-wide (`check(user, permission)`) or on a
/// resource (`evaluate`). Every variant says why.
///
/// When several grants (or denies) match, the reason names the most specific
/// pattern (`posts:read`, then `posts:*`, then `*`) and, among roles holding it,
/// the first by name, so every runtime reports the same reason.
///
/// Serializes as every face answers: `{"allowed", "reason", "role"?, "pattern"?, "on"?,
/// "rule"?}`. A tenant-wide check is never `Permitted` or `Forbidden`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Allowed: `role` (in the user's closure) holds the grant `pattern`.
    Granted {
        /// The role holding the grant.
        role: &'a str,
        /// The grant pattern that matched.
        pattern: &'a str,
        /// Where the role is held: `None` tenant-wide, or the resource (`type:id`)
        /// it is held on, the checked one or an ancestor.
        on: Option<&'a str>,
    },
    /// Denied: `role` (in the user's closure) holds the deny `pattern`, which beats any grant.
    Denied {
        /// The role holding the deny.
        role: &'a str,
        /// The deny pattern that matched.
        pattern: &'a str,
        /// Where the role is held, as for [`Decision::Granted`].
        on: Option<&'a str>,
    },
    /// Allowed by the permit rule `rule` (no role grant applied).
    Permitted {
        /// The rule's id.
        rule: &'a str,
    },
    /// Denied by the forbid rule `rule`, which beats every grant and permit.
    Forbidden {
        /// The rule's id.
        rule: &'a str,
    },
    /// Denied: the user has no membership in this tenant.
    UnknownUser,
    /// Denied: no role in the user's closure grants the permission.
    NoMatchingGrant,
    /// Denied: the tenant is under strict users and the user holds no live API key.
    UserNotKeyBacked,
}

impl<'a> Decision<'a> {
    /// A decision from its parts, as a face receives them across a boundary: `None`
    /// when a reason that names a role and pattern lacks them, or one that names
    /// neither carries them.
    pub fn from_parts(reason: Reason, role: Option<&'a str>, pattern: Option<&'a str>) -> Option<Self> {
        Self::from_all_parts(reason, role, pattern, None, None)
    }

    /// A decision from all its parts (`on` for a role held on a resource, `rule` for
    /// a rule's decision); `None` when the parts do not fit the reason.
    pub fn from_all_parts(
        reason: Reason,
        role: Option<&'a str>,
        pattern: Option<&'a str>,
        on: Option<&'a str>,
        rule: Option<&'a str>,
    ) -> Option<Self> {
        match (reason, role, pattern, rule) {
            (Reason::Granted, Some(role), Some(pattern), None) => Some(Self::Granted { role, pattern, on }),
            (Reason::Denied, Some(role), Some(pattern), None) => Some(Self::Denied { role, pattern, on }),
            (Reason::Permitted, None, None, Some(rule)) if on.is_none() => Some(Self::Permitted { rule }),
            (Reason::Forbidden, None, None, Some(rule)) if on.is_none() => Some(Self::Forbidden { rule }),
            (Reason::UnknownUser, None, None, None) if on.is_none() => Some(Self::UnknownUser),
            (Reason::NoMatchingGrant, None, None, None) if on.is_none() => Some(Self::NoMatchingGrant),
            (Reason::UserNotKeyBacked, None, None, None) if on.is_none() => Some(Self::UserNotKeyBacked),
            _ => None,
        }
    }

    /// Whether the permission is granted.
    pub fn allowed(&self) -> bool {
        self.reason().allows()
    }

    /// Why it was decided so.
    pub fn reason(&self) -> Reason {
        match self {
            Self::Granted { .. } => Reason::Granted,
            Self::Denied { .. } => Reason::Denied,
            Self::Permitted { .. } => Reason::Permitted,
            Self::Forbidden { .. } => Reason::Forbidden,
            Self::UnknownUser => Reason::UnknownUser,
            Self::NoMatchingGrant => Reason::NoMatchingGrant,
            Self::UserNotKeyBacked => Reason::UserNotKeyBacked,
        }
    }

    /// The role the decision rests on, if any.
    pub fn role(&self) -> Option<&'a str> {
        match *self {
            Self::Granted { role, .. } | Self::Denied { role, .. } => Some(role),
            _ => None,
        }
    }

    /// The grant or deny pattern the decision rests on, if any.
    pub fn pattern(&self) -> Option<&'a str> {
        match *self {
            Self::Granted { pattern, .. } | Self::Denied { pattern, .. } => Some(pattern),
            _ => None,
        }
    }

    /// The resource (`type:id`) the deciding role is held on; `None` when it is held
    /// tenant-wide or no role decided.
    pub fn on(&self) -> Option<&'a str> {
        match *self {
            Self::Granted { on, .. } | Self::Denied { on, .. } => on,
            _ => None,
        }
    }

    /// The id of the rule that decided, if a rule did.
    pub fn rule(&self) -> Option<&'a str> {
        match *self {
            Self::Permitted { rule } | Self::Forbidden { rule } => Some(rule),
            _ => None,
        }
    }

    /// Writes the decision's entries into a map being serialized (shared with
    /// answers that extend a decision, such as `authorize`'s).
    pub(crate) fn serialize_entries<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        if let (Some(role), Some(pattern)) = (self.role(), self.pattern()) {
            map.serialize_entry("role", role)?;
            map.serialize_entry("pattern", pattern)?;
        }
        if let Some(on) = self.on() {
            map.serialize_entry("on", on)?;
        }
        if let Some(rule) = self.rule() {
            map.serialize_entry("rule", rule)?;
        }
        Ok(())
    }
}

impl Serialize for Decision<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("allowed", &self.allowed())?;
        map.serialize_entry("reason", &self.reason())?;
        self.serialize_entries(&mut map)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_faces_answer() {
        let granted = Decision::Granted { role: "editor", pattern: "posts:*", on: None };
        assert_eq!(
            serde_json::to_string(&granted).unwrap(),
            r#"{"allowed":true,"reason":"granted","role":"editor","pattern":"posts:*"}"#
        );
        assert_eq!(
            serde_json::to_string(&Decision::UnknownUser).unwrap(),
            r#"{"allowed":false,"reason":"unknown_user"}"#
        );
    }

    #[test]
    fn parts_round_trip_and_inconsistent_parts_are_refused() {
        for decision in [
            Decision::Granted { role: "r", pattern: "a:*", on: None },
            Decision::Granted { role: "r", pattern: "a:*", on: Some("folder:x") },
            Decision::Denied { role: "r", pattern: "a:b", on: None },
            Decision::Permitted { rule: "p" },
            Decision::Forbidden { rule: "f" },
            Decision::UnknownUser,
            Decision::NoMatchingGrant,
            Decision::UserNotKeyBacked,
        ] {
            let parts =
                (decision.reason(), decision.role(), decision.pattern(), decision.on(), decision.rule());
            assert_eq!(Decision::from_all_parts(parts.0, parts.1, parts.2, parts.3, parts.4), Some(decision));
        }
        assert_eq!(Decision::from_all_parts(Reason::Permitted, None, None, Some("x:y"), Some("p")), None);
        assert_eq!(
            serde_json::to_string(&Decision::Forbidden { rule: "archived" }).unwrap(),
            r#"{"allowed":false,"reason":"forbidden","rule":"archived"}"#
        );
        assert_eq!(Decision::from_parts(Reason::Granted, None, None), None);
        assert_eq!(Decision::from_parts(Reason::UnknownUser, Some("r"), Some("p")), None);
    }
}
