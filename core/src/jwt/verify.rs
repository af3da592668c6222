//! The validation pipeline: strict parsing, header rules, key selection, signature,
//! then claims. Nothing from the token is trusted before its signature verifies,
//! except what is needed to find the key.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signature as Ed25519Signature;
use jwt_compact::alg::{Hs256, Hs384, Hs512};
use jwt_compact::{Algorithm, AlgorithmSignature};

use super::claims::Claims;
use super::error::{TokenError, shown};
use super::json::{Item, Members, Refusal, member, read_object};
use super::keys::{JwtAlgorithm, KeySet, TokenKey, Verifier};
use super::options::ValidationOptions;

fn malformed(reason: &'static str) -> TokenError {
    TokenError::Malformed { reason }
}

/// The parts of a compact JWS, decoded.
pub(crate) struct Parts<'t> {
    /// `header.payload`, the signed bytes.
    pub(crate) signing_input: &'t str,
    pub(crate) header: Vec<u8>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

/// Reads a decoded header or claims segment, `what` naming it in refusals.
fn members<'b>(bytes: &'b [u8], what: Segment) -> Result<Members<'b>, TokenError> {
    read_object(bytes).map_err(|refusal| {
        malformed(match (what, refusal) {
            (Segment::Header, Refusal::DuplicateName) => "header has a duplicate member name",
            (Segment::Header, Refusal::NotAnObject) => "header is not a JSON object",
            (Segment::Claims, Refusal::DuplicateName) => "claims have a duplicate member name",
            (Segment::Claims, Refusal::NotAnObject) => "claims are not a JSON object",
        })
    })
}

#[derive(Clone, Copy)]
enum Segment {
    Header,
    Claims,
}

/// Splits a compact JWS: exactly three segments of unpadded base64url (no `=`,
/// whitespace or other characters). The header is read by [`header_members`].
pub(crate) fn split(token: &str) -> Result<Parts<'_>, TokenError> {
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (segments.next(), segments.next(), segments.next(), segments.next())
    else {
        return Err(malformed("a token has exactly three segments"));
    };
    // Segments are public, so the fast decoder is fine here (key material goes through
    // the constant-time base64ct). It refuses padding, other alphabets, whitespace and
    // non-zero trailing bits, so one token has exactly one encoding.
    let decode = |segment: &str| {
        URL_SAFE_NO_PAD.decode(segment).map_err(|_| malformed("segment is not unpadded base64url"))
    };
    let header = decode(header)?;
    let payload = decode(payload)?;
    let signature = decode(signature)?;
    // Three segments were found, so the last dot ends the signing input.
    let signing_input = token.rfind('.').and_then(|dot| token.get(..dot)).unwrap_or_default();
    Ok(Parts { signing_input, header, payload, signature })
}

/// The header's members: it must be a JSON object without a name twice.
pub(crate) fn header_members<'p>(parts: &'p Parts<'_>) -> Result<Members<'p>, TokenError> {
    members(&parts.header, Segment::Header)
}

/// Reads `alg`, `crit`, `typ` and `kid` from a header.
pub(crate) struct HeaderRules<'h> {
    pub(crate) alg: JwtAlgorithm,
    pub(crate) kid: Option<&'h str>,
}

