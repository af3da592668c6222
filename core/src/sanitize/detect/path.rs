//! Path rules: NUL bytes, traversal, files an attacker reads, PHP stream wrappers.

use super::view::View;
use super::{FindingKind, at, before, is_word, words};

pub(super) fn scan(view: &View, add: &mut impl FnMut(FindingKind, usize)) {
    let t = &view.bytes;
    for (i, &b) in t.iter().enumerate() {
        let kind = match b {
            0 => FindingKind::NulByte,
            b'.' if traversal(view, i) => FindingKind::PathTraversal,
            // The last separator of a run, not the one after a drive letter (that
            // finding is the drive's).
            b'/' | b'\\'
                if !t.get(i + 1).copied().is_some_and(is_separator)
                    && before(t, i) != Some(b':')
                    && sensitive(t, i + 1, true) =>
            {
                FindingKind::SensitivePath
            }
            _ if i == 0 && sensitive(t, 0, false) => FindingKind::SensitivePath,
            b'%' | b'a'..=b'z' if !before(t, i).is_some_and(|c| c.is_ascii_alphanumeric()) && root(t, i) => {
                FindingKind::SensitivePath
            }
            _ => continue,
        };
        add(kind, i);
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
        || sensitive(t, next, true)
}

/// Directories and what under them names a file an attacker reads (empty: anything):
/// system accounts and process state, Windows system files, web app configuration,
/// credentials under a home directory. In a pattern `/` stands for one or more
/// separators (`/` or `\`) and `#` for a digit.
const SENSITIVE: &[(&str, &str)] = &[
    ("etc", "passwd shadow group gshadow sudoers master.passwd security ssh/ssh_host issue motd"),
    ("proc", "self thread-self version mounts net sched_debug environ cmdline kcore #"),
    ("windows", "win.ini system.ini repair panther system32/config system32/drivers/etc"),
    ("web-inf", ""),
    ("secrets", "kubernetes.io"),
    (".ssh", "id_ authorized_keys known_hosts identity"),
    (".aws", "credentials config"),
    (".gnupg", ""),
    (".docker", "config.json"),
    (".kube", "config"),
    (".config", "gcloud"),
    (".git", "config head index logs refs"),
];

/// Files that count by their name alone (a final `$`: no name character follows).
const SENSITIVE_FILES: &str = "boot.ini$ web.config$ sysprep$ unattend$";

/// Credential files that count where a separator stands before them (prose names
/// them bare: "add .env to .gitignore").
const SECRET_FILES: &str = ".netrc$ .pgpass$ .git-credentials$ .env$ .htpasswd$ .htaccess$";

/// Whether a pattern of [`SENSITIVE`] or [`SECRET_FILES`] matches at `i` (a final `$`:
/// no name character follows).
fn matches(t: &[u8], mut i: usize, pattern: &[u8]) -> bool {
    for &p in pattern {
        match p {
            b'/' if t.get(i).copied().is_some_and(is_separator) => i = skip_separators(t, i),
            b'#' if t.get(i).is_some_and(u8::is_ascii_digit) => i += 1,
            b'$' => return !t.get(i).is_some_and(|&c| is_word(c) || c == b'-'),
            _ if t.get(i) == Some(&p) && !matches!(p, b'/' | b'#') => i += 1,
            _ => return false,
        }
    }
    true
}

/// A sensitive path segment at `i`; with `files`, credential files and shell
/// histories (`.bash_history`, `.mysql_history`) too.
fn sensitive(t: &[u8], i: usize, files: bool) -> bool {
    let listed = SENSITIVE.iter().any(|&(dir, names)| {
        at(t, i, dir.as_bytes()) && t.get(i + dir.len()).copied().is_some_and(is_separator) && {
            let j = skip_separators(t, i + dir.len());
            names.is_empty() || words(names).any(|p| matches(t, j, p))
        }
    });
    let history = || {
        t.get(i) == Some(&b'.') && {
            let name =
                t.get(i + 1..).unwrap_or_default().iter().take(32).take_while(|&&c| is_word(c)).count();
            t.get(i + 1..i + 1 + name).is_some_and(|name| name.ends_with(b"_history"))
        }
    };
    listed
        || words(SENSITIVE_FILES).any(|p| matches(t, i, p))
        || files && (words(SECRET_FILES).any(|p| matches(t, i, p)) || history())
}

/// Where a sensitive path starts at a word: a drive (`c:\windows\win.ini`), a
/// Windows variable (`%SYSTEMROOT%`) or a PHP stream wrapper (`php://filter`).
fn root(t: &[u8], i: usize) -> bool {
    if t.get(i + 1) == Some(&b':') && t.get(i + 2).copied().is_some_and(is_separator) {
        return sensitive(t, skip_separators(t, i + 2), true);
    }
    let scheme =
        t.get(i..).unwrap_or_default().iter().take(8).take_while(|c| c.is_ascii_alphabetic()).count();
    t.get(i) == Some(&b'%') && words("%systemroot% %windir%").any(|p| at(t, i, p))
        || at(t, i + scheme, b"://")
            && words("php phar expect zip data glob").any(|w| t.get(i..i + scheme) == Some(w))
}
