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

/// The address of the input buffer, grown to at least `len` bytes; `None` when the
/// memory cannot be had (growing must not abort: the caller then reports the
/// module unusable instead of trapping).
pub fn buffer(len: u32) -> Option<usize> {
    BUFFER.with_borrow_mut(|buffer| {
        let len = usize::try_from(len).ok()?;
        if let Some(more) = len.checked_sub(buffer.len()).filter(|&more| more > 0) {
            buffer.try_reserve_exact(more).ok()?;
            buffer.resize(len, 0);
        }
        Some(buffer.as_ptr() as usize)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes the fields into the buffer as the wrapper does, returning their lengths.
    fn put<const N: usize>(fields: [&[u8]; N]) -> [u32; N] {
        let total = fields.iter().map(|f| f.len()).sum::<usize>();
        assert!(buffer(u32::try_from(total).unwrap_or(u32::MAX)).is_some());
        BUFFER.with_borrow_mut(|buffer| {
            let mut at = 0;
            for field in fields {
                buffer[at..at + field.len()].copy_from_slice(field);
                at += field.len();
            }
        });
        fields.map(|f| u32::try_from(f.len()).unwrap_or(u32::MAX))
    }

    fn b64(text: &str) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).unwrap_or_default()
    }

    /// RFC 7515 A.3: an ES256 signature and its key.
    const SIGNING_INPUT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    const SIGNATURE: &str =
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

    fn point() -> Vec<u8> {
        let (x, y) = (
            b64("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
            b64("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"),
        );
        [&[4u8][..], &x, &y].concat()
    }

    #[test]
    fn checks_keys_and_verifies_signatures_from_the_buffer() {
        let point = point();
        let [alg, key] = put([b"ES256", &point]);
        assert!(check(alg, key));
        let mut off_curve = point.clone();
        off_curve[64] ^= 1;
        let [alg, key] = put([b"ES256", &off_curve]);
        assert!(!check(alg, key), "a point off the curve");
        let signature = b64(SIGNATURE);
        let [alg, key, message, sig] = put([b"ES256", &point, SIGNING_INPUT.as_bytes(), &signature]);
        assert!(verify(alg, key, message, sig));
        let [alg, key, message, sig] = put([b"ES256", &point, b"another message", &signature]);
        assert!(!verify(alg, key, message, sig));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let point = point();
        for name in [&b"HS256"[..], b"EdDSA", b"none", b"es256", b"\xff"] {
            let [alg, key] = put([name, &point]);
            assert!(!check(alg, key), "{name:?}");
        }
        let [alg, key] = put([b"ES256", &point[..64]]);
        assert!(!check(alg, key), "a short point");
        // Lengths that run past what the buffer holds.
        let [alg, _] = put([b"ES256", &point]);
        assert!(!check(alg, u32::MAX));
        assert!(!verify(alg, 65, u32::MAX, 64));
        assert!(!check(u32::MAX, 0));
    }
}
