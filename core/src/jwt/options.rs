//! What a validator accepts. The defaults are the secure ones.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// Validation rules for tokens. (De)serializes as snake_case JSON (every field
/// optional, unknown fields refused), as the conformance vectors and host config use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationOptions {
    /// Accepted issuers. When non-empty, `iss` is required and must be one of them.
    pub issuers: Vec<String>,
    /// Accepted audiences. When non-empty, `aud` (a string or an array) is required and
    /// must name one of them.
    pub audiences: Vec<String>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (default 60).
    pub leeway_seconds: u32,
    /// Oldest accepted token, by `iat`, in seconds; `iat` is then required.
    pub max_age_seconds: Option<u64>,
    /// Claims that must be present, beyond `exp` (always) and `sub`.
    pub required_claims: Vec<String>,
    /// Whether `sub` is required (default true: authorization needs a subject).
    pub require_subject: bool,
    /// The one accepted `typ` (then required). Without it, `typ` may be absent, `JWT`
    /// or `at+jwt` (RFC 8725 §3.11); comparison ignores case and an `application/` prefix.
    pub expected_type: Option<String>,
    /// Longest accepted token in bytes, inclusive (default 8192).
    pub max_token_length: usize,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway_seconds: 60,
            max_age_seconds: None,
            required_claims: Vec::new(),
            require_subject: true,
            expected_type: None,
            max_token_length: 8192,
        }
    }
}

/// `application/at+JWT` → `at+jwt` (RFC 7515 §4.1.9).
fn normalize_type(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.into(),
        None => lower,
    }
}

impl ValidationOptions {
    pub(crate) fn accepts_type(&self, typ: &str) -> bool {
        let typ = normalize_type(typ);
        match &self.expected_type {
            Some(expected) => typ == normalize_type(expected),
            None => typ == "jwt" || typ == "at+jwt",
        }
    }
}