pub(crate) fn check_header<'h>(
    header: &'h Members<'_>,
    options: &ValidationOptions,
) -> Result<HeaderRules<'h>, TokenError> {
    let get = |name: &str| member(header, name);
    let alg = match get("alg") {
        Some(Item::Text(name)) => JwtAlgorithm::from_name(name)
            .ok_or_else(|| TokenError::AlgorithmNotAllowed { alg: shown(name) })?,
        Some(_) => return Err(malformed("`alg` must be a string")),
        None => return Err(malformed("header lacks `alg`")),
    };
    if let Some(crit) = get("crit") {
        // We implement no extension, so any listed one is unknown (RFC 7515 §4.1.11).
        return Err(match crit {
            Item::Texts(names) => match names.first() {
                Some(first) => TokenError::UnknownCrit { name: shown(first) },
                None => malformed("`crit` must be a non-empty array"),
            },
            _ => malformed("`crit` must be a non-empty array of names"),
        });
    }
    match get("typ") {
        None => {
            if options.expected_type.is_some() {
                return Err(TokenError::WrongType { typ: String::new() });
            }
        }
        Some(Item::Text(typ)) => {
            if !options.accepts_type(typ) {
                return Err(TokenError::WrongType { typ: shown(typ) });
            }
        }
        Some(_) => return Err(malformed("`typ` must be a string")),
    }
    let kid = match get("kid") {
        None => None,
        Some(Item::Text(kid)) => Some(&**kid),
        Some(_) => return Err(malformed("`kid` must be a string")),
    };
    // `jwk`, `jku`, `x5u`, `x5c` are never read: keys come only from the key set.
    Ok(HeaderRules { alg, kid })
}

/// Verifies `signature` over `message` with `key`. HMAC tags are compared in
/// constant time (jwt-compact's `CtOutput`); Ed25519 uses strict verification
/// (no small-order keys or non-canonical points); ES256, RS256 and PS256 go to the
/// key's [`PublicKeyCrypto`](super::PublicKeyCrypto).
pub(crate) fn verify_signature(key: &TokenKey, message: &[u8], signature: &[u8]) -> bool {
    fn with<A: Algorithm>(alg: A, key: &A::VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
        let right_length = A::Signature::LENGTH.is_none_or(|len| len.get() == signature.len());
        right_length
            && A::Signature::try_from_slice(signature)
                .is_ok_and(|sig| alg.verify_signature(&sig, key, message))
    }
    match &key.verifier {
        Verifier::Hs256(key) => with(Hs256, key, message, signature),
        Verifier::Hs384(key) => with(Hs384, key, message, signature),
        Verifier::Hs512(key) => with(Hs512, key, message, signature),
        Verifier::EdDsa(key) => <[u8; 64]>::try_from(signature)
            .is_ok_and(|sig| key.verify_strict(message, &Ed25519Signature::from_bytes(&sig)).is_ok()),
        Verifier::PublicKey(public, crypto) => crypto.verify(key.algorithm(), public, message, signature),
    }
}

/// Every rule up to the signature: size, encoding, header, and the key it selects.
pub(crate) fn prepare<'t, 'k>(
    token: &'t str,
    keys: &'k KeySet,
    options: &ValidationOptions,
) -> Result<(Parts<'t>, &'k TokenKey), TokenError> {
    if token.len() > options.max_token_length {
        return Err(TokenError::TooLarge { len: token.len(), max: options.max_token_length });
    }
    let parts = split(token)?;
    let header = header_members(&parts)?;
    let rules = check_header(&header, options)?;
    let key = keys.select(rules.kid, rules.alg)?;
    Ok((parts, key))
}

/// Every rule after the signature: the claims.
pub(crate) fn claims_of(payload: &[u8], options: &ValidationOptions, now: i64) -> Result<Claims, TokenError> {
    let claims = members(payload, Segment::Claims)?;
    // A JSON object read from the bytes: they are UTF-8.
    let json = core::str::from_utf8(payload).map_err(|_| malformed("claims are not a JSON object"))?;
    Claims::validate(&claims, json, options, now)
}

/// Validates a compact JWT against `keys` and `options` at time `now` (seconds since
/// the Unix epoch, supplied by the caller) and returns its claims.
pub fn verify(
    token: &str,
    keys: &KeySet,
    options: &ValidationOptions,
    now: i64,
) -> Result<Claims, TokenError> {
    let (parts, key) = prepare(token, keys, options)?;
    if !verify_signature(key, parts.signing_input.as_bytes(), &parts.signature) {
        return Err(TokenError::BadSignature);
    }
    claims_of(&parts.payload, options, now)
}
