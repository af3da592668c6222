//! The suspicious-input detector. It reads the text as given and as a browser, a
//! script engine or a server might decode it (percent-encoding, `%uXXXX`, HTML
//! character references, JavaScript and CSS escapes, overlong UTF-8 and fullwidth
//! forms, in up to four rounds, ASCII case folded), and reports each finding at its
//! byte offset in the input. SQL rules read a further view where `+` is a space and
//! comments are whitespace. Rules look for shapes (a tautology after a quote, a
//! traversal chain, a script scheme) rather than for known payloads, and are tuned so
//! ordinary prose ("O'Brien", "select committee", "drop me a line", "1 or 2 items",
//! "5 > 3 and 2 < 4") does not trip them. Work is linear in the input: every look
//! ahead or back is bounded or consumes what it reads.

mod html;
mod path;
mod sql;
mod view;

use alloc::vec::Vec;

use serde::Serialize;

use view::View;

/// What a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A `script`, `style`, `iframe`, `object`, `embed` (or similar) tag.
    DangerousTag,
    /// An event-handler attribute (`onerror=`, `onload=`, ...).
    EventHandler,
    /// Script where a value belongs: a `javascript:`, `vbscript:` or executable
    /// `data:` URL, CSS that runs script (`expression(`, `behavior:`,
    /// `-moz-binding:`), or a quote or template that breaks into a call (`';alert(1)//`,
    /// `{{constructor.constructor(..)}}`).
    ScriptUrl,
    /// A SQL injection shape: tautology, `UNION SELECT`, stacked query, comment after
    /// a quote, or a database-specific function.
    SqlInjection,
    /// `../` or `..\` in any encoding, when it climbs (a chain, the start of a value,
    /// an encoded form, or towards a sensitive file).
    PathTraversal,
    /// A NUL byte, raw or encoded.
    NulByte,
    /// A file an attacker reads or includes: `/etc/passwd`, `/proc/self/`, secrets
    /// under a home directory (`~/.ssh/`, shell histories, `.aws/credentials`),
    /// `win.ini`, or a PHP stream wrapper (`php://filter`).
    SensitivePath,
}

impl FindingKind {
    /// A stable name: `dangerous_tag`, `event_handler`, `script_url`, `sql_injection`,
    /// `path_traversal`, `nul_byte`, `sensitive_path`.
    pub fn code(self) -> &'static str {
        match self {
            Self::DangerousTag => "dangerous_tag",
            Self::EventHandler => "event_handler",
            Self::ScriptUrl => "script_url",
            Self::SqlInjection => "sql_injection",
            Self::PathTraversal => "path_traversal",
            Self::NulByte => "nul_byte",
            Self::SensitivePath => "sensitive_path",
        }
    }
}

/// One finding: what, and where it starts in the input (byte offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// Byte offset in the input where it starts.
    pub offset: usize,
}

/// Decoding rounds after the text as given: enough for a triple percent-encoding
/// followed by a character reference.
const ROUNDS: usize = 4;

/// Most findings [`inspect`] reports: those at the lowest offsets. A hostile text can
/// hold an attack shape at nearly every byte (a megabyte of NUL bytes, `../` over and
/// over); the answer, and the memory it takes, stay bounded whatever the input.
pub const MAX_FINDINGS: usize = 100;

/// Reports what looks like an attack in `text`, in input order, at most
/// [`MAX_FINDINGS`] (the first ones); empty for ordinary text.
pub fn inspect(text: &str) -> Vec<Finding> {
    let mut found = Findings(Vec::new());
    let mut view = View::of(text);
    for round in 0..=ROUNDS {
        scan(&view, &mut found);
        if round == ROUNDS {
            break;
        }
        match view.decode() {
            Some(decoded) => view = decoded,
            None => break,
        }
    }
    found.keep_first();
    found.0
}

/// Findings as they are collected: kept to the first [`MAX_FINDINGS`] whenever twice
/// as many have gathered. A later round can find something at an earlier offset, so
/// what is dropped is decided by offset, never by the order of finding.
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, finding: Finding) {
        self.0.push(finding);
        if self.0.len() >= 2 * MAX_FINDINGS {
            self.keep_first();
        }
    }

    fn keep_first(&mut self) {
        self.0.sort_unstable_by_key(|f| (f.offset, f.kind));
        self.0.dedup();
        self.0.truncate(MAX_FINDINGS);
    }
}

/// Runs every rule over one view (and its SQL reading).
fn scan(view: &View, found: &mut Findings) {
    let mut add = |kind, at: usize| found.add(Finding { kind, offset: view.offset(at) });
    html::scan(&view.bytes, &mut add);
    path::scan(view, &mut add);
    let sql = view.sql();
    sql::scan(&sql.bytes, &mut |kind, at| found.add(Finding { kind, offset: sql.offset(at) }));
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whitespace, and controls (which decoders and browsers often skip); in the SQL view
/// comments have become a control too.
fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace() || b < 0x20
}

fn at(t: &[u8], i: usize, s: &[u8]) -> bool {
    // The first byte decides most calls without a slice comparison.
    s.first().is_none_or(|c| t.get(i) == Some(c)) && t.get(i..i + s.len()) == Some(s)
}

fn before(t: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|p| t.get(p)).copied()
}

/// Whether `word` stands at `i` as a whole word (no word byte around it).
fn word_at(t: &[u8], i: usize, word: &[u8]) -> bool {
    at(t, i, word)
        && !t.get(i + word.len()).copied().is_some_and(is_word)
        && !before(t, i).is_some_and(is_word)
}

/// The words of a space-separated list. Lists are kept as one string: in wasm a table
/// of slices costs more than its words.
fn words(list: &'static str) -> impl Iterator<Item = &'static [u8]> {
    list.as_bytes().split(|&c| c == b' ')
}

/// The first letters of a list's words, as a bit set over `a..=z`: a byte outside it
/// starts none of them, so the list need not be read.
const fn initials(list: &str) -> u32 {
    let bytes = list.as_bytes();
    let mut set = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        if (i == 0 || bytes[i - 1] == b' ') && bytes[i].is_ascii_lowercase() {
            set |= 1 << (bytes[i] - b'a');
        }
        i += 1;
    }
    set
}

/// Whether `b` may start a word of the list whose [`initials`] are `set`.
fn may_start(set: u32, b: Option<&u8>) -> bool {
    b.is_some_and(|&b| b.is_ascii_lowercase() && set & (1 << (b - b'a')) != 0)
}

/// The first word of `list` standing at `i` as a whole word, as its length.
fn any_word(t: &[u8], i: usize, list: &'static str) -> Option<usize> {
    words(list).find(|w| word_at(t, i, w)).map(<[u8]>::len)
}

fn skip_space(t: &[u8], mut i: usize) -> usize {
    while t.get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    i
}

/// The end of the run of word bytes starting at `i`.
fn word_end(t: &[u8], mut i: usize) -> usize {
    while t.get(i).copied().is_some_and(is_word) {
        i += 1;
    }
    i
}

/// Whether `needle` occurs in the `len` bytes from `i`.
fn within(t: &[u8], i: usize, len: usize, needle: &[u8]) -> bool {
    let window = t.get(i.min(t.len())..(i + len).min(t.len())).unwrap_or_default();
    window.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests;
