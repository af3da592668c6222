//! A script scheme's name without a colon ("Data", " javascript", "VBScript") is a
//! word, which a browser reads as a relative URL: `escape` and `strip` leave it as it
//! is and put `unsafe:` only in front of a value that would be a script URL. Found by
//! the `sanitizer` fuzz target (seeds `fuzz/seeds/sanitizer/regression-bare-scheme-word*`).

use tessera_core::{SanitizeOptions, escape, strip};

#[test]
fn a_scheme_name_without_a_colon_is_plain_text() {
    let options = SanitizeOptions::default();
    for word in ["Data", "data", " javascript", "JavaScript", "VBScript", "livescript", "java\tscript"] {
        assert_eq!(escape(word, &options), word, "escape({word:?})");
        assert_eq!(strip(word, &options), word, "strip({word:?})");
    }
    // With the colon they stay neutralized.
    assert_eq!(escape("Data:", &options), "unsafe:Data:");
    assert_eq!(escape(" javascript:x", &options), "unsafe: javascript:x");
}
