//! The sanitizer against the shared corpora (`tests/vectors/sanitizer/`): an HTML5
//! parser (html5ever) reads every `escape` and `strip` output in element content and
//! in quoted attributes and must find nothing but text, and the detector's recall and
//! false-positive rate are measured and held to their bounds.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use std::collections::BTreeMap;
use std::path::Path;

use html5ever::tendril::TendrilSink;
use html5ever::{ParseOpts, QualName, local_name, ns, parse_document, parse_fragment};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use tessera_core::{SanitizeOptions, escape, inspect, strip};

fn corpus_json(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/sanitizer").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn corpus(name: &str) -> Vec<String> {
    serde_json::from_value(corpus_json(name)).unwrap()
}

fn all_inputs() -> Vec<String> {
    let attacks = attacks().into_iter().map(|(_, _, input)| input);
    attacks.chain(benign().into_iter().map(|(_, input)| input)).collect()
}

/// Every node below `node`, depth first.
fn descendants(node: &Handle, out: &mut Vec<Handle>) {
    for child in node.children.borrow().iter() {
        out.push(child.clone());
        descendants(child, out);
    }
}

/// What a browser's URL parser would take the scheme of `value` to be, lowercased.
fn url_scheme(value: &str) -> String {
    let cleaned: String = value
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    cleaned.split(':').next().filter(|_| cleaned.contains(':')).unwrap_or("").to_ascii_lowercase()
}

/// Parses `html` as the content of a `<body>` and fails on anything but text.
fn assert_only_text_in_body(input: &str, mode: &str, html: &str) {
    let context = QualName::new(None, ns!(html), local_name!("body"));
    let dom = parse_fragment(RcDom::default(), ParseOpts::default(), context, vec![], false).one(html);
    let mut nodes = Vec::new();
    descendants(&dom.document, &mut nodes);
    for node in nodes {
        match &node.data {
            NodeData::Text { .. } => {}
            // The fragment parser wraps the result in one `html` element.
            NodeData::Element { name, attrs, .. } if &*name.local == "html" && attrs.borrow().is_empty() => {}
            other => panic!("{mode} of {input:?} gave {html:?}, which parses to {other:?}"),
        }
    }
}

/// Puts `value` in quoted attributes and fails unless the parser sees exactly the one
/// element with exactly its attributes, and no script URL.
fn assert_inert_in_attributes(input: &str, mode: &str, value: &str) {
    let html = format!(
        "<!DOCTYPE html><p><a title=\"{value}\" href=\"{value}\">x</a><img alt='{value}' src='{value}'></p>"
    );
    let dom = parse_document(RcDom::default(), ParseOpts::default()).one(html.as_str());
    let mut nodes = Vec::new();
    descendants(&dom.document, &mut nodes);
    let mut elements = Vec::new();
    for node in &nodes {
        match &node.data {
            NodeData::Element { name, attrs, .. } => {
                elements.push((name.local.to_string(), attrs.borrow().clone()))
            }
            NodeData::Comment { contents } => panic!("{mode} of {input:?} opened a comment: {contents:?}"),
            _ => {}
        }
    }
    let names: Vec<&str> = elements.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["html", "head", "body", "p", "a", "img"], "{mode} of {input:?} in attributes: {html}");
    for (element, attrs) in &elements[4..] {
        let names: Vec<String> = attrs.iter().map(|a| a.name.local.to_string()).collect();
        let expected = if element == "a" { ["title", "href"] } else { ["alt", "src"] };
        assert_eq!(names, expected, "{mode} of {input:?} added attributes");
        for attr in attrs {
            let scheme = url_scheme(&attr.value);
            assert!(
                !["javascript", "vbscript", "livescript", "data"].contains(&scheme.as_str()),
                "{mode} of {input:?} left a {scheme}: URL"
            );
        }
    }
}

#[test]
fn escape_and_strip_outputs_are_inert_to_an_html5_parser() {
    let options = SanitizeOptions::default();
    let inputs = all_inputs();
    assert!(inputs.len() >= 1650, "corpora shrank: {}", inputs.len());
    for input in &inputs {
        for (mode, output) in [("escape", escape(input, &options)), ("strip", strip(input, &options))] {
            assert!(
                !output.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
                "{mode} kept a control character"
            );
            assert_only_text_in_body(input, mode, &output);
            assert_inert_in_attributes(input, mode, &output);
        }
    }
}

