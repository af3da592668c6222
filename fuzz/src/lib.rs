//! Fixtures and shared checks for the tessera-core fuzz targets: fixed keys, a
//! snapshot envelope writer of our own (the core keeps its writer private, so the
//! harness signs arbitrary payloads the way the documented wire format says), the
//! tokens we signed, and the round trips every accepted policy or snapshot must pass.
//!
//! Everything here is deterministic (Ed25519 and HMAC signatures are, and the
//! encryption nonce is fixed), so `examples/seeds.rs` writes the same seeds each time.

use std::collections::HashSet;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signer;
use serde_json::{Map, Value, json};
use tessera_core::{
    Authorizer, EncryptionKey, JwtAlgorithm, KeySet, Policy, PolicyDocument, SigningKey, Snapshot,
    SnapshotInfo, SnapshotLoader, TokenKey, TokenSigner, ValidationOptions, VerifyingKey,
};

/// The time of every check: the JWT vectors' `now` (2027-01-15).
pub const NOW: i64 = 1_800_000_000;

/// Seed of the Ed25519 key the loader trusts for our own snapshots.
pub const SNAPSHOT_SEED: [u8; 32] = *b"tessera fuzz snapshot signing k1";
/// Its key id.
pub const SNAPSHOT_KID: &str = "fuzz-snapshot";
/// The AES-256-GCM key the loader decrypts with.
pub const ENCRYPTION_KEY: [u8; 32] = *b"tessera fuzz snapshot aes key 01";
/// Its key id.
pub const ENCRYPTION_KID: &str = "fuzz-aes";
/// The nonce of every payload we encrypt (fine for a fixture, never for real data).
pub const NONCE: [u8; 12] = *b"fuzz-nonce12";

/// The demo snapshot's public key: `demo.snapshot` is a seed the loader accepts.
pub const DEMO_PUBLIC_JWK: &str = include_str!("../../examples/demo-snapshot/demo-key.pub.json");
/// The demo's policy document.
pub const DEMO_POLICY_JSON: &str = include_str!("../../examples/demo-snapshot/policy.json");
/// The JWT conformance vectors: their key set, options and tokens.
pub const JWT_VECTORS: &str = include_str!("../../tests/vectors/jwt/tokens.json");

/// HMAC secret of our HS256 token key.
pub const TOKEN_HS_SECRET: [u8; 32] = *b"tessera fuzz token hs256 secret!";
/// Its key id.
pub const TOKEN_HS_KID: &str = "fuzz-hs";
/// Seed of our EdDSA token key.
pub const TOKEN_ED_SEED: [u8; 32] = *b"tessera fuzz token ed25519 seed!";
/// Its key id.
pub const TOKEN_ED_KID: &str = "fuzz-ed";

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// The snapshot signing key, read through the public JWK API.
pub fn signing_key() -> SigningKey {
    let dalek = ed25519_dalek::SigningKey::from_bytes(&SNAPSHOT_SEED);
    let jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "kid": SNAPSHOT_KID,
        "x": b64(dalek.verifying_key().as_bytes()), "d": b64(&SNAPSHOT_SEED),
    });
    SigningKey::from_jwk(&jwk.to_string()).expect("the fixture key is a valid JWK")
}

/// A loader trusting our key and the demo key, decrypting with our AES key.
pub fn loader() -> SnapshotLoader {
    SnapshotLoader::new()
        .trust(signing_key().verifying_key())
        .trust(VerifyingKey::from_jwk(DEMO_PUBLIC_JWK).expect("the demo key is a valid JWK"))
        .decrypt_with(EncryptionKey::new(ENCRYPTION_KID, ENCRYPTION_KEY).expect("a valid AES key"))
}

/// The demo policy, validated.
pub fn policy() -> Policy {
    PolicyDocument::from_json(DEMO_POLICY_JSON)
        .and_then(PolicyDocument::into_policy)
        .expect("the demo policy is valid")
}

/// The fixture snapshot: the demo policy at revision 7, valid for an hour after `NOW`.
pub fn snapshot() -> Snapshot {
    Snapshot { revision: 7, issued_at: NOW - 100, expires_at: Some(NOW + 3600), policy: policy() }
}

