//! The claims of a verified token, typed, and the time and audience rules.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use super::error::{TokenError, shown};
use super::json::{Item, Members, member};
use super::options::ValidationOptions;

/// The claims of a token that passed every check.
#[derive(Clone, Debug, PartialEq)]
pub struct Claims {
    /// `sub`: the user the token speaks for.
    pub subject: Option<String>,
    /// `iss`.
    pub issuer: Option<String>,
    /// `aud`, as a list even when the token had a single string.
    pub audience: Vec<String>,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: i64,
    /// `nbf`.
    pub not_before: Option<i64>,
    /// `iat`.
    pub issued_at: Option<i64>,
    /// `jti`.
    pub token_id: Option<String>,
    /// `scope`, split on spaces; `None` when the token has no `scope`.
    pub scope: Option<Vec<String>>,
    /// `roles` (informational: the snapshot decides roles).
    pub roles: Vec<String>,
    /// `permissions`; with `scope`, what the token may be used for.
    pub permissions: Option<Vec<String>>,
    /// Every claim, as sent: the token's claims object, as JSON text (checked: one
    /// object, no name twice). Handed on as it is; [`Claims::all`] parses it.
    pub json: String,
}

fn wrong_type(reason: &'static str) -> TokenError {
    TokenError::Malformed { reason }
}

/// A NumericDate: a JSON number of seconds that fits an i64 (fractions dropped).
fn numeric_date(value: &Item<'_>, reason: &'static str) -> Result<i64, TokenError> {
    // i64::MIN is -2^63, exact as an f64; seconds in [-2^63, 2^63) fit an i64.
    let limit = -(i64::MIN as f64);
    match *value {
        Item::Integer(seconds) => Ok(seconds),
        Item::Number(seconds) if (-limit..limit).contains(&seconds) => Ok(floor(seconds) as i64),
        _ => Err(wrong_type(reason)),
    }
}

/// `f64::floor` lives in std; this is enough for values already range-checked.
fn floor(x: f64) -> f64 {
    let truncated = x as i64 as f64;
    if truncated > x { truncated - 1.0 } else { truncated }
}

fn string(value: &Item<'_>, reason: &'static str) -> Result<String, TokenError> {
    match value {
        Item::Text(text) => Ok(text.to_string()),
        _ => Err(wrong_type(reason)),
    }
}

fn strings(value: &Item<'_>, reason: &'static str) -> Result<Vec<String>, TokenError> {
    match value {
        Item::Texts(texts) => Ok(texts.iter().map(|text| text.to_string()).collect()),
        _ => Err(wrong_type(reason)),
    }
}

impl Claims {
    /// Types the registered claims and applies time, issuer, audience and presence rules.
    /// `json` is the text `members` were read from.
    pub(crate) fn validate(
        members: &Members<'_>,
        json: &str,
        options: &ValidationOptions,
        now: i64,
    ) -> Result<Self, TokenError> {
        let get = |name: &str| member(members, name);
        let missing = |claim: &str| TokenError::MissingClaim { claim: shown(claim) };

        let expires_at =
            numeric_date(get("exp").ok_or_else(|| missing("exp"))?, "`exp` must be a NumericDate")?;
        let not_before = get("nbf").map(|v| numeric_date(v, "`nbf` must be a NumericDate")).transpose()?;
        let issued_at = get("iat").map(|v| numeric_date(v, "`iat` must be a NumericDate")).transpose()?;
        let subject = get("sub").map(|v| string(v, "`sub` must be a string")).transpose()?;
        let issuer = get("iss").map(|v| string(v, "`iss` must be a string")).transpose()?;
        let token_id = get("jti").map(|v| string(v, "`jti` must be a string")).transpose()?;
        let audience = match get("aud") {
            None => Vec::new(),
            Some(Item::Text(aud)) => alloc::vec![aud.to_string()],
            Some(value) => strings(value, "`aud` must be a string or an array of strings")?,
        };
        let scope = get("scope")
            .map(|v| string(v, "`scope` must be a string"))
            .transpose()?
            .map(|scope| scope.split(' ').filter(|s| !s.is_empty()).map(ToString::to_string).collect());
        let roles = get("roles").map(|v| strings(v, "`roles` must be an array of strings")).transpose()?;
        let permissions = get("permissions")
            .map(|v| strings(v, "`permissions` must be an array of strings"))
            .transpose()?;

        // Times in i128: no sum or difference of i64 seconds can overflow there.
        let (now_wide, leeway) = (i128::from(now), i128::from(options.leeway_seconds));
        if now_wide - leeway >= i128::from(expires_at) {
            return Err(TokenError::Expired { exp: expires_at, now });
        }
        if let Some(nbf) = not_before
            && now_wide + leeway < i128::from(nbf)
        {
            return Err(TokenError::NotYetValid { nbf, now });
        }
        if let Some(iat) = issued_at
            && i128::from(iat) > now_wide + leeway
        {
            return Err(TokenError::IssuedInFuture { iat, now });
        }
        if let Some(max_age) = options.max_age_seconds {
            let iat = issued_at.ok_or_else(|| missing("iat"))?;
            if now_wide - i128::from(iat) > i128::from(max_age) + leeway {
                return Err(TokenError::TooOld { iat, now });
            }
        }
        if !options.issuers.is_empty() {
            let iss = issuer.as_ref().ok_or_else(|| missing("iss"))?;
            if !options.issuers.contains(iss) {
                return Err(TokenError::WrongIssuer);
            }
        }
        if !options.audiences.is_empty() {
            if audience.is_empty() {
                return Err(missing("aud"));
            }
            if !audience.iter().any(|aud| options.audiences.contains(aud)) {
                return Err(TokenError::WrongAudience);
            }
        }
        if options.require_subject && subject.is_none() {
            return Err(missing("sub"));
        }
        if let Some(absent) = options.required_claims.iter().find(|claim| get(claim).is_none()) {
            return Err(missing(absent));
        }
        Ok(Self {
            subject,
            issuer,
            audience,
            expires_at,
            not_before,
            issued_at,
            token_id,
            scope,
            roles: roles.unwrap_or_default(),
            permissions,
            json: json.into(),
        })
    }

    /// Every claim, parsed from [`Claims::json`].
    pub fn all(&self) -> Map<String, Value> {
        // The text was checked to be one JSON object when the token was verified.
        serde_json::from_str(&self.json).unwrap_or_default()
    }
}
