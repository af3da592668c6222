//! Published test vectors (RFC 7515 appendix A.1–A.3, RFC 7520 §4.1 and §4.4,
//! RFC 8037 §A.4; RFC 7520 §4.2 and §4.3 use PS384 and ES512, which Tessera does not
//! accept) and
//! issuance round trips. The crafted negative suite is in `tests/vectors/jwt/`.

use alloc::string::{String, ToString};
use alloc::vec;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Map, Value, json};

use super::verify::{check_header, header_members, split, verify_signature};
use super::*;
use crate::external::{SignatureVerdict, prepare_external};

/// RFC 7515 A.1 and A.3 sign these claims; they expired in 2011, so checks run then.
const RFC_NOW: i64 = 1_300_819_300;

fn options_without_subject() -> ValidationOptions {
    ValidationOptions { require_subject: false, ..ValidationOptions::default() }
}

fn keys(jwk: Value) -> KeySet {
    KeySet::from_jwks(&json!({ "keys": [jwk] }).to_string()).expect("valid JWKS")
}

/// Verifies only the JWS layer, for RFC examples whose payload is not a claims set.
fn jws_verifies(token: &str, keys: &KeySet) -> bool {
    let parts = split(token).expect("well-formed JWS");
    let header = header_members(&parts).expect("a header object");
    let rules = check_header(&header, &ValidationOptions::default()).expect("accepted header");
    let key = keys.select(rules.kid, rules.alg).expect("a key");
    verify_signature(key, parts.signing_input.as_bytes(), &parts.signature)
}

