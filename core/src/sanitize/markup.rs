//! Escaping, and a small tokenizer that removes markup the way an HTML5 parser would
//! recognize it (tag opens, end tags, comments, declarations, raw-text elements).

use alloc::string::String;

/// Elements whose contents are never text worth keeping.
const DROPPED_CONTENT: [&str; 9] =
    ["script", "style", "template", "iframe", "noscript", "noembed", "noframes", "xmp", "object"];

/// Escapes already-cleaned text; prefixes `unsafe:` to a value a browser would read
/// as a script URL.
pub(super) fn escape_clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8 + 8);
    if is_script_url(text) {
        out.push_str("unsafe:");
    }
    // Copy runs of ordinary text whole; every special character is ASCII, so a byte
    // search never splits a character.
    let mut run_start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'`' => "&#x60;",
            _ => continue,
        };
        out.push_str(text.get(run_start..i).unwrap_or_default());
        out.push_str(entity);
        run_start = i + 1;
    }
    out.push_str(text.get(run_start..).unwrap_or_default());
    out
}

/// Whether a URL parser would see a script scheme (or any `data:`) at the start of `text`: leading
/// spaces and controls are skipped and tabs and newlines inside are ignored, as the
/// URL standard does, and case does not matter.
pub(super) fn is_script_url(text: &str) -> bool {
    let letters = text
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| c.to_ascii_lowercase());
    let mut scheme = String::new();
    let mut colon = false;
    for ch in letters {
        if ch == ':' {
            colon = true;
            break;
        }
        if scheme.len() > 12 || !(ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '.')) {
            return false;
        }
        scheme.push(ch);
    }
    // Without a colon there is no scheme: "Data" or "JavaScript" alone is a word (a
    // relative URL to a browser), not a script URL.
    if !colon {
        return false;
    }
    match scheme.as_str() {
        // Any `data:` value, not only executable types: failing closed costs text that
        // starts with "data:" an `unsafe:` prefix, which is cheap.
        "javascript" | "vbscript" | "livescript" | "data" => true,
        _ => false,
    }
}

/// Removes tags, comments, declarations and processing instructions, and the contents
/// of script-like elements; keeps everything else byte for byte (entities included).
pub(super) fn remove_markup(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut kept_from = 0;
    while let Some(offset) = bytes.get(i..).and_then(|rest| rest.iter().position(|&b| b == b'<')) {
        let start = i + offset;
        let next = bytes.get(start + 1).copied();
        let end = match next {
            Some(b'!') if bytes.get(start..start + 4) == Some(b"<!--") => {
                find(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3)
            }
            Some(b'!' | b'?') => skip_to_gt(bytes, start + 2),
            Some(b'/') if bytes.get(start + 2).is_some_and(u8::is_ascii_alphabetic) => {
                skip_tag(bytes, start + 2)
            }
            Some(b'/') => skip_to_gt(bytes, start + 2),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = bytes[start + 1..]
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .map_or(bytes.len(), |p| start + 1 + p);
                let name = text.get(start + 1..name_end).unwrap_or_default();
                let tag_end = skip_tag(bytes, name_end);
                if DROPPED_CONTENT.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                    skip_element_content(bytes, tag_end, name)
                } else if name.eq_ignore_ascii_case("plaintext") {
                    bytes.len()
                } else {
                    tag_end
                }
            }
            // A `<` that opens nothing is text (escaped later).
            _ => {
                i = start + 1;
                continue;
            }
        };
        out.push_str(text.get(kept_from..start).unwrap_or_default());
        kept_from = end.min(bytes.len());
        i = kept_from;
    }
    out.push_str(text.get(kept_from..).unwrap_or_default());
    out
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

fn skip_to_gt(bytes: &[u8], from: usize) -> usize {
    find(bytes, from, b">").map_or(bytes.len(), |p| p + 1)
}

/// Skips a tag's attributes up to its `>`, honouring quoted values.
fn skip_tag(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Skips everything up to and including the element's end tag (`</name ...>`).
fn skip_element_content(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(p) = find(bytes, i, b"</") {
        let candidate = bytes.get(p + 2..p + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return skip_to_gt(bytes, p + 2 + name.len());
        }
        i = p + 2;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_goes_text_stays() {
        assert_eq!(remove_markup("<b>bold</b> and <i class=\"x>y\">it</i>"), "bold and it");
        assert_eq!(remove_markup("a<script>alert(1)</script >b"), "ab");
        assert_eq!(remove_markup("a<!-- c --> b <!doctype html>c<?xml x?>d"), "a b cd");
        assert_eq!(remove_markup("1 < 2 and 3 <4"), "1 < 2 and 3 <4");
        assert_eq!(remove_markup("x<img src=x onerror=alert(1)"), "x");
        assert_eq!(remove_markup("<STYLE>p{}</style>text"), "text");
        assert_eq!(remove_markup("&lt;b&gt;"), "&lt;b&gt;");
    }

    #[test]
    fn script_urls_are_seen_through_case_and_whitespace() {
        for url in [
            "javascript:alert(1)",
            " JaVaScRiPt:x",
            "\u{1}\tjava\nscript:x",
            "vbscript:msgbox",
            "data:text/html,<b>",
        ] {
            assert!(is_script_url(url), "{url:?}");
        }
        assert!(is_script_url("data: 42 rows"), "every data: value is neutralized");
        for text in ["java script:x", "my javascript: notes", "https://example.com", "mailto:a@b"] {
            assert!(!is_script_url(text), "{text:?}");
        }
    }
}
