//! Arbitrary text (lossy UTF-8; the first byte picks `max_len`: 0 none, else 4 × it
//! minus 4) into `escape`, `strip` and `inspect`. Never panics, and, checked against
//! the module docs rather than the code:
//! - no output holds a raw `< > " ' \``, and every `&` starts one of the six entities;
//! - `escape` is exactly the input without control characters (tab, LF, CR stay), cut
//!   at `max_len` bytes on a character boundary, escaped, with `unsafe:` in front when
//!   that text would be a script URL; `strip` of text without `<` is `escape`;
//! - no output reads as a script URL, none exceeds `max_len` (before escaping) or
//!   `7 + 6 × input length`;
//! - `inspect` findings are in input order, without repeats, at character boundaries
//!   inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::{SanitizeOptions, escape, inspect, strip};

const ENTITIES: [(&str, char); 6] =
    [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#x27;", '\''), ("&#x60;", '`')];

/// Reverses the escaping; panics on a raw special character or a stray `&`.
fn unescape(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped;
    while let Some(ch) = rest.chars().next() {
        assert!(!matches!(ch, '<' | '>' | '"' | '\'' | '`'), "raw {ch:?} in {escaped:?}");
        if ch == '&' {
            let (entity, plain) = ENTITIES
                .iter()
                .find(|(entity, _)| rest.starts_with(entity))
                .unwrap_or_else(|| panic!("a stray `&` in {escaped:?}"));
            out.push(*plain);
            rest = &rest[entity.len()..];
        } else {
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
        }
    }
    out
}

/// The documented cleaning: control characters go (tab, LF, CR stay), then at most
/// `max_len` bytes, cut at a character boundary.
fn clean(text: &str, max_len: Option<usize>) -> String {
    let mut out = String::new();
    for ch in text.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r')) {
        if max_len.is_some_and(|max| out.len() + ch.len_utf8() > max) {
            break;
        }
        out.push(ch);
    }
    out
}

/// Would a browser read a script scheme at the start of this attribute value?
/// (Leading spaces and controls skipped, tab and newlines ignored, any case.)
fn is_script_url(text: &str) -> bool {
    let folded: String = text
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    ["javascript:", "vbscript:", "livescript:", "data:"].iter().any(|s| folded.starts_with(s))
}

fn check_output(name: &str, text: &str, out: &str, max_len: Option<usize>) -> String {
    assert!(out.len() <= 7 + 6 * text.len(), "{name}: {} bytes from {}", out.len(), text.len());
    let plain = unescape(out);
    assert!(!is_script_url(&plain), "{name} left a script URL: {out:?}");
    let body = plain.strip_prefix("unsafe:").unwrap_or(&plain);
    if let Some(max) = max_len {
        assert!(body.len() <= max, "{name}: more than max_len {max} bytes kept: {out:?}");
    }
    plain
}

fuzz_target!(|data: &[u8]| {
    let Some((&limit, rest)) = data.split_first() else { return };
    let max_len = (limit != 0).then(|| usize::from(limit) * 4 - 4);
    let text = String::from_utf8_lossy(rest);
    let options = SanitizeOptions { max_len };

    let escaped = escape(&text, &options);
    let plain = check_output("escape", &text, &escaped, max_len);
    let kept = clean(&text, max_len);
    let expected = if is_script_url(&kept) { format!("unsafe:{kept}") } else { kept };
    assert_eq!(plain, expected, "escape of {text:?}");

    let stripped = strip(&text, &options);
    check_output("strip", &text, &stripped, max_len);
    if !text.contains('<') {
        assert_eq!(stripped, escaped, "strip of text without markup");
    }

    let findings = inspect(&text);
    for pair in findings.windows(2) {
        assert!((pair[0].offset, pair[0].kind) < (pair[1].offset, pair[1].kind), "{findings:?}");
    }
    for finding in &findings {
        assert!(finding.offset <= text.len(), "{finding:?} past the end of {text:?}");
        assert!(text.is_char_boundary(finding.offset), "{finding:?} inside a character of {text:?}");
    }
});
