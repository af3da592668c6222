//! Arbitrary text as a YAML policy document, read as the CLI reads it
//! (`PolicyDocument::read` over serde_yaml_ng), then validation. Never panics; an
//! accepted policy survives every round trip (`check_policy`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::PolicyDocument;
use tessera_fuzz::check_policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(document) = PolicyDocument::read(serde_yaml_ng::Deserializer::from_str(text)) else { return };
    if let Ok(policy) = document.clone().into_policy() {
        check_policy(&document, &policy);
    }
});
