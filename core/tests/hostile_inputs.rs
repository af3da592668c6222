//! Arbitrary and mutated inputs never panic, and never get through where they must not:
//! the sanitizer's outputs stay inert, tampered tokens are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use proptest::prelude::*;
use tessera_core::{
    JwtAlgorithm, KeySet, SanitizeOptions, TokenRequest, TokenSigner, ValidationOptions, escape, inspect,
    strip, verify_token,
};

/// Text biased towards the characters markup, URLs and SQL are made of.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<".to_string()),
        Just(">".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("&".to_string()),
        Just("&#".to_string()),
        Just("%2".to_string()),
        Just("javascript:".to_string()),
        Just("<script".to_string()),
        Just("<!--".to_string()),
        Just(" onerror=".to_string()),
        Just("../".to_string()),
        Just("' or 1=1--".to_string()),
        Just("\u{0}".to_string()),
        "\\PC{0,4}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn sanitizer_outputs_hold_no_markup_characters(text in hostile_text(), max in prop::option::of(0usize..64)) {
        let options = SanitizeOptions { max_len: max };
        for output in [escape(&text, &options), strip(&text, &options)] {
            prop_assert!(!output.contains(['<', '>', '"', '\'', '`']), "{output:?}");
            prop_assert!(!output.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')));
            // Every `&` starts one of the entities the escaper writes.
            for (at, _) in output.match_indices('&') {
                let rest = &output[at..];
                prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#x60;"].iter().any(|e| rest.starts_with(e)), "{output:?}");
            }
        }
        for finding in inspect(&text) {
            prop_assert!(finding.offset <= text.len());
        }
    }

    #[test]
    fn tampered_tokens_are_refused(cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(), bit in 0u8..7, truncate in any::<bool>()) {
        thread_local!(static FIXTURE: (KeySet, String) = {
            let signer = TokenSigner::generate("k", JwtAlgorithm::EdDsa).unwrap();
            let mut keys = KeySet::new();
            keys.add(signer.verification_key()).unwrap();
            let token = signer
                .issue(&TokenRequest {
                    subject: "alice",
                    issuer: "iss",
                    audience: &[],
                    now: 1_800_000_000,
                    ttl_seconds: 600,
                    token_type: "at+jwt",
                    extra: Default::default(),
                })
                .unwrap()
                .token;
            (keys, token)
        });
        FIXTURE.with(|(keys, token)| {
            let options = ValidationOptions::default();
            assert!(verify_token(token, keys, &options, 1_800_000_010).is_ok());
            let mut bytes = token.clone().into_bytes();
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            } else {
                let at = flip.index(bytes.len());
                bytes[at] ^= 1 << bit;
            }
            if bytes != token.as_bytes() {
                let tampered = String::from_utf8_lossy(&bytes);
                assert!(verify_token(&tampered, keys, &options, 1_800_000_010).is_err(), "accepted {tampered}");
            }
        });
    }
}
