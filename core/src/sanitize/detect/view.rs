//! Readings of the input. Each is a byte string (ASCII case folded) with, for every
//! byte, the offset in the input it came from, so a finding in any reading points
//! back into the text.

use alloc::vec::Vec;

use super::{at, words};

/// The byte the SQL reading puts where a comment was: a control, so rules that skip
/// whitespace skip it too, and rules that want "a comment here" can see it.
pub(super) const COMMENT: u8 = 0x01;

/// Stands for a decoded character that has no ASCII reading.
const OTHER: u8 = 0x80;

/// One reading of the input.
pub(super) struct View {
    pub(super) bytes: Vec<u8>,
    map: Vec<usize>,
    original_len: usize,
}

impl View {
    /// The text as given, ASCII lowercased, with overlong and fullwidth forms folded.
    pub(super) fn of(text: &str) -> Self {
        let raw = Self {
            bytes: text.bytes().map(|b| b.to_ascii_lowercase()).collect(),
            map: (0..text.len()).collect(),
            original_len: text.len(),
        };
        raw.fold().unwrap_or(raw)
    }

    /// The input offset of byte `at` of this reading.
    pub(super) fn offset(&self, at: usize) -> usize {
        self.map.get(at).copied().unwrap_or(self.original_len)
    }

    /// How many input bytes the reading's bytes `from..to` came from.
    pub(super) fn span(&self, from: usize, to: usize) -> usize {
        self.offset(to).saturating_sub(self.offset(from))
    }

    fn empty(&self, capacity: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(capacity),
            map: Vec::with_capacity(capacity),
            original_len: self.original_len,
        }
    }

    fn push(&mut self, byte: u8, origin: usize) {
        self.bytes.push(byte.to_ascii_lowercase());
        self.map.push(origin);
    }

    /// One round of decoding (percent, `%uXXXX`, character references, JavaScript and
    /// CSS escapes, UTF-7 brackets), then folding; `None` if nothing changed.
    pub(super) fn decode(&self) -> Option<Self> {
        let b = &self.bytes;
        let mut out = self.empty(b.len());
        let mut changed = false;
        let mut i = 0;
        while let Some(&byte) = b.get(i) {
            let decoded = match byte {
                b'%' => percent(b, i),
                b'&' => reference(b, i),
                b'\\' => escape(b, i),
                b'+' => utf7(b, i),
                _ => None,
            };
            let (value, len) = decoded.unwrap_or((byte, 1));
            changed |= decoded.is_some();
            out.push(value, self.offset(i));
            i += len;
        }
        match out.fold() {
            Some(folded) => Some(folded),
            None => changed.then_some(out),
        }
    }

    /// Multi-byte UTF-8 sequences with an ASCII reading (overlong forms such as
    /// `c0 ae`, fullwidth forms, division slash) become that ASCII byte; `None` if
    /// there were none.
    fn fold(&self) -> Option<Self> {
        let b = &self.bytes;
        if b.is_ascii() {
            return None;
        }
        let mut out = self.empty(b.len());
        let mut changed = false;
        let mut i = 0;
        while let Some(&byte) = b.get(i) {
            let folded = utf8_sequence(b, i).and_then(|(cp, len)| Some((ascii_of(cp)?, len)));
            let (value, len) = folded.unwrap_or((byte, 1));
            changed |= folded.is_some();
            out.push(value, self.offset(i));
            i += len;
        }
        changed.then_some(out)
    }

    /// The SQL reading: `+` is a space (form encoding), a comment is one [`COMMENT`]
    /// byte (`/* */`, and `#` or `--` up to a line break), a MySQL versioned comment
    /// `/*!50000 … */` keeps its content as code, and a comment inside a keyword
    /// (`UN/**/ION`) is dropped.
    pub(super) fn sql(&self) -> Self {
        let t = &self.bytes;
        let mut out = self.empty(t.len());
        let mut versioned = 0usize;
        // Once no line break is left, `#` and `--` comments run to the end and stay as
        // they are (rules read them as "comment to the end").
        let mut line_breaks_left = true;
        let mut i = 0;
        while let Some(&byte) = t.get(i) {
            let origin = self.offset(i);
            if !matches!(byte, b'/' | b'*' | b'#' | b'-' | b'+') {
                out.push(byte, origin);
                i += 1;
            } else if at(t, i, b"/*!") {
                out.push(COMMENT, origin);
                i += 3;
                let digits = t.get(i..).unwrap_or_default().iter().take(6).take_while(|c| c.is_ascii_digit());
                i += digits.count();
                versioned += 1;
            } else if versioned > 0 && at(t, i, b"*/") {
                out.push(COMMENT, origin);
                versioned -= 1;
                i += 2;
            } else if at(t, i, b"/*") {
                let close = t.get(i + 2..).and_then(|r| r.windows(2).position(|w| w == b"*/"));
                let Some(close) = close.map(|p| i + 2 + p) else {
                    out.push(COMMENT, origin);
                    break;
                };
                if !joins_keyword(&out.bytes, t.get(close + 2..).unwrap_or_default()) {
                    out.push(COMMENT, origin);
                }
                i = close + 2;
            } else if line_breaks_left && (byte == b'#' || at(t, i, b"--")) {
                match t.get(i..).and_then(|r| r.iter().position(|&c| c == b'\n')) {
                    Some(p) => {
                        out.push(COMMENT, origin);
                        i += p + 1;
                    }
                    None => line_breaks_left = false,
                }
            } else {
                out.push(if byte == b'+' { b' ' } else { byte }, origin);
                i += 1;
            }
        }
        out
    }
}

