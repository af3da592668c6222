//! `authorize(token, permission)`: validate the token, then decide for its subject.
//!
//! The snapshot is the source of truth for what a subject may do. A token can only
//! narrow that: when it carries `scope` or `permissions`, the permission must also
//! match one of those entries (read as permission patterns, `posts:*` included).
//! A token's `roles` claim is informational and never grants anything.

use alloc::string::String;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::claims::Claims;
use super::error::TokenError;
use super::keys::KeySet;
use super::options::ValidationOptions;
use super::verify::verify;
use crate::authz::{Authorizer, Decision};
use crate::error::QueryError;
use crate::ident::{self, IdentifierError, IdentifierKind};
use crate::pattern::Candidate;

/// The one answer of `authorize`. Serializes as every face answers:
/// `{"allowed", "reason", "subject"?, "role"?, "pattern"?}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Authorization<'a> {
    /// The token was refused; the snapshot was not consulted.
    TokenRejected(TokenError),
    /// The token is valid but its `sub` breaks the user identifier rule.
    InvalidSubject {
        /// The identifier error.
        error: IdentifierError,
    },
    /// The snapshot might allow it, but the token's scopes do not cover it.
    OutsideTokenScope {
        /// The token's subject.
        subject: String,
    },
    /// The snapshot's decision for the token's subject.
    Decided {
        /// The token's subject.
        subject: String,
        /// The decision and its reason.
        decision: Decision<'a>,
    },
}

impl Authorization<'_> {
    /// The reason of [`Authorization::OutsideTokenScope`].
    pub const OUTSIDE_TOKEN_SCOPE: &'static str = "outside_token_scope";

    /// Whether the request is allowed.
    pub fn allowed(&self) -> bool {
        matches!(self, Self::Decided { decision, .. } if decision.allowed())
    }

    /// The subject, once the token is valid.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Self::OutsideTokenScope { subject } | Self::Decided { subject, .. } => Some(subject),
            _ => None,
        }
    }

    /// A stable reason: the decision's reason, `outside_token_scope`, or the error code
    /// of the token or subject.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TokenRejected(error) => error.code(),
            Self::InvalidSubject { error } => error.code(),
            Self::OutsideTokenScope { .. } => Self::OUTSIDE_TOKEN_SCOPE,
            Self::Decided { decision, .. } => decision.reason().name(),
        }
    }
}

impl Serialize for Authorization<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("allowed", &self.allowed())?;
        map.serialize_entry("reason", self.reason())?;
        if let Some(subject) = self.subject() {
            map.serialize_entry("subject", subject)?;
        }
        if let Self::Decided { decision, .. } = self {
            decision.serialize_entries(&mut map)?;
        }
        map.end()
    }
}

/// Validates `token` and decides whether its subject holds `permission` in `authz`.
/// An invalid `permission` is the caller's error, so it is an `Err`, not a deny.
pub fn authorize<'a>(
    authz: &'a Authorizer,
    keys: &KeySet,
    options: &ValidationOptions,
    token: &str,
    permission: &str,
    now: i64,
) -> Result<Authorization<'a>, QueryError> {
    decide(authz, permission, || verify(token, keys, options, now))
}

pub(crate) fn decide<'a>(
    authz: &'a Authorizer,
    permission: &str,
    verified: impl FnOnce() -> Result<Claims, TokenError>,
) -> Result<Authorization<'a>, QueryError> {
    ident::validate(IdentifierKind::Permission, permission)?;
    let mut claims = match verified() {
        Ok(claims) => claims,
        Err(error) => return Ok(Authorization::TokenRejected(error)),
    };
    let Some(subject) = claims.subject.take() else {
        return Ok(Authorization::TokenRejected(TokenError::MissingClaim { claim: "sub".into() }));
    };
    if let Err(error) = ident::validate(IdentifierKind::User, &subject) {
        return Ok(Authorization::InvalidSubject { error });
    }
    if !token_covers(&claims, permission) {
        return Ok(Authorization::OutsideTokenScope { subject });
    }
    let decision = authz.check(&subject, permission)?;
    Ok(Authorization::Decided { subject, decision })
}

/// Whether the token's own `scope`/`permissions` admit `permission`; a token with
/// neither claim admits everything the snapshot allows.
fn token_covers(claims: &Claims, permission: &str) -> bool {
    let listed = claims.scope.iter().flatten().chain(claims.permissions.iter().flatten());
    if claims.scope.is_none() && claims.permissions.is_none() {
        return true;
    }
    listed.into_iter().any(|entry| {
        ident::validate(IdentifierKind::Pattern, entry).is_ok()
            && match Candidate::of_pattern(entry) {
                Candidate::Any => true,
                Candidate::Prefix(prefix) => permission.starts_with(prefix),
                Candidate::Exact(name) => name == permission,
            }
    })
}
