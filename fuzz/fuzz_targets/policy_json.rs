//! Arbitrary text as a JSON policy document, then validation. Never panics; an
//! accepted policy survives every round trip (`check_policy`: JSON, YAML, the
//! canonical document, a snapshot).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::PolicyDocument;
use tessera_fuzz::check_policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(document) = PolicyDocument::from_json(text) else { return };
    if let Ok(policy) = document.clone().into_policy() {
        check_policy(&document, &policy);
    }
});
