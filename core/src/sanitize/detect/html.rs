//! Markup and script rules: dangerous tags, event handlers, script URLs, CSS that runs
//! script, and quotes or templates that break into a script call.

use super::{FindingKind, at, before, is_space, skip_space, within, word_at, words};

pub(super) fn scan(t: &[u8], add: &mut impl FnMut(FindingKind, usize)) {
    // Inside an open tag (`<name` seen, no `>` yet): any `on…=` there is a handler.
    let mut in_tag = false;
    for (i, &b) in t.iter().enumerate() {
        match b {
            b'<' => {
                in_tag = t.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
                    && !before(t, i).is_some_and(|c| c.is_ascii_alphanumeric());
                if dangerous_tag(t, i) {
                    add(FindingKind::DangerousTag, i);
                }
            }
            b'>' => in_tag = false,
            b'o' if event_handler(t, i, in_tag) => add(FindingKind::EventHandler, i),
            b'a' if animated_handler(t, i) => add(FindingKind::EventHandler, i),
            b'j' | b'v' | b'l' | b'd' if script_url(t, i) => add(FindingKind::ScriptUrl, i),
            b':' if css_expression(t, i) => add(FindingKind::ScriptUrl, i),
            b'b' | b'-' if css_binding(t, i) => add(FindingKind::ScriptUrl, i),
            b'\'' | b'"' | b'`' if string_breakout(t, i) => add(FindingKind::ScriptUrl, i),
            b'{' | b'$' | b'&' if template_call(t, i) => add(FindingKind::ScriptUrl, i),
            _ => {}
        }
    }
}

const DANGEROUS_TAGS: &str =
    "script style iframe object embed applet frame frameset base link meta noscript template xml";

/// `<name` or `</name` for a tag in [`DANGEROUS_TAGS`] (namespace prefix allowed),
/// `<?import` (which loads an HTML component in old Internet Explorer) and `<?php`.
fn dangerous_tag(t: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    if at(t, j, b"?import") || at(t, j, b"?php") {
        return true;
    }
    if t.get(j) == Some(&b'/') {
        j += 1;
    }
    // A namespace prefix (`<x:script xmlns:x=…>`) names the same element.
    let prefix =
        t.get(j..).unwrap_or_default().iter().take(16).take_while(|c| c.is_ascii_alphanumeric()).count();
    if prefix > 0 && t.get(j + prefix) == Some(&b':') {
        j += prefix + 1;
    }
    words(DANGEROUS_TAGS).any(|tag| {
        at(t, j, tag)
            && !t.get(j + tag.len()).copied().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'-')
    })
}

/// DOM event names (without `on`) an attribute can carry.
const EVENTS: &str = "abort activate afterprint afterscriptexecute animationcancel animationend \
    animationiteration animationstart auxclick beforeactivate beforecopy beforecut beforedeactivate \
    beforeinput beforematch beforepaste beforeprint beforescriptexecute beforetoggle beforeunload \
    begin blur canplay canplaythrough change click close contextmenu copy cuechange cut dblclick \
    deactivate drag dragend dragenter dragleave dragover dragstart drop durationchange end ended error \
    finish focus focusin focusout formdata fullscreenchange hashchange input invalid keydown keypress \
    keyup load loadeddata loadedmetadata loadend loadstart message mousedown mouseenter mouseleave \
    mousemove mouseout mouseover mouseup mousewheel pagehide pagereveal pageshow paste pause play \
    playing pointerdown pointerenter pointerleave pointermove pointerout pointerover pointerup \
    popstate progress readystatechange repeat reset resize scroll scrollend search select show start \
    submit toggle transitionend unload wheel";

