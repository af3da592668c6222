//! The suspicious-input detector. It reads the text as given and as a browser or
//! server might decode it (percent-encoding up to three times, HTML character
//! references, ASCII case), and reports each finding at its byte offset in the input.
//! It is tuned so ordinary prose ("O'Brien", "select committee", "drop-down menu",
//! "1 or 2 items") does not trip it.

use alloc::vec::Vec;

use serde::Serialize;

/// What a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A `script`, `style`, `iframe`, `object`, `embed` (or similar) tag.
    DangerousTag,
    /// An event-handler attribute (`onerror=`, `onload=`, ...).
    EventHandler,
    /// A `javascript:`, `vbscript:` or executable `data:` URL.
    ScriptUrl,
    /// A SQL injection shape: tautology, `UNION SELECT`, stacked query, comment after
    /// a quote, or a database-specific function.
    SqlInjection,
    /// `../` or `..\` in any encoding.
    PathTraversal,
    /// A NUL byte, raw or encoded.
    NulByte,
    /// `/etc/passwd`, `/etc/shadow` and the like.
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

/// Reports what looks like an attack in `text`, in input order; empty for ordinary text.
pub fn inspect(text: &str) -> Vec<Finding> {
    let mut view = View::of(text);
    for _ in 0..3 {
        match view.decode() {
            Some(decoded) => view = decoded,
            None => break,
        }
    }
    let mut found = Vec::new();
    let mut add = |kind, at: usize| found.push(Finding { kind, offset: view_offset(&view, at) });
    scan(&view.bytes, &mut add);
    found.sort_unstable_by_key(|f| (f.offset, f.kind));
    found.dedup();
    found
}

fn view_offset(view: &View, at: usize) -> usize {
    view.map.get(at).copied().unwrap_or(view.original_len)
}

/// Decoded, lowercased bytes and, for each, its offset in the input.
struct View {
    bytes: Vec<u8>,
    map: Vec<usize>,
    original_len: usize,
}

/// Named references that matter for hiding markup or URLs.
const NAMED: [(&[u8], u8); 16] = [
    (b"colon", b':'),
    (b"tab", b'\t'),
    (b"newline", b'\n'),
    (b"lt", b'<'),
    (b"gt", b'>'),
    (b"quot", b'"'),
    (b"apos", b'\''),
    (b"amp", b'&'),
    (b"lpar", b'('),
    (b"rpar", b')'),
    (b"sol", b'/'),
    (b"bsol", b'\\'),
    (b"period", b'.'),
    (b"semi", b';'),
    (b"equals", b'='),
    (b"num", b'#'),
];

impl View {
    fn of(text: &str) -> Self {
        Self {
            bytes: text.bytes().map(|b| b.to_ascii_lowercase()).collect(),
            map: (0..text.len()).collect(),
            original_len: text.len(),
        }
    }

