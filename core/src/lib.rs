//! # tessera-core
//!
//! The policy engine of Tessera: one set of rules, compiled to native code for the
//! host and to WebAssembly for browsers, edge functions, Node and the wasmtime guest,
//! so every runtime makes the same decision from the same bytes.
//!
//! What it does:
//! - **Policy model**: roles with parents, grants and denies over `:`-segmented
//!   permissions with trailing `*` wildcards, memberships ([`PolicyDocument`],
//!   [`Policy`]). Every authoring rule has its own typed error ([`PolicyError`]).
//! - **Authorizer**: an immutable index compiled once per policy ([`Authorizer`]);
//!   a check is a few hash lookups and returns its reason ([`Decision`]).
//! - **Snapshots**: a policy with revision and expiry, MessagePack-encoded, signed with
//!   Ed25519 and optionally encrypted with AES-256-GCM ([`Snapshot`], [`SnapshotLoader`]).
//! - **Sanitizer**: identifier rules, [`escape`] and [`strip`] for free text, and
//!   [`inspect`], a detector of XSS, SQL injection and path traversal shapes.
//! - **Tokens**: strict JWT validation against a [`KeySet`] ([`verify_token`]),
//!   [`authorize`] (token, then snapshot decision), and signing ([`TokenSigner`]);
//!   [`external`] for faces that check signatures with the platform's own crypto;
//!   ES256, RS256 and PS256 behind [`PublicKeyCrypto`], whose native arithmetic
//!   (P-256, RSA) is the `public-key-crypto` feature, so a face may bring its own.
//! - **Answers**: [`Decision`], [`Authorization`], [`Finding`], [`PolicySummary`] and
//!   [`ErrorReport`] serialize in the shape every face sends, and [`Reason`] is the one
//!   table of reasons and their codes, so no face builds an answer of its own.
//!
//! What it never does: I/O, reading a clock (callers pass `now`), or ambient
//! randomness (only through `getrandom`, whose backend each face chooses; the
//! `getrandom` feature can be turned off). Features: `getrandom`, `precomputed-tables`
//! (faster Ed25519 for ~7.5 KB of wasm), `public-key-crypto`; all three by default.
//! It is `no_std` + `alloc` and free of
//! `unsafe` code; `std` use anywhere in it is a compile error.
//!
//! ```
//! use tessera_core::{Authorizer, Decision, PolicyDocument};
//!
//! let doc = PolicyDocument::from_json(r#"{
//!   "tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
//!   "roles": {
//!     "viewer": {"grants": ["posts:read"]},
//!     "editor": {"parents": ["viewer"], "grants": ["posts:*"], "denies": ["posts:delete"]}
//!   },
//!   "members": {"alice": ["editor"]}
//! }"#).unwrap();
//! let authz = Authorizer::new(doc.into_policy().unwrap());
//! assert_eq!(authz.check("alice", "posts:edit").unwrap(),
//!            Decision::Granted { role: "editor", pattern: "posts:*", on: None });
//! assert_eq!(authz.check("alice", "posts:delete").unwrap(),
//!            Decision::Denied { role: "editor", pattern: "posts:delete", on: None });
//! assert!(!authz.has_permission("mallory", "posts:read").unwrap());
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// std is unreachable here (no_std); this keeps alloc paths from hiding core items.
#![warn(clippy::alloc_instead_of_core)]

extern crate alloc;

mod authz;
pub mod authzen;
pub mod condition;
mod error;
pub mod external;
mod ident;
mod jwt;
mod keys;
mod pattern;
mod policy;
mod sanitize;
mod snapshot;

// The public interface is:
pub use authz::{
    Authorizer, CheckRequest, DEFAULT_PAGE_LIMIT, Decision, Found, Page, PageRequest, Query, Reason,
    RequestAttributes, ResourceKey, ResourceRef, SearchRequest,
};
pub use error::{Error, ErrorReport, KeyError, PolicyError, QueryError, SnapshotError, refusal, unavailable};
pub use ident::{IdentifierError, IdentifierKind, Violation, validate as validate_identifier};
#[cfg(feature = "public-key-crypto")]
pub use jwt::NativePublicKeys;
pub use jwt::{
    Authorization, Claims, IssuedToken, JwtAlgorithm, KeySet, PublicKey, PublicKeyCrypto, TokenError,
    TokenKey, TokenRequest, TokenSigner, ValidationOptions, authorize, verify as verify_token,
};
pub use keys::{EncryptionKey, SigningKey, VerifyingKey};
pub use policy::{
    AttributeMap, AttributeValue, Effect, Entries, GrantDocument, GroupDocument, MAX_DESCRIPTION_LEN, Policy,
    PolicyDocument, ResourceDocument, Role, RoleDocument, RuleDocument, StrictUsersDocument, TypeDocument,
    UserDocument, check_description,
};
pub use sanitize::{Finding, FindingKind, MAX_FINDINGS, SanitizeOptions, escape, inspect, strip};
pub use snapshot::{
    DEFAULT_MAX_SNAPSHOT_BYTES, FORMAT_VERSION, LoadedSnapshot, PolicySummary, Snapshot, SnapshotInfo,
    SnapshotLoader, peek_header,
};
