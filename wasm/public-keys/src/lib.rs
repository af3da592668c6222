//! # tessera-public-keys
//!
//! The arithmetic of ES256, RS256 and PS256 (the core's `NativePublicKeys`) as a
//! module of its own, which the npm package loads the first time it is given such a
//! key: P-256 and RSA are a sixth of the main module's code and most users never
//! verify those tokens synchronously. Built at opt-level 3, since its size is paid
//! only by those who use it and its speed by every such token.
//!
//! The calling convention: the caller asks [`buffer`] for room, writes the inputs
//! there back to back, then calls [`check`] or [`verify`] with their byte lengths;
//! the answer is 1 (usable, verifies) or 0. The algorithm is its JOSE name; a key is
//! `PublicKey::to_bytes`. The module has no imports.

use core::cell::RefCell;

use tessera_core::{JwtAlgorithm, NativePublicKeys, PublicKey, PublicKeyCrypto};

#[cfg(target_arch = "wasm32")]
mod exports;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The address of the input buffer, grown to at least `len` bytes.
pub fn buffer(len: u32) -> usize {
    BUFFER.with_borrow_mut(|buffer| {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if buffer.len() < len {
            buffer.resize(len, 0);
        }
        buffer.as_ptr() as usize
    })
}

/// The buffer's first fields, of these lengths; `None` when they do not fit.
fn fields<const N: usize, T>(lengths: [u32; N], f: impl FnOnce([&[u8]; N]) -> T) -> Option<T> {
    BUFFER.with_borrow(|buffer| {
        let mut rest = buffer.as_slice();
        let mut out = [&[][..]; N];
        for (slot, len) in out.iter_mut().zip(lengths) {
            let (field, tail) = rest.split_at_checked(usize::try_from(len).ok()?)?;
            (*slot, rest) = (field, tail);
        }
        Some(f(out))
    })
}

/// The algorithm and key the first two fields name, when they are well formed.
fn key_of(alg: &[u8], key: &[u8]) -> Option<(JwtAlgorithm, PublicKey)> {
    let alg = JwtAlgorithm::from_name(core::str::from_utf8(alg).ok()?)?;
    Some((alg, PublicKey::from_bytes(alg, key)?))
}

/// Whether the key in the buffer (algorithm name, key) is usable.
pub fn check(alg_len: u32, key_len: u32) -> bool {
    fields([alg_len, key_len], |[alg, key]| {
        key_of(alg, key).is_some_and(|(alg, key)| NativePublicKeys.check(alg, &key).is_ok())
    })
    .unwrap_or(false)
}

/// Whether the signature in the buffer (algorithm name, key, message, signature)
/// verifies.
pub fn verify(alg_len: u32, key_len: u32, message_len: u32, signature_len: u32) -> bool {
    fields([alg_len, key_len, message_len, signature_len], |[alg, key, message, signature]| {
        key_of(alg, key).is_some_and(|(alg, key)| NativePublicKeys.verify(alg, &key, message, signature))
    })
    .unwrap_or(false)
}