/// `on<name>` then `=`, where an attribute can stand. In an open tag, any name of three
/// letters or more (browsers keep adding events); elsewhere a known event, right after
/// `/`, a quote or a backtick, or after whitespace that follows a quote which broke
/// out of an attribute (`" autofocus onfocus=`).
fn event_handler(t: &[u8], i: usize, in_tag: bool) -> bool {
    if t.get(i + 1) != Some(&b'n') {
        return false;
    }
    let name_start = i + 2;
    let name_len =
        t.get(name_start..).unwrap_or_default().iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let name_end = name_start + name_len;
    if name_len < 3 {
        return false;
    }
    let known = || t.get(name_start..name_end).is_some_and(|name| words(EVENTS).any(|e| e == name));
    let mut eq = skip_space(t, name_end);
    if t.get(eq) != Some(&b'=') && in_tag && known() {
        // Old parsers ended the name at the first non-letter: `onload!#$%&()*~+-_.,:;?@[/|\]^`=`.
        let junk = t.get(name_end..).unwrap_or_default().iter().take(40);
        eq = name_end
            + junk.take_while(|&&c| !(is_space(c) || matches!(c, b'=' | b'>' | b'"' | b'\''))).count();
    }
    if t.get(eq) != Some(&b'=') {
        return false;
    }
    match before(t, i) {
        None => known(),
        Some(b'/' | b'"' | b'\'' | b'`' | b'+') => in_tag || known(),
        Some(b) if is_space(b) => in_tag || known() && after_quote(t, i),
        Some(b) => in_tag && !b.is_ascii_alphanumeric() && known(),
    }
}

/// Whether, going back from `i` over whitespace and an attribute run
/// (`" autofocus onfocus=`), a quote that broke out of an attribute comes first.
fn after_quote(t: &[u8], i: usize) -> bool {
    let run = t.get(i.saturating_sub(40)..i).unwrap_or_default();
    run.iter()
        .rev()
        .find(|&&c| !(c.is_ascii_alphanumeric() || is_space(c) || matches!(c, b'=' | b'-' | b'_')))
        .is_some_and(|&c| matches!(c, b'"' | b'\'' | b'`'))
}

