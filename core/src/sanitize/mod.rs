//! Free-text sanitizing and a detector for suspicious input.
//!
//! - [`escape`]: HTML-escape so the text is inert in element content and in quoted
//!   attribute values (`& < > " ' \``), with control characters removed.
//! - [`strip`]: remove markup (tags, comments, declarations, and the contents of
//!   script, style and other raw-text elements), then escape what is left. Entities
//!   are never decoded, so nothing can decode into new markup.
//! - Both neutralize a value that would be a script URL (`javascript:`, `vbscript:`,
//!   `data:` with an executable type) by prefixing `unsafe:`, as browsers read a URL
//!   scheme only at the start of an attribute value.
//! - [`inspect`]: findings (kind + byte offset) for markup, script URLs and CSS that
//!   runs script, SQL injection shapes, path traversal, NUL bytes and sensitive paths,
//!   as given and through layers of encoding (percent, `%uXXXX`, character references,
//!   JavaScript and CSS escapes, overlong UTF-8, fullwidth forms). For logging
//!   security events; it decides nothing.

mod detect;
mod markup;

use alloc::string::String;

pub use detect::{Finding, FindingKind, MAX_FINDINGS, inspect};

/// Options for [`escape`] and [`strip`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SanitizeOptions {
    /// Keep at most this many bytes of the input text (cut at a character boundary,
    /// before escaping, so no entity is cut in half).
    pub max_len: Option<usize>,
}

/// HTML-escapes `text` (see the module docs).
pub fn escape(text: &str, options: &SanitizeOptions) -> String {
    markup::escape_clean(&clean(text, options))
}

/// Removes markup from `text`, then escapes it (see the module docs).
pub fn strip(text: &str, options: &SanitizeOptions) -> String {
    markup::escape_clean(&clean(&markup::remove_markup(text), options))
}

/// Drops NUL and other control characters (tab, line feed and carriage return stay,
/// as ordinary text uses them) and applies the length limit.
fn clean(text: &str, options: &SanitizeOptions) -> String {
    let fits = options.max_len.is_none_or(|max| text.len() <= max);
    if fits && !text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len().min(options.max_len.unwrap_or(usize::MAX)));
    for ch in text.chars() {
        if ch.is_control() && !matches!(ch, '\t' | '\n' | '\r') {
            continue;
        }
        if options.max_len.is_some_and(|max| out.len() + ch.len_utf8() > max) {
            break;
        }
        out.push(ch);
    }
    out
}
