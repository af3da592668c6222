//! Path rules: NUL bytes, traversal, files an attacker reads, PHP stream wrappers.

use super::view::View;
use super::{FindingKind, any_word, at, before, is_word, word_at, word_end};

pub(super) fn scan(view: &View, add: &mut impl FnMut(FindingKind, usize)) {
    let t = &view.bytes;
    for (i, &b) in t.iter().enumerate() {
        match b {
            0 => add(FindingKind::NulByte, i),
            b'.' if traversal(view, i) => add(FindingKind::PathTraversal, i),
            // The last separator of a run, not the one after a drive letter (that
            // finding is the drive's).
            b'/' | b'\\'
                if !t.get(i + 1).copied().is_some_and(is_separator)
                    && before(t, i) != Some(b':')
                    && sensitive(t, i + 1) =>
            {
                add(FindingKind::SensitivePath, i)
            }
            b'%' if any_word(t, i + 1, &[b"systemroot", b"windir"])
                .is_some_and(|n| t.get(i + 1 + n) == Some(&b'%')) =>
            {
                add(FindingKind::SensitivePath, i)
            }
            b'a'..=b'z' if sensitive_start(t, i) => add(FindingKind::SensitivePath, i),
            b'.' if i == 0 && home_secret(t, 0, false) => add(FindingKind::SensitivePath, i),
            _ => {}
        }
    }
}

fn is_separator(b: u8) -> bool {
    b == b'/' || b == b'\\'
}

fn skip_separators(t: &[u8], mut i: usize) -> usize {
    while t.get(i).copied().is_some_and(is_separator) {
        i += 1;
    }
    i
}

/// `..` then a separator (or Tomcat's `..;/`): the length, separator included.
fn dotdot(t: &[u8], i: usize) -> Option<usize> {
    if !at(t, i, b"..") {
        return None;
    }
    let semicolon = usize::from(t.get(i + 2) == Some(&b';'));
    t.get(i + 2 + semicolon).copied().is_some_and(is_separator).then_some(3 + semicolon)
}

/// A `../` that climbs: one of a chain (`../../`), at the start of a value (the text,
/// or after `=`), encoded (`%2e%2e%2f`, `%c0%ae`), Tomcat's `..;/`, or leading to a
/// sensitive file. A lone relative link ("see ../docs/guide.md") does not count.
fn traversal(view: &View, i: usize) -> bool {
    let t = &view.bytes;
    let Some(len) = dotdot(t, i) else { return false };
    // Past the separators and any `./` segments: the next segment.
    let mut next = skip_separators(t, i + len);
    while t.get(next) == Some(&b'.') && t.get(next + 1).copied().is_some_and(is_separator) {
        next = skip_separators(t, next + 1);
    }
    let chained_after = dotdot(t, next).is_some() || (at(t, next, b"..") && next + 2 == t.len());
    let mut k = i;
    while k > 0 && t.get(k - 1).copied().is_some_and(is_separator) {
        k -= 1;
    }
    let chained_before = k < i && k >= 2 && at(t, k - 2, b"..");
    let starts_value = match before(t, i) {
        None | Some(b'=') => true,
        Some(c) => is_separator(c) && i == 1,
    };
    len == 4
        || chained_after
        || chained_before
        || starts_value
        || view.span(i, i + len) > len
        || sensitive(t, next)
}