/// SVG animation that sets a handler: `attributeName=onload`.
fn animated_handler(t: &[u8], i: usize) -> bool {
    if !word_at(t, i, b"attributename") {
        return false;
    }
    let mut j = skip_space(t, i + 13);
    if t.get(j) != Some(&b'=') {
        return false;
    }
    j = skip_space(t, j + 1);
    if matches!(t.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    at(t, j, b"on") && t.get(j + 2).is_some_and(u8::is_ascii_alphabetic)
}

/// Letters of a script scheme, with whitespace and controls allowed between them
/// (`java\nscript:`), then `:` and something that is not a space.
fn script_url(t: &[u8], i: usize) -> bool {
    if before(t, i).is_some_and(|c| c.is_ascii_alphabetic()) {
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
    let scheme: &[u8] = match t.get(i) {
        Some(b'j') => b"javascript",
        Some(b'v') => b"vbscript",
        Some(b'l') => b"livescript",
        _ => b"data",
    };
    let Some(after) = spaced(scheme) else { return false };
    if scheme != b"data" {
        return t.get(after).is_some_and(|&c| !is_space(c));
    }
    // The media type, whitespace dropped.
    let mut media = [0u8; 24];
    let rest = t.get(after..).unwrap_or_default().iter().filter(|&&c| !is_space(c));
    let mut len = 0;
    for (slot, &c) in media.iter_mut().zip(rest) {
        *slot = c;
        len += 1;
    }
    is_executable_data_type(media.get(..len).unwrap_or_default())
}

/// Media types a browser would run or render as a document from a `data:` URL.
fn is_executable_data_type(rest: &[u8]) -> bool {
    words(EXECUTABLE_TYPES).any(|t| rest.starts_with(t))
}

const EXECUTABLE_TYPES: &str = "text/html text/javascript text/ecmascript text/vbscript text/xml text/css \
    application/javascript application/x-javascript application/ecmascript application/xhtml \
    application/xml image/svg";

/// Whitespace and CSS comments (each bounded, so the work stays linear).
fn skip_css_space(t: &[u8], mut i: usize) -> usize {
    loop {
        i = skip_space(t, i);
        if !at(t, i, b"/*") {
            return i;
        }
        match t.get(i + 2..).unwrap_or_default().iter().take(64).position(|&c| c == b'*') {
            Some(p) if t.get(i + 3 + p) == Some(&b'/') => i += p + 4,
            _ => return i,
        }
    }
}

/// `word` at `i` as CSS reads it, comments allowed between its letters
/// (`expr/**/ession`); the end.
fn css_word(t: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let mut j = i;
    for (n, &letter) in word.iter().enumerate() {
        if n > 0 && at(t, j, b"/*") {
            j = skip_css_space(t, j);
        }
        if t.get(j) != Some(&letter) {
            return None;
        }
        j += 1;
    }
    Some(j)
}

/// A CSS value that runs script in old Internet Explorer: `:expression(` (comments
/// allowed inside, not prose's "expression (x)").
fn css_expression(t: &[u8], i: usize) -> bool {
    css_word(t, skip_css_space(t, i + 1), b"expression").is_some_and(|end| {
        let mut k = end;
        while at(t, k, b"/*") {
            let next = skip_css_space(t, k);
            if next == k {
                return false;
            }
            k = next;
        }
        t.get(k) == Some(&b'(')
    })
}

/// A CSS property that loads script: `behavior: url(…)` (an HTML component) or
/// `-moz-binding: url(…)` (an XBL binding).
fn css_binding(t: &[u8], i: usize) -> bool {
    if before(t, i).is_some_and(|c| c.is_ascii_alphanumeric())
        || !(t.get(i) == Some(&b'b') || at(t, i, b"-moz-"))
    {
        return false;
    }
    words("behavior behaviour -moz-binding").any(|name| {
        css_word(t, i, name).is_some_and(|end| {
            let colon = skip_css_space(t, end);
            t.get(colon) == Some(&b':') && at(t, skip_css_space(t, colon + 1), b"url(")
        })
    })
}

/// Functions an injected script calls, and objects it reaches into.
const CALLS: &str = "alert prompt confirm eval settimeout setinterval fetch import atob";
const OBJECTS: &str = "document window top parent self globalthis location constructor";

/// A call of [`CALLS`] (`alert(`, ``alert` ``) or a member of [`OBJECTS`]
/// (`document.`, `top[`) at `i`, after whitespace.
fn script_call(t: &[u8], i: usize) -> bool {
    let j = skip_space(t, i);
    let called = |names: &'static str, next: &[u8]| {
        words(names).any(|name| {
            word_at(t, j, name) && t.get(skip_space(t, j + name.len())).is_some_and(|c| next.contains(c))
        })
    };
    called(CALLS, b"(`") || called(OBJECTS, b".[")
}

/// A quote that closes a script string and goes on into a call: `';alert(1)//`,
/// `"-confirm(1)-"`, `'+document.cookie+'` (the operator right after the quote and
/// any closing brackets).
fn string_breakout(t: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    while matches!(t.get(j), Some(b')' | b']' | b'}')) {
        j += 1;
    }
    let operators =
        t.get(j..).unwrap_or_default().iter().take(4).take_while(|c| b";+-*|&".contains(c)).count();
    operators > 0 && script_call(t, j + operators)
}

/// A template or script entity that calls into script: `{{constructor.constructor(…)}}`
/// (AngularJS), `${alert(1)}`, `&{alert(1)}` (old Netscape).
fn template_call(t: &[u8], i: usize) -> bool {
    match t.get(i..i + 2) {
        Some(b"{{") => {
            within(t, i + 2, 64, b"constructor") || {
                let j = skip_space(t, i + 2);
                script_call(t, j)
            }
        }
        Some(b"${" | b"&{") => script_call(t, i + 2),
        _ => false,
    }
}