/// Keywords a comment can split (`UN/**/ION`, `SEL/**/ECT`): the letters before and
/// after it, together, make one of these.
const SPLIT_KEYWORDS: &str = "union select insert update delete drop from where table sleep benchmark \
    waitfor delay concat having order group exec execute and or xor into null char version database";

fn joins_keyword(left: &[u8], right: &[u8]) -> bool {
    let head = left.iter().rev().take_while(|c| c.is_ascii_alphabetic()).count();
    let tail = right.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let (Some(head_letters), Some(tail_letters)) = (left.get(left.len() - head..), right.get(..tail)) else {
        return false;
    };
    head > 0
        && tail > 0
        && words(SPLIT_KEYWORDS)
            .any(|w| w.len() == head + tail && w.starts_with(head_letters) && w.ends_with(tail_letters))
}

/// The ASCII byte a code point reads as: itself below 0x80, and look-alikes that
/// decoders normalize to ASCII (fullwidth forms, division and set-minus slashes, the
/// high-bit `¼`/`¾` that 7-bit channels turn into `<`/`>`).
fn ascii_of(cp: u32) -> Option<u8> {
    let byte = match cp {
        0..=0x7f => cp,
        0xff01..=0xff5e => cp - 0xfee0,
        0x2215 | 0x2044 => u32::from(b'/'),
        0x2216 | 0xfe68 => u32::from(b'\\'),
        0x2024 | 0xfe52 => u32::from(b'.'),
        0xbc => u32::from(b'<'),
        0xbe => u32::from(b'>'),
        _ => return None,
    };
    u8::try_from(byte).ok()
}

fn hex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// Up to `max` hex digits from `i`: the value and how many were read.
fn hex_run(b: &[u8], i: usize, max: usize) -> (u32, usize) {
    let mut value = 0u32;
    let mut n = 0;
    while n < max {
        match b.get(i + n).and_then(|&c| hex(c)) {
            Some(d) => value = (value << 4) | d,
            None => break,
        }
        n += 1;
    }
    (value, n)
}

/// `%2f` → `/` (any byte: overlong sequences fold later); `%u002f` and `%uff0f` → `/`.
fn percent(b: &[u8], i: usize) -> Option<(u8, usize)> {
    if b.get(i + 1) == Some(&b'u') {
        let (cp, n) = hex_run(b, i + 2, 4);
        if n == 4 {
            return Some((ascii_of(cp).unwrap_or(OTHER), 6));
        }
    }
    let (hi, lo) = (hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?);
    Some((u8::try_from((hi << 4) | lo).ok()?, 3))
}

