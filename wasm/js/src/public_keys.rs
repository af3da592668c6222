//! ES256, RS256 and PS256 for the npm module. Their arithmetic (P-256, RSA) is a
//! second wasm module, `tessera-public-keys.wasm` (`wasm/public-keys`), that the
//! wrapper loads on first use, so the main module stays small; the wrapper hands a
//! handle on it to [`set_public_keys`] at start-up, and key sets built here reach it
//! through [`JsPublicKeys`].

use core::cell::RefCell;

use tessera_core::{JwtAlgorithm, KeyError, PublicKey, PublicKeyCrypto};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The wrapper's handle on the public-key module (`js/src/public_keys.js`).
    pub type PublicKeyModule;

    /// `true` when `key` (`PublicKey::to_bytes`) is usable for `alg`, `false` when
    /// not, or, when the module cannot be loaded synchronously, a string saying
    /// what to do.
    #[wasm_bindgen(method)]
    fn check(this: &PublicKeyModule, alg: &str, key: &[u8]) -> JsValue;

    /// Whether `signature` over `message` verifies with `key` under `alg`.
    #[wasm_bindgen(method)]
    fn verify(this: &PublicKeyModule, alg: &str, key: &[u8], message: &[u8], signature: &[u8]) -> bool;
}

thread_local! {
    static MODULE: RefCell<Option<PublicKeyModule>> = const { RefCell::new(None) };
}

/// Installs the wrapper's handle on the public-key module.
#[wasm_bindgen(js_name = setPublicKeys)]
pub fn set_public_keys(module: PublicKeyModule) {
    MODULE.with_borrow_mut(|slot| *slot = Some(module));
}

/// The core's [`PublicKeyCrypto`] over the handle.
pub(crate) struct JsPublicKeys;

impl PublicKeyCrypto for JsPublicKeys {
    fn check(&self, alg: JwtAlgorithm, key: &PublicKey) -> Result<(), KeyError> {
        let unavailable = |reason: String| KeyError::AlgorithmUnavailable { alg: alg.name(), reason };
        MODULE.with_borrow(|module| {
            let module =
                module.as_ref().ok_or_else(|| unavailable("the wrapper set no public-key module".into()))?;
            let answer = module.check(alg.name(), &key.to_bytes());
            match answer.as_bool() {
                Some(true) => Ok(()),
                Some(false) => Err(key.unusable()),
                None => Err(unavailable(answer.as_string().unwrap_or_default())),
            }
        })
    }

    fn verify(&self, alg: JwtAlgorithm, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
        MODULE.with_borrow(|module| {
            module
                .as_ref()
                .is_some_and(|module| module.verify(alg.name(), &key.to_bytes(), message, signature))
        })
    }
}
