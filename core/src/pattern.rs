//! Permission patterns: a name, or a name whose last segment is `*`.
//!
//! `posts:*` matches every permission that starts with `posts:` (not `posts` itself)
//! and `*` matches every permission. When several patterns match, the most specific
//! decides the reason: the permission itself, then longer prefixes, then `*`.

/// How a grant or deny pattern is indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Candidate<'a> {
    /// A plain permission name.
    Exact(&'a str),
    /// A wildcard pattern `prefix*`, given by its prefix ending in `:`.
    Prefix(&'a str),
    /// The pattern `*`.
    Any,
}

impl<'a> Candidate<'a> {
    /// Classifies a (validated) grant or deny pattern.
    pub(crate) fn of_pattern(pattern: &'a str) -> Self {
        match pattern.strip_suffix('*') {
            Some("") => Self::Any,
            Some(prefix) => Self::Prefix(prefix),
            None => Self::Exact(pattern),
        }
    }

    /// Whether the pattern covers `permission`.
    pub(crate) fn matches(self, permission: &str) -> bool {
        match self {
            Self::Exact(name) => name == permission,
            Self::Prefix(prefix) => permission.starts_with(prefix),
            Self::Any => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_index_by_prefix() {
        assert_eq!(Candidate::of_pattern("*"), Candidate::Any);
        assert_eq!(Candidate::of_pattern("posts:*"), Candidate::Prefix("posts:"));
        assert_eq!(Candidate::of_pattern("posts"), Candidate::Exact("posts"));
    }
}