/// Named references that matter for hiding markup, URLs and queries (longer names
/// before their prefixes).
const NAMED: &[(&[u8], u8)] = &[
    (b"colon", b':'),
    (b"tab", b'\t'),
    (b"newline", b'\n'),
    (b"nbsp", b' '),
    (b"lt", b'<'),
    (b"gt", b'>'),
    (b"quot", b'"'),
    (b"apos", b'\''),
    (b"grave", b'`'),
    (b"amp", b'&'),
    (b"lpar", b'('),
    (b"rpar", b')'),
    (b"lsqb", b'['),
    (b"rsqb", b']'),
    (b"lcub", b'{'),
    (b"rcub", b'}'),
    (b"sol", b'/'),
    (b"bsol", b'\\'),
    (b"period", b'.'),
    (b"commat", b'@'),
    (b"comma", b','),
    (b"semi", b';'),
    (b"equals", b'='),
    (b"plus", b'+'),
    (b"excl", b'!'),
    (b"quest", b'?'),
    (b"percnt", b'%'),
    (b"num", b'#'),
    (b"verbar", b'|'),
];

/// `&#106;`, `&#x6a;` (semicolon optional, leading zeros allowed) and the named
/// references above, when they stand for a character with an ASCII reading.
fn reference(b: &[u8], i: usize) -> Option<(u8, usize)> {
    let mut j = i + 1;
    if b.get(j) == Some(&b'#') {
        j += 1;
        let radix = if b.get(j) == Some(&b'x') {
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
        if j == start {
            return None;
        }
        let value = ascii_of(value)?;
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        return Some((value, j - i));
    }
    let (name, value) = NAMED.iter().find(|(name, _)| at(b, j, name))?;
    j += name.len();
    if b.get(j) == Some(&b';') {
        j += 1;
    } else if b.get(j).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some((*value, j - i))
}

/// JavaScript (`\x3c`, `\u003c`, `\u{3c}`) and CSS (`\3c `, `\00003c`, `\65`, and
/// `\p` for `p`) escapes, when they stand for a printable ASCII character; `\\` → `\`.
fn escape(b: &[u8], i: usize) -> Option<(u8, usize)> {
    let printable = |cp: u32| ascii_of(cp).filter(|c| (0x20..0x7f).contains(c));
    let next = *b.get(i + 1)?;
    if next == b'x'
        && let (cp, 2) = hex_run(b, i + 2, 2)
    {
        return Some((printable(cp)?, 4));
    }
    if next == b'u' {
        if b.get(i + 2) == Some(&b'{') {
            let (cp, n) = hex_run(b, i + 3, 6);
            if n > 0 && b.get(i + 3 + n) == Some(&b'}') {
                return Some((printable(cp)?, n + 4));
            }
        }
        if let (cp, 4) = hex_run(b, i + 2, 4) {
            return Some((printable(cp)?, 6));
        }
    }
    let (cp, n) = hex_run(b, i + 1, 6);
    if n > 0 {
        // CSS: one whitespace after the digits belongs to the escape.
        let space = usize::from(b.get(i + 1 + n).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n')));
        return Some((printable(cp)?, 1 + n + space));
    }
    match next {
        b'g'..=b'z' | b'\\' => Some((next, 2)),
        _ => None,
    }
}

/// UTF-7 for the characters that open markup or strings: `+ADw-` `<`, `+AD4-` `>`,
/// `+ACI-` `"`, `+ACc-` `'` (as lowercased).
fn utf7(b: &[u8], i: usize) -> Option<(u8, usize)> {
    let value = match b.get(i + 1..i + 5)? {
        b"adw-" => b'<',
        b"ad4-" => b'>',
        b"aci-" => b'"',
        b"acc-" => b'\'',
        _ => return None,
    };
    Some((value, 5))
}

/// A UTF-8 sequence at `i`, overlong forms included: its code point and length.
fn utf8_sequence(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let lead = *b.get(i)?;
    let len = match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let mut cp = u32::from(lead) & (0x7f >> len);
    for k in 1..len {
        let c = *b.get(i + k)?;
        if c & 0xc0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | u32::from(c & 0x3f);
    }
    Some((cp, len))
}