// ---- MessagePack, by hand, for the envelope (core/src/snapshot/mod.rs documents it) ----

fn mp_map(out: &mut Vec<u8>, len: u8) {
    assert!(len < 16, "fixmap only");
    out.push(0x80 | len);
}

fn mp_str(out: &mut Vec<u8>, text: &str) {
    let len = text.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len < 256 {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else {
        out.push(0xda);
        out.extend_from_slice(&u16::try_from(len).expect("short string").to_be_bytes());
    }
    out.extend_from_slice(text.as_bytes());
}

fn mp_bin(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    if len < 256 {
        out.extend_from_slice(&[0xc4, len as u8]);
    } else if len < 65536 {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&u32::try_from(len).expect("under 4 GiB").to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

/// A version-1 header: `{v: 1, alg: "EdDSA", kid, enc?: {alg: "A256GCM", kid, nonce}}`.
pub fn header(encrypted: bool) -> Vec<u8> {
    let mut out = Vec::new();
    mp_map(&mut out, if encrypted { 4 } else { 3 });
    mp_str(&mut out, "v");
    out.push(1);
    mp_str(&mut out, "alg");
    mp_str(&mut out, "EdDSA");
    mp_str(&mut out, "kid");
    mp_str(&mut out, SNAPSHOT_KID);
    if encrypted {
        mp_str(&mut out, "enc");
        mp_map(&mut out, 3);
        mp_str(&mut out, "alg");
        mp_str(&mut out, "A256GCM");
        mp_str(&mut out, "kid");
        mp_str(&mut out, ENCRYPTION_KID);
        mp_str(&mut out, "nonce");
        mp_bin(&mut out, &NONCE);
    }
    out
}

/// Where the signed parts sit inside an envelope we wrote.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Byte range of the header's bytes (the bin's contents).
    pub header: (usize, usize),
    /// Byte range of the payload's bytes.
    pub payload: (usize, usize),
}

/// `{header: bin, payload: bin, signature: bin}` with an Ed25519 signature by our
/// key over `"tessera-snapshot-v1\0" || u32be(len(header)) || header || payload`.
pub fn envelope(header: &[u8], payload: &[u8]) -> (Vec<u8>, Layout) {
    let mut input = b"tessera-snapshot-v1\0".to_vec();
    input.extend_from_slice(&u32::try_from(header.len()).unwrap_or(u32::MAX).to_be_bytes());
    input.extend_from_slice(header);
    input.extend_from_slice(payload);
    let signature = ed25519_dalek::SigningKey::from_bytes(&SNAPSHOT_SEED).sign(&input).to_bytes();

    let mut out = Vec::with_capacity(header.len() + payload.len() + 100);
    mp_map(&mut out, 3);
    mp_str(&mut out, "header");
    mp_bin(&mut out, header);
    let header_at = (out.len() - header.len(), out.len());
    mp_str(&mut out, "payload");
    mp_bin(&mut out, payload);
    let payload_at = (out.len() - payload.len(), out.len());
    mp_str(&mut out, "signature");
    mp_bin(&mut out, &signature);
    (out, Layout { header: header_at, payload: payload_at })
}

/// AES-256-GCM with our key and nonce, the header as associated data.
pub fn encrypt(header: &[u8], payload: &[u8]) -> Vec<u8> {
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(ENCRYPTION_KEY))
        .encrypt(&Nonce::from(NONCE), Payload { msg: payload, aad: header })
        .expect("a small payload encrypts")
}

/// Signs (and, if asked, encrypts) a snapshot payload into an envelope.
pub fn seal_payload(payload: &[u8], encrypted: bool) -> (Vec<u8>, Layout) {
    let header = header(encrypted);
    if encrypted { envelope(&header, &encrypt(&header, payload)) } else { envelope(&header, payload) }
}

/// Everything an accepted snapshot must survive: sealing it again (the core's writer
/// and ours must agree byte for byte, and reopening gives the same snapshot), opening
/// it encrypted, loading it over itself, and refusing an older revision over it.
pub fn check_snapshot(loader: &SnapshotLoader, key: &SigningKey, snapshot: &Snapshot, info: &SnapshotInfo) {
    assert_eq!(info.tenant, snapshot.policy.tenant());
    assert_eq!(info.revision, snapshot.revision);
    assert_eq!(info.issued_at, snapshot.issued_at);
    assert_eq!(info.expires_at, snapshot.expires_at);

    let payload = snapshot.encode().expect("an accepted snapshot encodes");
    let sealed = snapshot.seal(key).expect("an accepted snapshot seals");
    assert_eq!(
        sealed,
        seal_payload(&payload, false).0,
        "the core's envelope differs from the documented format"
    );
    let (again, again_info) = loader.open(&sealed, NOW).expect("a resealed snapshot opens");
    assert_eq!(&again, snapshot, "encode then decode changed the snapshot");
    assert_eq!(again.encode().expect("encodes"), payload, "encoding is not stable");
    assert_eq!(again_info.signed_by, SNAPSHOT_KID);

    let (encrypted, _) = seal_payload(&payload, true);
    let (decrypted, decrypted_info) = loader.open(&encrypted, NOW).expect("the encrypted form opens");
    assert_eq!(&decrypted, snapshot);
    assert_eq!(decrypted_info.encrypted_with.as_deref(), Some(ENCRYPTION_KID));

    let loaded = loader.load(&sealed, NOW, Some(&again_info)).expect("the same revision loads again");
    assert_eq!(loaded.into_parts().1.tenant(), snapshot.policy.tenant());
    if let Some(newer) = snapshot.revision.checked_add(1) {
        let current = SnapshotInfo { revision: newer, ..again_info };
        assert!(loader.load(&sealed, NOW, Some(&current)).is_err(), "an older revision loaded");
    }
    assert!(SnapshotLoader::new().open(&sealed, NOW).is_err(), "a loader trusting nobody accepted");
}

/// Everything an accepted policy document must survive: written back as JSON (and as
/// YAML, as the CLI writes it) and read again it is the same document and the same
/// policy; the canonical document is a fixed point; the policy travels in a snapshot
/// unchanged; the authorizer answers.
pub fn check_policy(document: &PolicyDocument, policy: &Policy) {
    let json = serde_json::to_string(document).expect("a document serializes");
    let reread = PolicyDocument::from_json(&json).expect("written JSON reads back");
    assert_eq!(&reread, document, "the JSON round trip changed the document");
    assert_eq!(&reread.into_policy().expect("still valid"), policy, "the JSON round trip changed the policy");

    let yaml = serde_yaml_ng::to_string(document).expect("a document serializes as YAML");
    let reread = PolicyDocument::read(serde_yaml_ng::Deserializer::from_str(&yaml))
        .unwrap_or_else(|e| panic!("written YAML reads back: {e}\n{yaml}"));
    assert_eq!(&reread, document, "the YAML round trip changed the document:\n{yaml}");

    let canonical = policy.to_document();
    let again = canonical.clone().into_policy().expect("the canonical document is valid");
    assert_eq!(&again, policy, "to_document then into_policy changed the policy");
    assert_eq!(again.to_document(), canonical, "the canonical document is not a fixed point");

    let snapshot = Snapshot { revision: 1, issued_at: NOW, expires_at: None, policy: policy.clone() };
    let sealed = seal_payload(&snapshot.encode().expect("a valid policy encodes"), false).0;
    let (opened, _) = fixtures().loader.open(&sealed, NOW).expect("a valid policy's snapshot opens");
    assert_eq!(opened, snapshot, "the policy changed in a snapshot");

    let authz = Authorizer::new(policy.clone());
    assert_eq!(authz.tenant(), policy.tenant());
    for role in authz.roles().unwrap_or_default().into_iter().take(4) {
        let _ = authz.role_permissions(role);
        for user in authz.role_members(role).unwrap_or_default().into_iter().take(2) {
            assert!(authz.has_role(user, role).unwrap_or(false), "a member of {role} lacks it");
            let _ = authz.check(user, "posts:read");
            // A member's own slice decides for them as the whole policy does.
            let slice = Authorizer::new(policy.for_subject(user).expect("a member's slice is valid"));
            for permission in ["posts:read", "posts:delete", "admin"] {
                let (whole, sliced) = (authz.check(user, permission), slice.check(user, permission));
                assert_eq!(
                    whole.map(|d| (d.allowed(), d.reason())).ok(),
                    sliced.map(|d| (d.allowed(), d.reason())).ok(),
                    "{user}'s slice decides {permission} otherwise"
                );
            }
        }
    }
}

/// Built once per process: the loader, the key, the token key set.
pub struct Fixtures {
    /// Trusts our key and the demo key.
    pub loader: SnapshotLoader,
    /// Our snapshot signing key.
    pub key: SigningKey,
    /// The JWT vectors' keys plus our HS256 and EdDSA keys.
    pub keys: KeySet,
    /// Default options and the vectors' (issuer and audience required).
    pub options: [ValidationOptions; 2],
    /// Every token that may verify: ours and the vectors'.
    pub tokens: HashSet<String>,
    /// The JWT vectors' policy, compiled.
    pub authorizer: Authorizer,
}

/// The fixtures, built on first use.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: std::sync::OnceLock<Fixtures> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(|| {
        let vectors: Value = serde_json::from_str(JWT_VECTORS).expect("the JWT vectors are JSON");
        let mut keys = KeySet::from_jwks(&vectors["jwks"].to_string()).expect("the vectors' JWKS loads");
        for signer in token_signers() {
            keys.add(signer.verification_key()).expect("distinct kids");
        }
        keys.add(TokenKey::secret("fuzz-hs384", JwtAlgorithm::Hs384, &[7; 48]).expect("a strong secret"))
            .expect("distinct kids");
        let options: ValidationOptions =
            serde_json::from_value(vectors["options"].clone()).expect("the vectors' options");
        let mut tokens: HashSet<String> = signed_tokens().into_iter().collect();
        tokens.extend(vector_tokens());
        let document = PolicyDocument::read(&vectors["policy"]).expect("the vectors' policy");
        Fixtures {
            loader: loader(),
            key: signing_key(),
            keys,
            options: [ValidationOptions::default(), options],
            tokens,
            authorizer: Authorizer::new(document.into_policy().expect("valid")),
        }
    })
}

