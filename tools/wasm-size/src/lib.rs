//! Exports that keep one part of tessera-core alive each, so link-time optimization
//! drops everything else and the module size shows what that part costs.

use core::hint::black_box;

use tessera_core::{Authorizer, PolicyDocument};

const POLICY: &str = r#"{"tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
  "roles": {"viewer": {"grants": ["posts:read"]}, "editor": {"parents": ["viewer"], "grants": ["posts:*"]}},
  "members": {"alice": ["editor"]}}"#;

/// The baseline every face has: policy parsing, snapshot loading and checks.
// SAFETY: `no_mangle` only fixes the export's name; the function is ordinary safe Rust.
#[unsafe(no_mangle)]
pub extern "C" fn baseline(now: i64) -> u32 {
    let Ok(policy) = PolicyDocument::from_json(black_box(POLICY)).and_then(PolicyDocument::into_policy)
    else {
        return 0;
    };
    let loader = tessera_core::SnapshotLoader::new();
    let loaded = loader.load(black_box(&[]), now, None).is_ok();
    let authz = Authorizer::new(policy);
    u32::from(authz.has_permission(black_box("alice"), black_box("posts:edit")).unwrap_or(false))
        + u32::from(loaded)
}

/// Adds token validation.
#[cfg(feature = "jwt")]
// SAFETY: as above.
#[unsafe(no_mangle)]
pub extern "C" fn verify(now: i64) -> u32 {
    let Ok(keys) = tessera_core::KeySet::from_jwks(black_box(r#"{"keys": []}"#)) else { return 0 };
    let options = tessera_core::ValidationOptions::default();
    u32::from(tessera_core::verify_token(black_box("a.b.c"), &keys, &options, now).is_ok())
}

/// Adds the sanitizer.
#[cfg(feature = "sanitizer")]
// SAFETY: as above.
#[unsafe(no_mangle)]
pub extern "C" fn sanitize(limit: u32) -> u32 {
    let options = tessera_core::SanitizeOptions { max_len: Some(limit as usize) };
    let text = black_box("<b>x</b>");
    (tessera_core::escape(text, &options).len()
        + tessera_core::strip(text, &options).len()
        + tessera_core::inspect(text).len()) as u32
}
