//! Permission patterns: a name, or a name whose last segment is `*`.
//!
//! `posts:*` matches every permission that starts with `posts:` (not `posts` itself)
//! and `*` matches every permission. A check looks up the permission's candidate
//! patterns from the most specific to the least, so it never scans the grants.

/// A pattern a permission may be matched by, in the form the authorizer indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Candidate<'a> {
    /// The permission itself, as an exact grant.
    Exact(&'a str),
    /// A wildcard pattern `prefix*`, given by its prefix ending in `:`.
    Prefix(&'a str),
    /// The pattern `*`.
    Any,
}

impl<'a> Candidate<'a> {
    /// How a grant or deny pattern is indexed.
    pub(crate) fn of_pattern(pattern: &'a str) -> Self {
        match pattern.strip_suffix('*') {
            Some("") => Self::Any,
            Some(prefix) => Self::Prefix(prefix),
            None => Self::Exact(pattern),
        }
    }
}

/// The patterns that match `permission`, most specific first: the permission itself,
/// then `a:b:*`, `a:*`, and finally `*`.
pub(crate) fn candidates(permission: &str) -> impl Iterator<Item = Candidate<'_>> {
    let prefixes = permission
        .char_indices()
        .rev()
        .filter(|&(_, ch)| ch == ':')
        .map(move |(at, _)| Candidate::Prefix(&permission[..=at]));
    core::iter::once(Candidate::Exact(permission))
        .chain(prefixes)
        .chain(core::iter::once(Candidate::Any))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn candidates_go_from_specific_to_general() {
        let got: Vec<_> = candidates("a:b:c").collect();
        assert_eq!(
            got,
            [
                Candidate::Exact("a:b:c"),
                Candidate::Prefix("a:b:"),
                Candidate::Prefix("a:"),
                Candidate::Any
            ]
        );
        assert_eq!(
            candidates("posts").collect::<Vec<_>>(),
            [Candidate::Exact("posts"), Candidate::Any]
        );
    }

    #[test]
    fn patterns_index_by_prefix() {
        assert_eq!(Candidate::of_pattern("*"), Candidate::Any);
        assert_eq!(
            Candidate::of_pattern("posts:*"),
            Candidate::Prefix("posts:")
        );
        assert_eq!(Candidate::of_pattern("posts"), Candidate::Exact("posts"));
    }
}