/// A path segment starting at `i` that names a file an attacker reads: system
/// accounts and process state, Windows system files, web app configuration, and
/// secrets under a home directory.
fn sensitive(t: &[u8], i: usize) -> bool {
    let under = |dir: &[u8], names: &[&[u8]]| {
        at(t, i, dir) && t.get(i + dir.len()).copied().is_some_and(is_separator) && {
            let j = skip_separators(t, i + dir.len());
            names.iter().any(|name| at(t, j, name))
        }
    };
    let log_file = || {
        under(b"log", &[b"apache", b"nginx", b"httpd"]) && {
            let file = skip_separators(t, word_end(t, skip_separators(t, i + 4)));
            at(t, file, b"access") || at(t, file, b"error")
        }
    };
    under(b"etc", ETC)
        || under(b"proc", PROC)
        || under(b"proc", &[b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9"])
        || under(b"web-inf", &[b""])
        || under(b"inetpub", &[b""])
        || under(b"secrets", &[b"kubernetes.io"])
        || log_file()
        || windows_system(t, i)
        || [&b"boot.ini"[..], b"web.config", b"sysprep", b"unattend"].iter().any(|name| {
            at(t, i, name) && !t.get(i + name.len()).copied().is_some_and(|c| c.is_ascii_alphabetic())
        })
        || home_secret(t, i, true)
}

/// Files under `/etc/` that file-inclusion probes read.
const ETC: &[&[u8]] = &[
    b"passwd",
    b"shadow",
    b"group",
    b"gshadow",
    b"sudoers",
    b"master.passwd",
    b"security",
    b"ssh",
    b"hosts",
    b"issue",
    b"motd",
    b"mysql",
    b"crontab",
    b"hostname",
];

/// Process state under `/proc/` (and `/proc/<pid>/`).
const PROC: &[&[u8]] = &[
    b"self",
    b"thread-self",
    b"version",
    b"mounts",
    b"net",
    b"sched_debug",
    b"environ",
    b"cmdline",
    b"kcore",
];

/// `windows\win.ini`, `windows\system32\config\…` and the like.
fn windows_system(t: &[u8], i: usize) -> bool {
    if !(at(t, i, b"windows") && t.get(i + 7).copied().is_some_and(is_separator)) {
        return false;
    }
    let j = skip_separators(t, i + 7);
    if at(t, j, b"system32") && t.get(j + 8).copied().is_some_and(is_separator) {
        let k = skip_separators(t, j + 8);
        return at(t, k, b"config") || at(t, k, b"drivers");
    }
    [&b"win.ini"[..], b"system.ini", b"repair", b"panther"].iter().any(|name| at(t, j, name))
}

/// Dot-files and dot-directories that hold credentials or history: `.ssh/…`,
/// `.aws/credentials`, `.gnupg/`, `.git/config`, and (with `files`, where a separator
/// stands before them) `.netrc`, `.pgpass`, `.git-credentials`, `.env`, `.htpasswd` and
/// every `*_history` (`.bash_history`, `.mysql_history`).
fn home_secret(t: &[u8], i: usize, files: bool) -> bool {
    if t.get(i) != Some(&b'.') {
        return false;
    }
    let name_end = i
        + 1
        + t.get(i + 1..)
            .unwrap_or_default()
            .iter()
            .take(32)
            .take_while(|&&c| is_word(c) || c == b'-')
            .count();
    let name = t.get(i + 1..name_end).unwrap_or_default();
    let then = |dir: &[u8], names: &[&[u8]]| {
        name == dir && t.get(name_end).copied().is_some_and(is_separator) && {
            let j = skip_separators(t, name_end);
            names.iter().any(|n| at(t, j, n))
        }
    };
    then(b"ssh", &[b"id_", b"authorized_keys", b"known_hosts", b"config", b"identity"])
        || then(b"aws", &[b"credentials", b"config"])
        || then(b"gnupg", &[b""])
        || then(b"docker", &[b"config.json"])
        || then(b"kube", &[b"config"])
        || then(b"config", &[b"gcloud"])
        || then(b"git", &[b"config", b"head", b"index", b"logs", b"refs"])
        || files
            && ([&b"netrc"[..], b"pgpass", b"git-credentials", b"env", b"htpasswd", b"htaccess"]
                .contains(&name)
                || name.ends_with(b"_history"))
}

/// Where a sensitive path starts with a letter: a drive (`c:\windows\win.ini`), a
/// stream wrapper (`php://filter`), or a relative path at the start of the text
/// (`WEB-INF/web.xml`, `etc/passwd`).
fn sensitive_start(t: &[u8], i: usize) -> bool {
    if before(t, i).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    if t.get(i + 1) == Some(&b':') && t.get(i + 2).copied().is_some_and(is_separator) {
        return sensitive(t, skip_separators(t, i + 2));
    }
    let wrapper = [&b"php"[..], b"phar", b"expect", b"zip", b"data", b"glob"]
        .iter()
        .any(|scheme| word_at(t, i, scheme) && at(t, i + scheme.len(), b"://"));
    wrapper || i == 0 && sensitive(t, 0)
}
