//! Arbitrary text as a compact JWT, against a key set with every algorithm (the JWT
//! vectors' JWKS plus our HS256, HS384 and EdDSA keys), under the default options and
//! the vectors' (issuer and audience required). Never panics; nothing is accepted but
//! a token someone signed (ours or a vector's: a fuzzer forges no signature); the
//! accepted claims are the token's JSON and obey the options; the external-signature
//! path and `authorize` agree with `verify`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tessera_core::external::{SignatureVerdict, prepare_external};
use tessera_core::{Claims, TokenError, ValidationOptions, authorize, verify_token};
use tessera_fuzz::{NOW, fixtures};

fn check_claims(token: &str, claims: &Claims, options: &ValidationOptions) {
    let json: Value = serde_json::from_str(&claims.json).expect("accepted claims are JSON");
    let object = json.as_object().expect("accepted claims are an object");
    assert_eq!(&claims.all(), object);
    let text = |name: &str| object.get(name).and_then(Value::as_str).map(String::from);
    assert_eq!(claims.subject, text("sub"));
    assert_eq!(claims.issuer, text("iss"));
    assert_eq!(claims.token_id, text("jti"));
    if let Some(exp) = object.get("exp").and_then(Value::as_i64) {
        assert_eq!(claims.expires_at, exp);
    }
    let leeway = i64::from(options.leeway_seconds);
    assert!(claims.expires_at > NOW - leeway, "an expired token was accepted: {token}");
    if !options.issuers.is_empty() {
        assert!(claims.issuer.as_ref().is_some_and(|iss| options.issuers.contains(iss)));
    }
    if !options.audiences.is_empty() {
        assert!(claims.audience.iter().any(|aud| options.audiences.contains(aud)));
    }
    if options.require_subject {
        assert!(claims.subject.is_some());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let fx = fixtures();
    for options in &fx.options {
        let verified = verify_token(token, &fx.keys, options, NOW);
        if let Ok(claims) = &verified {
            assert!(fx.tokens.contains(token), "accepted a token nobody signed: {token:?}");
            check_claims(token, claims, options);
        }

        // The face that checks signatures itself gets the same answer for the same
        // verdict, and a refusal for an invalid one.
        if let Ok(prepared) = prepare_external(token, &fx.keys, options) {
            assert!(token.starts_with(prepared.signing_input));
            let external = prepared.claims(options, NOW, SignatureVerdict::Valid);
            if verified != Err(TokenError::BadSignature) {
                assert_eq!(external, verified, "the external path disagrees on {token:?}");
            }
            assert_eq!(prepared.claims(options, NOW, SignatureVerdict::Invalid), Err(TokenError::BadSignature));
        } else {
            // Refused before the signature: the same refusal as `verify`'s.
            let refused = prepare_external(token, &fx.keys, options).err();
            assert_eq!(refused, verified.clone().err(), "the external path refuses {token:?} otherwise");
        }

        // authorize: only a verified token can be allowed; a refused one is refused
        // for the same reason.
        let answer = authorize(&fx.authorizer, &fx.keys, options, token, "posts:read", NOW)
            .expect("posts:read is a valid permission");
        match &verified {
            Ok(claims) => {
                assert!(!answer.allowed() || answer.subject() == claims.subject.as_deref());
            }
            Err(error) => {
                assert!(!answer.allowed());
                assert_eq!(answer.reason(), error.code());
            }
        }
    }
});