#[test]
fn strip_keeps_the_text_and_drops_the_markup() {
    let options = SanitizeOptions::default();
    assert_eq!(strip("<p>Hello <b>world</b></p>", &options), "Hello world");
    assert_eq!(strip("a<script>alert(1)</script>b<style>x{}</style>c", &options), "abc");
    assert_eq!(strip("<!-- hidden -->visible", &options), "visible");
    assert_eq!(strip("Tom & Jerry say \"hi\"", &options), "Tom &amp; Jerry say &quot;hi&quot;");
    assert_eq!(strip("&lt;b&gt; stays text", &options), "&amp;lt;b&amp;gt; stays text");
    assert_eq!(escape("<b>O'Brien</b>", &options), "&lt;b&gt;O&#x27;Brien&lt;/b&gt;");
    assert_eq!(escape(" javascript:alert(1)", &options), "unsafe: javascript:alert(1)");
    assert_eq!(escape("a\u{0}b\u{7}c\nd", &options), "abc\nd");
    let limited = SanitizeOptions { max_len: Some(5) };
    assert_eq!(escape("<<<<<<<<", &limited), "&lt;&lt;&lt;&lt;&lt;");
    assert_eq!(escape("ééé", &limited), "éé");
}

/// Every attack corpus as `(family, group, input)`: `xss.json` and `sqli.json` (group
/// `core`) and the groups of `attack-families.json`.
fn attacks() -> Vec<(String, String, String)> {
    let mut all: Vec<(String, String, String)> = [("xss", "xss.json"), ("sqli", "sqli.json")]
        .iter()
        .flat_map(|(family, file)| {
            corpus(file).into_iter().map(|s| (family.to_string(), "core".to_string(), s))
        })
        .collect();
    let families: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        serde_json::from_value(corpus_json("attack-families.json")["families"].take()).unwrap();
    for (family, groups) in families {
        for (group, inputs) in groups {
            all.extend(inputs.into_iter().map(|s| (family.clone(), group.clone(), s)));
        }
    }
    all
}

/// Every benign corpus as `(group, input)`: `benign.json` (group `core`) and the groups
/// of `benign-families.json`.
fn benign() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> =
        corpus("benign.json").into_iter().map(|s| ("core".to_string(), s)).collect();
    let groups: BTreeMap<String, Vec<String>> =
        serde_json::from_value(corpus_json("benign-families.json")["groups"].take()).unwrap();
    for (group, inputs) in groups {
        all.extend(inputs.into_iter().map(|s| (group.clone(), s)));
    }
    all
}

/// Recall per family and overall over every attack corpus, and the false-positive rate
/// over every benign corpus. Run with `-- --nocapture` to see the figures and misses.
#[test]
fn detector_recall_and_false_positives() {
    let attacks = attacks();
    let benign = benign();
    assert!(
        attacks.len() >= 850 && benign.len() >= 800,
        "corpora shrank: {} {}",
        attacks.len(),
        benign.len()
    );
    // (family, group) -> (found, total)
    let mut tally: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (family, group, input) in &attacks {
        let found = !inspect(input).is_empty();
        let entry = tally.entry((family.as_str(), group.as_str())).or_default();
        entry.0 += usize::from(found);
        entry.1 += 1;
        if !found {
            misses.push(format!("{family}/{group}: {input:?}"));
        }
    }
    let mut families: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((family, group), (found, total)) in &tally {
        println!("  {family}/{group}: {found}/{total}");
        let entry = families.entry(family).or_default();
        entry.0 += found;
        entry.1 += total;
    }
    let ratio = |(found, total): (usize, usize)| found as f64 / total as f64;
    for (family, counts) in &families {
        println!("{family} recall {:.1}% ({}/{})", ratio(*counts) * 100.0, counts.0, counts.1);
    }
    let found = attacks.len() - misses.len();
    let recall = ratio((found, attacks.len()));
    let false_positives: Vec<String> = benign
        .iter()
        .filter_map(|(group, input)| {
            let findings = inspect(input);
            (!findings.is_empty()).then(|| format!("{group}: {input:?} -> {findings:?}"))
        })
        .collect();
    let fp_rate = ratio((false_positives.len(), benign.len()));
    println!(
        "overall recall {:.1}% ({found}/{}), false positives {:.2}% ({}/{})",
        recall * 100.0,
        attacks.len(),
        fp_rate * 100.0,
        false_positives.len(),
        benign.len()
    );
    println!("missed:\n  {}\nfalse positives:\n  {}", misses.join("\n  "), false_positives.join("\n  "));
    for (family, counts) in &families {
        assert!(
            ratio(*counts) >= 0.95,
            "{family} recall {:.3}; missed:\n{}",
            ratio(*counts),
            misses.join("\n")
        );
    }
    assert!(recall >= 0.97, "overall recall {recall:.3}; missed:\n{}", misses.join("\n"));
    assert!(fp_rate <= 0.005, "false-positive rate {fp_rate:.4}:\n{}", false_positives.join("\n"));
}