#[test]
fn rfc7515_a1_hs256() {
    let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let keys = keys(json!({"kty": "oct", "kid": "a1", "alg": "HS256",
        "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}));
    let claims = verify(token, &keys, &options_without_subject(), RFC_NOW).expect("RFC 7515 A.1 verifies");
    assert_eq!(claims.issuer.as_deref(), Some("joe"));
    assert_eq!(claims.expires_at, 1_300_819_380);
    assert_eq!(claims.all().get("http://example.com/is_root"), Some(&Value::Bool(true)));
    // Two minutes later (past the leeway) it has expired.
    let late = verify(token, &keys, &options_without_subject(), 1_300_819_380 + 61);
    assert_eq!(late, Err(TokenError::Expired { exp: 1_300_819_380, now: 1_300_819_441 }));
}

#[test]
fn rfc7515_a3_es256() {
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    let keys = keys(json!({"kty": "EC", "crv": "P-256", "kid": "a3",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}));
    let claims = verify(token, &keys, &options_without_subject(), RFC_NOW).expect("RFC 7515 A.3 verifies");
    assert_eq!(claims.issuer.as_deref(), Some("joe"));
}

/// A face's own arithmetic: what the npm module does with its public-key module.
/// Records what it is asked, and answers as the native arithmetic would.
struct Recording {
    checked: core::sync::atomic::AtomicUsize,
    verified: core::sync::atomic::AtomicUsize,
}

impl PublicKeyCrypto for Recording {
    fn check(&self, alg: JwtAlgorithm, key: &PublicKey) -> Result<(), crate::KeyError> {
        self.checked.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        assert_eq!(PublicKey::from_bytes(alg, &key.to_bytes()).as_ref(), Some(key), "bytes round-trip");
        NativePublicKeys.check(alg, key)
    }

    fn verify(&self, alg: JwtAlgorithm, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
        self.verified.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        NativePublicKeys.verify(alg, key, message, signature)
    }
}

#[test]
fn a_face_may_bring_the_public_key_arithmetic() {
    use core::sync::atomic::{AtomicUsize, Ordering};
    static CRYPTO: Recording = Recording { checked: AtomicUsize::new(0), verified: AtomicUsize::new(0) };
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    let jwk = json!({"kty": "EC", "crv": "P-256", "kid": "a3",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    let keys = KeySet::from_jwks_with(&json!({ "keys": [jwk] }).to_string(), &CRYPTO).expect("valid JWKS");
    assert_eq!(CRYPTO.checked.load(Ordering::Relaxed), 1, "the key is checked once, when the set is built");
    verify(token, &keys, &options_without_subject(), RFC_NOW)
        .expect("RFC 7515 A.3 verifies through the face");
    assert_eq!(CRYPTO.verified.load(Ordering::Relaxed), 1);
    // RSA keys travel as the length of the modulus, the modulus, the exponent.
    let rsa = PublicKey::Rsa { n: vec![0xc5; 256], e: vec![1, 0, 1] };
    assert_eq!(PublicKey::from_bytes(JwtAlgorithm::Ps256, &rsa.to_bytes()), Some(rsa));
    assert_eq!(PublicKey::from_bytes(JwtAlgorithm::Hs256, &[0; 65]), None);
    assert_eq!(PublicKey::from_bytes(JwtAlgorithm::Rs256, &[0, 0, 1]), None, "a length that does not fit");
}

#[test]
fn rfc7520_4_4_hs256_over_a_text_payload() {
    let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";
    let keys = keys(json!({"kty": "oct", "kid": "018c0ae5-4d9b-471b-bfd6-eef314bc7037", "use": "sig",
        "alg": "HS256", "k": "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}));
    assert!(jws_verifies(token, &keys));
    // As a JWT it is refused after the signature check: the payload is not claims.
    let err = verify(token, &keys, &ValidationOptions::default(), 0).expect_err("not a claims set");
    assert_eq!(err, TokenError::Malformed { reason: "claims are not a JSON object" });
}

#[test]
fn rfc7520_4_1_rs256_over_a_text_payload() {
    let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
    let keys = keys(
        json!({"kty": "RSA", "kid": "bilbo.baggins@hobbiton.example", "alg": "RS256", "e": "AQAB",
        "n": "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw"}),
    );
    assert!(jws_verifies(token, &keys));
    assert!(!jws_verifies(&token.replace(".MRjd", ".MRje"), &keys));
}

#[test]
fn rfc8037_a4_ed25519() {
    let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let keys = keys(json!({"kty": "OKP", "crv": "Ed25519", "kid": "8037",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}));
    assert!(jws_verifies(token, &keys));
    let tampered =
        token.replace("RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc", "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmE");
    assert!(!jws_verifies(&tampered, &keys));
}

#[test]
fn rfc7515_a2_rs256() {
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    let n = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    let rs = keys(json!({"kty": "RSA", "kid": "a2", "alg": "RS256", "n": n, "e": "AQAB"}));
    let claims = verify(token, &rs, &options_without_subject(), RFC_NOW).expect("RFC 7515 A.2 verifies");
    assert_eq!(claims.issuer.as_deref(), Some("joe"));
    // The same key declared for PS256 refuses the PKCS#1 v1.5 token: alg is bound to the key.
    let ps = keys(json!({"kty": "RSA", "kid": "a2", "alg": "PS256", "n": n, "e": "AQAB"}));
    let err = verify(token, &ps, &options_without_subject(), RFC_NOW).expect_err("wrong alg");
    assert_eq!(err.code(), "ERR_TOKEN_ALG_MISMATCH");
    // An RSA key must say which algorithm it is for, and be at least 2048 bits.
    let refuse = |jwk: Value| KeySet::from_jwks(&json!({ "keys": [jwk] }).to_string()).expect_err("refused");
    assert_eq!(refuse(json!({"kty": "RSA", "kid": "x", "n": n, "e": "AQAB"})).code(), "ERR_KEY_INVALID_JWK");
    assert_eq!(
        refuse(json!({"kty": "RSA", "kid": "x", "alg": "RS256", "n": &n[..171], "e": "AQAB"})).code(),
        "ERR_KEY_INVALID_JWK"
    );
    // Bits are counted without leading zero bytes: 257 bytes holding 2048 bits are a
    // 2048-bit modulus (and verify as the 256 do), 256 bytes holding 2047 bits are not.
    let bytes = Base64UrlUnpadded::decode_vec(n).expect("base64url");
    let padded = Base64UrlUnpadded::encode_string(&[&[0u8][..], &bytes].concat());
    let rs = keys(json!({"kty": "RSA", "kid": "a2", "alg": "RS256", "n": padded, "e": "AQAB"}));
    verify(token, &rs, &options_without_subject(), RFC_NOW).expect("a leading zero byte is no bit");
    let short = Base64UrlUnpadded::encode_string(&[&[0x7f][..], &bytes[1..]].concat());
    let err = refuse(json!({"kty": "RSA", "kid": "x", "alg": "RS256", "n": short, "e": "AQAB"}));
    assert!(err.to_string().contains("at least 2048 bits"), "{err}");
    // An `alg` that does not fit an RSA key is named as such, before the key is checked.
    let err = refuse(json!({"kty": "RSA", "kid": "x", "alg": "ES256", "n": n, "e": "AQAB"}));
    assert!(err.to_string().contains("does not fit"), "{err}");
}

#[test]
fn hmac_secrets_shorter_than_the_hash_are_refused() {
    for (alg, min) in [(JwtAlgorithm::Hs256, 32), (JwtAlgorithm::Hs384, 48), (JwtAlgorithm::Hs512, 64)] {
        let err = TokenKey::secret("k", alg, &vec![1u8; min - 1]).expect_err("too short");
        assert_eq!(err.code(), "ERR_KEY_WEAK_SECRET");
        assert!(TokenKey::secret("k", alg, &vec![1u8; min]).is_ok());
    }
    let jwks = json!({"keys": [{"kty": "oct", "kid": "short", "alg": "HS256", "k": "c2hvcnQ"}]});
    assert_eq!(KeySet::from_jwks(&jwks.to_string()).expect_err("short").code(), "ERR_KEY_WEAK_SECRET");
}

#[test]
fn jwks_rules() {
    let refuse = |jwk: Value| KeySet::from_jwks(&json!({ "keys": [jwk] }).to_string()).expect_err("refused");
    let k = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    assert!(matches!(
        refuse(json!({"kty": "oct", "k": k, "alg": "HS256"})),
        crate::KeyError::InvalidJwk { .. }
    ));
    assert!(matches!(refuse(json!({"kty": "oct", "k": k, "kid": "x"})), crate::KeyError::InvalidJwk { .. }));
    assert!(matches!(
        refuse(json!({"kty": "oct", "k": k, "kid": "x", "alg": "none"})),
        crate::KeyError::InvalidJwk { .. }
    ));
    assert!(matches!(
        refuse(json!({"kty": "oct", "k": k, "kid": "x", "alg": "HS256", "use": "enc"})),
        crate::KeyError::InvalidJwk { .. }
    ));
    assert!(matches!(
        refuse(json!({"kty": "OKP", "crv": "Ed25519", "kid": "x", "alg": "ES256",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})),
        crate::KeyError::InvalidJwk { .. }
    ));
    let twice = json!({"keys": [{"kty": "oct", "k": k, "kid": "x", "alg": "HS256"}, {"kty": "oct", "k": k, "kid": "x", "alg": "HS512"}]});
    assert_eq!(KeySet::from_jwks(&twice.to_string()).expect_err("dup").code(), "ERR_KEY_DUPLICATE_KID");
}

#[cfg(feature = "getrandom")]
#[test]
fn issued_tokens_verify_for_every_algorithm() {
    for alg in JwtAlgorithm::SIGNING {
        let signer = TokenSigner::generate("key-1", alg).expect("generated");
        let mut set = KeySet::new();
        match signer.public_jwk() {
            Some(jwk) => set = KeySet::from_jwks(&json!({ "keys": [jwk] }).to_string()).expect("public JWK"),
            None => set.add(signer.verification_key()).expect("added"),
        }
        let audience = vec!["api".to_string()];
        let mut extra = Map::new();
        extra.insert("scope".into(), "posts:read".into());
        let request = TokenRequest {
            subject: "alice",
            issuer: "https://tessera.example",
            audience: &audience,
            now: 1_800_000_000,
            ttl_seconds: 900,
            token_type: "at+jwt",
            extra,
        };
        let issued = signer.issue(&request).expect("signed");
        let options = ValidationOptions {
            issuers: vec!["https://tessera.example".into()],
            audiences: audience.clone(),
            expected_type: Some("at+jwt".into()),
            ..ValidationOptions::default()
        };
        let claims = verify(&issued.token, &set, &options, 1_800_000_100).expect("own token verifies");
        assert_eq!(claims.subject.as_deref(), Some("alice"), "{alg:?}");
        assert_eq!(claims.token_id.as_deref(), Some(issued.token_id.as_str()));
        assert_eq!(claims.expires_at, 1_800_000_900);
        assert_eq!(claims.scope, Some(vec![String::from("posts:read")]));
        // A refresh token is never accepted where an access token is expected.
        let refresh =
            signer.issue(&TokenRequest { token_type: "refresh+jwt", ..request.clone() }).expect("signed");
        let err = verify(
            &refresh.token,
            &set,
            &ValidationOptions { expected_type: None, ..options.clone() },
            1_800_000_100,
        );
        assert_eq!(err.expect_err("refresh refused").code(), "ERR_TOKEN_WRONG_TYP");
        assert_ne!(refresh.token_id, issued.token_id);
    }
}

/// An EdDSA token for `alice` issued at 1,800,000,000 for 900 s, and its key set.
fn alice_ed25519_token() -> (String, KeySet) {
    let signer = TokenSigner::ed25519("ed-1", &[7; 32]).expect("signer");
    let request = TokenRequest {
        subject: "alice",
        issuer: "https://tessera.example",
        audience: &[],
        now: 1_800_000_000,
        ttl_seconds: 900,
        token_type: "JWT",
        extra: Map::new(),
    };
    let token = signer.issue(&request).expect("signed").token;
    (token, keys(signer.public_jwk().expect("public JWK")))
}

/// The two-step path for faces with native crypto gives exactly `verify`'s answers:
/// the same key and signed bytes, the caller's verdict in place of the signature
/// check, and every other rule still applied.
#[test]
fn external_signature_path_matches_verify() {
    let (token, set) = alice_ed25519_token();
    let options = ValidationOptions::default();

    let external = prepare_external(&token, &set, &options).expect("prepared");
    assert_eq!((external.algorithm, external.kid), (JwtAlgorithm::EdDsa, "ed-1"));
    assert_eq!(Some(external.signing_input), token.rsplit_once('.').map(|(input, _)| input));
    let key = set.select(Some("ed-1"), JwtAlgorithm::EdDsa).expect("key");
    assert!(verify_signature(key, external.signing_input.as_bytes(), &external.signature));

    let claims = external.claims(&options, 1_800_000_100, SignatureVerdict::Valid).expect("accepted");
    assert_eq!(claims, verify(&token, &set, &options, 1_800_000_100).expect("verifies"));
    let refused = external.claims(&options, 1_800_000_100, SignatureVerdict::Invalid);
    assert_eq!(refused.expect_err("bad signature").code(), "ERR_TOKEN_BAD_SIGNATURE");
    // The claims rules still run: an expired token is refused even with a valid signature.
    let expired = external.claims(&options, 1_800_010_000, SignatureVerdict::Valid);
    assert_eq!(expired.expect_err("expired").code(), "ERR_TOKEN_EXPIRED");
    // And so do the header rules, before any signature is asked for.
    let empty = KeySet::new();
    let unknown = prepare_external(&token, &empty, &options).map(|external| external.kid);
    assert_eq!(unknown.expect_err("no key").code(), "ERR_TOKEN_UNKNOWN_KID");
}

/// Deciding before the verdict gives `authorize`'s answers: the decision for a valid
/// signature, the bad-signature refusal for an invalid one whatever the claims.
#[test]
fn prepared_authorization_matches_authorize() {
    let (token, set) = alice_ed25519_token();
    let options = ValidationOptions::default();
    let policy = crate::PolicyDocument::from_json(
        r#"{"tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
            "roles": {"viewer": {"grants": ["posts:read"]}}, "members": {"alice": ["viewer"]}}"#,
    )
    .and_then(crate::PolicyDocument::into_policy)
    .expect("policy");
    let authz = crate::Authorizer::new(policy);
    let prepared = prepare_external(&token, &set, &options).expect("prepared");
    for (now, permission) in
        [(1_800_000_100, "posts:read"), (1_800_000_100, "posts:edit"), (1_800_010_000, "posts:read")]
    {
        let expected = authorize(&authz, &set, &options, &token, permission, now).expect("decided");
        let got =
            prepared.authorize(&authz, &options, permission, now, SignatureVerdict::Valid).expect("decided");
        assert_eq!(got, expected, "{permission} at {now}");
        let forged = prepared
            .authorize(&authz, &options, permission, now, SignatureVerdict::Invalid)
            .expect("decided");
        assert_eq!(forged, Authorization::TokenRejected(TokenError::BadSignature));
    }
    let bad_permission =
        prepared.authorize(&authz, &options, "bad permission", 1_800_000_100, SignatureVerdict::Valid);
    assert!(bad_permission.is_err());
}

#[test]
fn debug_output_hides_secrets() {
    let signer = TokenSigner::hmac("k", JwtAlgorithm::Hs256, &[0x41; 32]).expect("signer");
    let shown = alloc::format!("{signer:?} {:?}", signer.verification_key());
    assert!(!shown.contains("AAAA") && !shown.contains("65, 65"), "{shown}");
}