    /// One round of percent and character-reference decoding; `None` if nothing changed.
    fn decode(&self) -> Option<Self> {
        let b = &self.bytes;
        let mut out = Self {
            bytes: Vec::with_capacity(b.len()),
            map: Vec::with_capacity(b.len()),
            original_len: self.original_len,
        };
        let mut changed = false;
        let mut i = 0;
        while let Some(&byte) = b.get(i) {
            let origin = self.map.get(i).copied().unwrap_or(self.original_len);
            let decoded = match byte {
                b'%' => percent(b, i),
                b'&' => reference(b, i),
                _ => None,
            };
            match decoded {
                Some((value, len)) => {
                    out.bytes.push(value.to_ascii_lowercase());
                    out.map.push(origin);
                    i += len;
                    changed = true;
                }
                None => {
                    out.bytes.push(byte);
                    out.map.push(origin);
                    i += 1;
                }
            }
        }
        changed.then_some(out)
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `%2f` → `/`; the overlong UTF-8 forms `%c0%af` and `%e0%80%af` also read as `/`.
fn percent(b: &[u8], i: usize) -> Option<(u8, usize)> {
    if b.get(i..i + 6) == Some(b"%c0%af") {
        return Some((b'/', 6));
    }
    if b.get(i..i + 9) == Some(b"%e0%80%af") {
        return Some((b'/', 9));
    }
    let (hi, lo) = (hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?);
    Some(((hi << 4) | lo, 3))
}

/// `&#106;`, `&#x6a;` (semicolon optional, leading zeros allowed) and a few named
/// references, when they stand for an ASCII character.
fn reference(b: &[u8], i: usize) -> Option<(u8, usize)> {
    let mut j = i + 1;
    if b.get(j) == Some(&b'#') {
        j += 1;
        let radix = if matches!(b.get(j), Some(b'x')) {
            j += 1;
            16
        } else {
            10
        };
        let start = j;
        let mut value: u32 = 0;
        while let Some(d) = b.get(j).and_then(|&c| (c as char).to_digit(radix)) {
            value = value.saturating_mul(radix).saturating_add(d);
            j += 1;
        }
        if j == start || value > 0x7f {
            return None;
        }
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        return Some((value as u8, j - i));
    }
    let (name, value) = NAMED.iter().find(|(name, _)| b.get(j..j + name.len()) == Some(name))?;
    j += name.len();
    if b.get(j) == Some(&b';') {
        j += 1;
    } else if b.get(j).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some((*value, j - i))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace() || b < 0x20
}

/// Whether `word` stands at `i` as a whole word (no word byte around it).
fn word_at(t: &[u8], i: usize, word: &[u8]) -> bool {
    t.get(i..i + word.len()) == Some(word)
        && !t.get(i + word.len()).copied().is_some_and(is_word)
        && !i.checked_sub(1).and_then(|p| t.get(p)).copied().is_some_and(is_word)
}

fn skip_space(t: &[u8], mut i: usize) -> usize {
    while t.get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    i
}

/// Like `skip_space`, but SQL comments `/* ... */` count as space too.
fn skip_sql_space(t: &[u8], mut i: usize) -> usize {
    loop {
        i = skip_space(t, i);
        if t.get(i..i + 2) == Some(b"/*") {
            i = t
                .get(i + 2..)
                .and_then(|r| r.windows(2).position(|w| w == b"*/"))
                .map_or(t.len(), |p| i + 2 + p + 2);
        } else {
            return i;
        }
    }
}

fn contains(t: &[u8], needle: &[u8]) -> Option<usize> {
    t.windows(needle.len()).position(|w| w == needle)
}

fn scan(t: &[u8], add: &mut impl FnMut(FindingKind, usize)) {
    for (i, &b) in t.iter().enumerate() {
        match b {
            0 => add(FindingKind::NulByte, i),
            b'<' if dangerous_tag(t, i) => add(FindingKind::DangerousTag, i),
            b'o' if event_handler(t, i) => add(FindingKind::EventHandler, i),
            b'j' | b'v' | b'l' | b'd' if script_url(t, i) => add(FindingKind::ScriptUrl, i),
            b'.' if traversal(t, i) => add(FindingKind::PathTraversal, i),
            b'\'' | b'"' | b'`' if quote_injection(t, i) => add(FindingKind::SqlInjection, i),
            b'u' if union_select(t, i) => add(FindingKind::SqlInjection, i),
            b';' if stacked_query(t, i) => add(FindingKind::SqlInjection, i),
            b'o' | b'a' if numeric_tautology(t, i) => add(FindingKind::SqlInjection, i),
            b'x' | b'i' | b'p' | b'w' | b'b' | b'l' | b'@' | b'u' | b'd' if sql_function(t, i) => {
                add(FindingKind::SqlInjection, i)
            }
            b'/' | b'\\' | b'c' | b'b' | b'w' if sensitive_path(t, i) => add(FindingKind::SensitivePath, i),
            _ => {}
        }
    }
}

const DANGEROUS_TAGS: &[&[u8]] = &[
    b"script",
    b"style",
    b"iframe",
    b"object",
    b"embed",
    b"applet",
    b"frame",
    b"frameset",
    b"base",
    b"link",
    b"meta",
    b"noscript",
    b"template",
];

fn dangerous_tag(t: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    if t.get(j) == Some(&b'/') {
        j += 1;
    }
    DANGEROUS_TAGS.iter().any(|tag| {
        t.get(j..j + tag.len()) == Some(tag)
            && !t.get(j + tag.len()).copied().is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// DOM event names (without `on`) an attribute can carry.
const EVENTS: &[&[u8]] = &[
    b"abort",
    b"activate",
    b"afterprint",
    b"animationcancel",
    b"animationend",
    b"animationiteration",
    b"animationstart",
    b"auxclick",
    b"beforeactivate",
    b"beforecopy",
    b"beforecut",
    b"beforedeactivate",
    b"beforeinput",
    b"beforepaste",
    b"beforeprint",
    b"beforetoggle",
    b"beforeunload",
    b"begin",
    b"blur",
    b"canplay",
    b"canplaythrough",
    b"change",
    b"click",
    b"close",
    b"contextmenu",
    b"copy",
    b"cuechange",
    b"cut",
    b"dblclick",
    b"deactivate",
    b"drag",
    b"dragend",
    b"dragenter",
    b"dragleave",
    b"dragover",
    b"dragstart",
    b"drop",
    b"durationchange",
    b"end",
    b"ended",
    b"error",
    b"finish",
    b"focus",
    b"focusin",
    b"focusout",
    b"formdata",
    b"fullscreenchange",
    b"hashchange",
    b"input",
    b"invalid",
    b"keydown",
    b"keypress",
    b"keyup",
    b"load",
    b"loadeddata",
    b"loadedmetadata",
    b"loadend",
    b"loadstart",
    b"message",
    b"mousedown",
    b"mouseenter",
    b"mouseleave",
    b"mousemove",
    b"mouseout",
    b"mouseover",
    b"mouseup",
    b"mousewheel",
    b"pagehide",
    b"pageshow",
    b"paste",
    b"pause",
    b"play",
    b"playing",
    b"pointerdown",
    b"pointerenter",
    b"pointerleave",
    b"pointermove",
    b"pointerout",
    b"pointerover",
    b"pointerup",
    b"popstate",
    b"progress",
    b"readystatechange",
    b"repeat",
    b"reset",
    b"resize",
    b"scroll",
    b"scrollend",
    b"search",
    b"select",
    b"show",
    b"start",
    b"submit",
    b"toggle",
    b"transitionend",
    b"unload",
    b"wheel",
];

/// `on<event>` then `=`, where an attribute can stand: right after `/`, a quote or a
/// backtick, or after whitespace inside an open tag or right after a quote.
fn event_handler(t: &[u8], i: usize) -> bool {
    if t.get(i + 1) != Some(&b'n') {
        return false;
    }
    let named = EVENTS.iter().any(|e| {
        let after = i + 2 + e.len();
        t.get(i + 2..after) == Some(*e)
            && !t.get(after).copied().is_some_and(is_word)
            && t.get(skip_space(t, after)) == Some(&b'=')
    });
    if !named {
        return false;
    }
    let Some(before) = i.checked_sub(1).and_then(|p| t.get(p)).copied() else { return false };
    match before {
        b'/' | b'"' | b'\'' | b'`' | b'+' => true,
        b if is_space(b) => {
            let head = t.get(..i).unwrap_or_default();
            let in_tag = head.iter().rposition(|&c| c == b'<') > head.iter().rposition(|&c| c == b'>');
            let mut k = i;
            while k > 0 && t.get(k - 1).copied().is_some_and(is_space) {
                k -= 1;
            }
            // Back over an attribute run (`" autofocus onfocus=`) to a quote that broke out.
            let run = t.get(k.saturating_sub(40)..k).unwrap_or_default();
            let after_quote = run
                .iter()
                .rev()
                .find(|&&c| !(c.is_ascii_alphanumeric() || is_space(c) || matches!(c, b'=' | b'-' | b'_')))
                .is_some_and(|&c| matches!(c, b'"' | b'\'' | b'`'));
            in_tag || after_quote
        }
        _ => false,
    }
}

/// Letters of a script scheme, with whitespace and controls allowed between them
/// (`java\nscript:`), then `:` and something that is not a space.
fn script_url(t: &[u8], i: usize) -> bool {
    if i.checked_sub(1).and_then(|p| t.get(p)).copied().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let spaced = |word: &[u8]| -> Option<usize> {
        let mut j = i;
        for (n, &letter) in word.iter().enumerate() {
            if n > 0 {
                j = skip_space(t, j);
            }
            if t.get(j) != Some(&letter) {
                return None;
            }
            j += 1;
        }
        let j = skip_space(t, j);
        (t.get(j) == Some(&b':')).then_some(j + 1)
    };
    for scheme in [&b"javascript"[..], b"vbscript", b"livescript"] {
        if let Some(after) = spaced(scheme) {
            return t.get(after).is_some_and(|&c| !is_space(c));
        }
    }
    if let Some(after) = spaced(b"data") {
        let rest: Vec<u8> =
            t.get(after..).unwrap_or_default().iter().copied().filter(|&c| !is_space(c)).take(24).collect();
        return is_executable_data_type(core::str::from_utf8(&rest).unwrap_or_default());
    }
    false
}

/// Media types a browser would run or render as a document from a `data:` URL.
pub(super) fn is_executable_data_type(rest: &str) -> bool {
    [
        "text/html",
        "text/javascript",
        "text/ecmascript",
        "text/vbscript",
        "text/xml",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/xhtml",
        "application/xml",
        "image/svg",
    ]
    .iter()
    .any(|t| rest.starts_with(t))
}

/// `../` or `..\` (the decoded view already turned `%2e%2e%2f` and friends into these).
fn traversal(t: &[u8], i: usize) -> bool {
    t.get(i..i + 3).is_some_and(|w| w == b"../" || w == b"..\\")
}

const SENSITIVE: &[&[u8]] = &[
    b"/etc/passwd",
    b"/etc/shadow",
    b"/etc/group",
    b"/proc/self/",
    b"\\etc\\passwd",
    b"c:\\windows\\win.ini",
    b"boot.ini",
];

fn sensitive_path(t: &[u8], i: usize) -> bool {
    SENSITIVE.iter().any(|p| t.get(i..i + p.len()) == Some(p))
}

/// After a quote (optionally closed by `)`): `or`/`and`/`||` with a comparison or
/// an always-true operand, or a SQL comment (`--`, `#`, `/*`), or `;` and a statement.
fn quote_injection(t: &[u8], i: usize) -> bool {
    // A comment right after the quote: `admin'--`, `'#`, `' /*`.
    let mut j = skip_space(t, i + 1);
    while t.get(j) == Some(&b')') {
        j = skip_space(t, j + 1);
    }
    if t.get(j..j + 2) == Some(b"--") || t.get(j) == Some(&b'#') || t.get(j..j + 2) == Some(b"/*") {
        return true;
    }
    let j = skip_sql_space(t, j);
    if t.get(j) == Some(&b';') {
        let k = skip_sql_space(t, j + 1);
        return t.get(k..k + 2) == Some(b"--") || t.get(k) == Some(&b'#') || stacked_query(t, j);
    }
    // `'='`: an empty string compared with an empty string.
    if t.get(j) == Some(&b'=') && matches!(t.get(skip_space(t, j + 1)), Some(b'\'' | b'"')) {
        return true;
    }
    if word_at(t, j, b"order") || word_at(t, j, b"group") {
        return word_at(t, skip_sql_space(t, j + 5), b"by");
    }
    let after_op = if word_at(t, j, b"or") {
        j + 2
    } else if word_at(t, j, b"and") {
        j + 3
    } else if t.get(j..j + 2) == Some(b"||") || t.get(j..j + 2) == Some(b"&&") {
        j + 2
    } else if j == i + 1 && t.get(j..j + 2) == Some(b"or") {
        // `'or'1'='1`: no space at all.
        j + 2
    } else {
        return false;
    };
    let window = t.get(after_op..(after_op + 64).min(t.len())).unwrap_or_default();
    window.iter().take(24).any(|&c| matches!(c, b'=' | b'<' | b'>'))
        || [&b"like"[..], b"true", b"--", b"#", b"sleep", b"select", b"exists"]
            .iter()
            .any(|w| contains(window, w).is_some())
}

/// `1 or 1=1`, `x' and 2>1`: `or`/`and` between numbers or quoted values compared.
fn numeric_tautology(t: &[u8], i: usize) -> bool {
    let keyword = if word_at(t, i, b"or") {
        2
    } else if word_at(t, i, b"and") {
        3
    } else {
        return false;
    };
    // `and (select 1 from dual)=1`: a subquery where a value belongs.
    let mut open = skip_sql_space(t, i + keyword);
    while t.get(open) == Some(&b'(') {
        open = skip_sql_space(t, open + 1);
    }
    if open > skip_sql_space(t, i + keyword) && word_at(t, open, b"select") {
        return true;
    }
    let operand = |mut k: usize| -> Option<usize> {
        k = skip_sql_space(t, k);
        while t.get(k) == Some(&b'(') {
            k = skip_sql_space(t, k + 1);
        }
        match t.get(k)? {
            b'\'' | b'"' => {
                let q = *t.get(k)?;
                let len = t.get(k + 1..)?.iter().position(|&c| c == q)?;
                Some(k + len + 2)
            }
            c if c.is_ascii_digit() => {
                let len = t.get(k..)?.iter().position(|c| !c.is_ascii_digit()).unwrap_or(t.len() - k);
                Some(k + len)
            }
            _ => None,
        }
    };
    let Some(left_end) = operand(i + keyword) else { return false };
    let k = skip_sql_space(t, left_end);
    let comparison = match t.get(k) {
        Some(b'=' | b'<' | b'>') => k + 1 + usize::from(matches!(t.get(k + 1), Some(b'=' | b'>'))),
        Some(b'!') if t.get(k + 1) == Some(&b'=') => k + 2,
        _ if word_at(t, k, b"like") => k + 4,
        _ => return false,
    };
    operand(comparison).is_some()
}

/// `UNION [ALL|DISTINCT] SELECT` followed by something a query selects.
fn union_select(t: &[u8], i: usize) -> bool {
    if !word_at(t, i, b"union") {
        return false;
    }
    let mut j = skip_sql_space(t, i + 5);
    for modifier in [&b"all"[..], b"distinct"] {
        if word_at(t, j, modifier) {
            j = skip_sql_space(t, j + modifier.len());
        }
    }
    if t.get(j) == Some(&b'(') {
        j = skip_sql_space(t, j + 1);
    }
    if !word_at(t, j, b"select") {
        return false;
    }
    let window = t.get(j + 6..(j + 50).min(t.len())).unwrap_or_default();
    let k = skip_sql_space(t, j + 6);
    t.get(k)
        .is_some_and(|&c| c.is_ascii_digit() || matches!(c, b'*' | b'(' | b'@' | b'\'' | b'"' | b'-' | b'#'))
        || [
            &b"from"[..],
            b",",
            b"null",
            b"concat",
            b"version",
            b"user",
            b"database",
            b"table_name",
            b"password",
            b"--",
        ]
        .iter()
        .any(|w| contains(window, w).is_some())
}

/// `;` then a statement an attacker would stack: `DROP TABLE`, `DELETE FROM`, ...
fn stacked_query(t: &[u8], i: usize) -> bool {
    let j = skip_sql_space(t, i + 1);
    let then = |word: &[u8], next: &[&[u8]]| -> bool {
        word_at(t, j, word) && {
            let k = skip_sql_space(t, j + word.len());
            next.is_empty()
                || next.iter().any(|n| word_at(t, k, n) || (n.len() == 1 && t.get(k) == n.first()))
        }
    };
    then(b"drop", &[b"table", b"database", b"schema", b"view", b"index", b"user", b"procedure", b"function"])
        || then(b"delete", &[b"from"])
        || then(b"insert", &[b"into"])
        || then(b"truncate", &[b"table"])
        || then(b"alter", &[b"table", b"user", b"database"])
        || then(b"create", &[b"table", b"user", b"database", b"procedure", b"function"])
        || then(b"exec", &[]) && !t.get(j + 4).copied().is_some_and(is_word)
        || then(b"execute", &[])
        || then(b"shutdown", &[])
        || then(b"declare", &[b"@"])
        || then(b"waitfor", &[b"delay", b"time"])
        || then(b"update", &[])
            && contains(t.get(j..(j + 60).min(t.len())).unwrap_or_default(), b" set ").is_some()
        || then(b"select", &[]) && {
            let window = t.get(j..(j + 60).min(t.len())).unwrap_or_default();
            [&b" from "[..], b"sleep(", b"@@", b"pg_sleep", b"version("]
                .iter()
                .any(|w| contains(window, w).is_some())
        }
}

/// Functions and objects that appear in injections, not in prose.
fn sql_function(t: &[u8], i: usize) -> bool {
    let at = |w: &[u8]| t.get(i..i + w.len()) == Some(w);
    (at(b"xp_cmdshell")
        || at(b"information_schema")
        || at(b"pg_sleep(")
        || at(b"load_file(")
        || at(b"@@version"))
        || at(b"utl_http")
        || at(b"dbms_pipe")
        || word_at(t, i, b"waitfor") && word_at(t, skip_space(t, i + 7), b"delay")
        || word_at(t, i, b"benchmark") && t.get(skip_space(t, i + 9)) == Some(&b'(')
        || word_at(t, i, b"into") && {
            let k = skip_space(t, i + 4);
            word_at(t, k, b"outfile") || word_at(t, k, b"dumpfile")
        }
}
