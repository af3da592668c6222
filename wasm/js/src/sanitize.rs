//! The sanitizer: identifier rules, escaping, stripping and the detector.

use tessera_core::{IdentifierKind, SanitizeOptions};
use wasm_bindgen::prelude::*;

use crate::failure::{self, thrown};

fn options(max_len: Option<u32>) -> SanitizeOptions {
    SanitizeOptions { max_len: max_len.map(|len| len as usize) }
}

/// `text` with HTML's special characters escaped (safe in element content and
/// quoted attributes), truncated to `max_len` bytes on a character boundary.
#[wasm_bindgen]
pub fn escape(text: &str, max_len: Option<u32>) -> String {
    tessera_core::escape(text, &options(max_len))
}

/// `text` with markup removed, truncated to `max_len` bytes.
#[wasm_bindgen]
pub fn strip(text: &str, max_len: Option<u32>) -> String {
    tessera_core::strip(text, &options(max_len))
}

/// What the detector finds in `text`: the core's findings as JSON `[{kind, offset}]`
/// (byte offsets).
#[wasm_bindgen]
pub fn inspect(text: &str) -> Result<String, JsValue> {
    // Findings always serialize; were it ever to fail, the caller hears of it rather
    // than reading "nothing found".
    serde_json::to_string(&tessera_core::inspect(text))
        .map_err(|e| thrown(tessera_core::ErrorReport::new("ERR_INTERNAL", e.to_string())))
}

/// Checks `value` against the rule for `kind` (`role`, `user`, `permission`,
/// `pattern`, `client_key`); throws the violation.
#[wasm_bindgen]
pub fn validate_identifier(kind: &str, value: &str) -> Result<(), JsValue> {
    let kind = IdentifierKind::from_code(kind).ok_or_else(|| {
        thrown(failure::argument(format!(
            "unknown identifier kind `{kind}` (role, user, permission, pattern, client_key, api_key_label, resource_type, action, resource_id, group, rule_id or attribute)"
        )))
    })?;
    tessera_core::validate_identifier(kind, value).map_err(thrown)
}