/// Our token signers: HS256 and EdDSA.
pub fn token_signers() -> [TokenSigner; 2] {
    [
        TokenSigner::hmac(TOKEN_HS_KID, JwtAlgorithm::Hs256, &TOKEN_HS_SECRET).expect("a strong secret"),
        TokenSigner::ed25519(TOKEN_ED_KID, &TOKEN_ED_SEED).expect("a valid seed"),
    ]
}

/// The tokens we sign: a few claim shapes with each of our keys.
pub fn signed_tokens() -> Vec<String> {
    let claims: [Value; 4] = [
        json!({"sub": "alice", "exp": NOW + 3600}),
        json!({"sub": "alice", "iss": "https://issuer.example", "aud": "tessera-api", "iat": NOW - 10,
               "exp": NOW + 3600, "scope": "posts:read posts:edit", "jti": "a1"}),
        json!({"sub": "bob", "iss": "https://issuer.example", "aud": ["x", "tessera-api"], "nbf": NOW - 5,
               "exp": NOW as f64 + 60.5, "roles": ["viewer"], "permissions": ["posts:read"], "extra": {"k": [1, null]}}),
        json!({"sub": "carol", "exp": NOW - 3600}),
    ];
    let mut tokens = Vec::new();
    for signer in token_signers() {
        for (i, claims) in claims.iter().enumerate() {
            let claims: &Map<String, Value> = claims.as_object().expect("an object");
            tokens.push(signer.sign(claims, if i == 1 { "at+jwt" } else { "JWT" }));
        }
    }
    tokens
}

/// Every token in the JWT vectors.
pub fn vector_tokens() -> Vec<String> {
    let vectors: Value = serde_json::from_str(JWT_VECTORS).expect("the JWT vectors are JSON");
    ["cases", "authorize"]
        .iter()
        .flat_map(|list| vectors[list].as_array().cloned().unwrap_or_default())
        .filter_map(|case| case["token"].as_str().map(String::from))
        .collect()
}
