extern crate std;

use alloc::string::String;
use alloc::vec::Vec;
use std::time::{Duration, Instant};

use super::*;

fn kinds(text: &str) -> Vec<FindingKind> {
    let mut kinds: Vec<FindingKind> = inspect(text).iter().map(|f| f.kind).collect();
    kinds.dedup();
    kinds
}

#[test]
fn decoding_layers_are_seen_through() {
    // %uXXXX, overlong UTF-8, fullwidth forms, JavaScript and CSS escapes, UTF-7.
    assert_eq!(kinds("%u003cscript%u003e"), [FindingKind::DangerousTag]);
    assert_eq!(kinds("%c0%ae%c0%ae%c0%afsecret"), [FindingKind::PathTraversal]);
    assert_eq!(kinds("\u{ff0e}\u{ff0e}\u{ff0f}x"), [FindingKind::PathTraversal]);
    assert_eq!(kinds("\\x3cscript\\x3e"), [FindingKind::DangerousTag]);
    assert_eq!(kinds("x:\\65xpression(1)"), [FindingKind::ScriptUrl]);
    assert_eq!(kinds("+ADw-script+AD4-"), [FindingKind::DangerousTag]);
    // Three rounds of percent-encoding, then a character reference.
    assert_eq!(kinds("%2526%2523106%253Bavascript:x"), [FindingKind::ScriptUrl]);
}

#[test]
fn sql_reading_treats_plus_and_comments_as_space() {
    assert_eq!(kinds("1+or+1=1"), [FindingKind::SqlInjection]);
    assert_eq!(kinds("1 /*!50000union*/ /*!50000select*/ 1,2"), [FindingKind::SqlInjection]);
    assert_eq!(kinds("' UN/**/ION SEL/**/ECT 1--"), [FindingKind::SqlInjection]);
    assert_eq!(kinds("1 union#x\nselect 1,2"), [FindingKind::SqlInjection]);
}

#[test]
fn tautologies_are_shapes_not_strings() {
    for attack in
        ["' or x=x--", "' || 1#", "' or not false--", "1 && 7<8", "' or 'ab' like 'a%'", "' xor 2 in (2)"]
    {
        assert_eq!(kinds(attack), [FindingKind::SqlInjection], "{attack}");
    }
    for prose in ["5 > 3 and 2 < 4", "a = b or b = c", "choose 1 or 2", "or true love", "'yes' or 'no'"] {
        assert!(inspect(prose).is_empty(), "{prose}");
    }
}

#[test]
fn traversal_needs_a_climb() {
    assert!(inspect("see ../docs/guide.md").is_empty());
    assert_eq!(kinds("a/../../b"), [FindingKind::PathTraversal]);
    assert_eq!(kinds("file=../x"), [FindingKind::PathTraversal]);
    assert_eq!(kinds("x/..;/admin"), [FindingKind::PathTraversal]);
    assert_eq!(kinds("~/.ssh/id_rsa"), [FindingKind::SensitivePath]);
    assert_eq!(kinds("/home/a/.zsh_history"), [FindingKind::SensitivePath]);
    assert!(inspect(".bash_history grows").is_empty());
}

#[test]
fn findings_point_into_the_input() {
    // The quote (`%27` at 0) and the operator (`or` at 6) of the decoded text.
    let found: Vec<(FindingKind, usize)> =
        inspect("%27%20or%201%3D1--").iter().map(|f| (f.kind, f.offset)).collect();
    assert_eq!(found, [(FindingKind::SqlInjection, 0), (FindingKind::SqlInjection, 6)]);
    let text = "x:\\65xpression(1) and \u{ff0e}\u{ff0e}/\u{ff0e}\u{ff0e}/";
    assert!(inspect(text).iter().all(|f| text.is_char_boundary(f.offset)));
}

#[test]
fn findings_are_bounded_and_the_first_ones_kept() {
    // A finding at nearly every byte: the answer stays at the cap.
    let nuls = "\0".repeat(1 << 20);
    let found = inspect(&nuls);
    assert_eq!(found.len(), MAX_FINDINGS);
    assert!(found.iter().enumerate().all(|(i, f)| f.kind == FindingKind::NulByte && f.offset == i));
    let climbs = "../".repeat(100_000);
    assert_eq!(inspect(&climbs).len(), MAX_FINDINGS);
    // The raw round finds the NULs after the `%00` first and fills the cap more than
    // twice; the decoded round's finding at offset 0 must still be kept, and the last
    // ones dropped.
    let text = alloc::format!("%00{}", "\0".repeat(3 * MAX_FINDINGS));
    let offsets: Vec<usize> = inspect(&text).iter().map(|f| f.offset).collect();
    assert_eq!(offsets.len(), MAX_FINDINGS);
    assert_eq!(offsets[..3], [0, 3, 4]);
    assert_eq!(offsets.last(), Some(&(MAX_FINDINGS + 1)));
}

/// Inputs built to make a rule look far ahead or back from many places. Each must
/// stay linear: a quadratic rule would take minutes on 200 KB, not milliseconds.
#[test]
fn adversarial_inputs_stay_linear() {
    let fragments = [
        "' or ",
        "' or (((((",
        "or '",
        "1 and ",
        "'",
        "\"",
        "/*",
        "#",
        "--",
        "/*!",
        "../",
        "..",
        "/",
        "<a ",
        "<a onx",
        " onload",
        "&#",
        "&#0000000",
        "%u",
        "%25",
        "\\",
        "\\u{",
        "j a v a s c r i p t ",
        "x:e/*",
        ":",
        "behavior/**/",
        "');",
        ")",
        "; select ",
        "union select ",
        "(select ",
        "{{",
        "sleep(",
        "\u{ff0e}",
    ];
    let budget = Duration::from_secs(20);
    for fragment in fragments {
        let text: String = fragment.repeat(200 * 1024 / fragment.len());
        let start = Instant::now();
        let found = inspect(&text);
        let elapsed = start.elapsed();
        assert!(elapsed < budget, "{fragment:?} x {}: {elapsed:?}", text.len());
        assert!(found.len() <= text.len() * 8, "{fragment:?}");
    }
}
