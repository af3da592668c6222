//! Writes the generated seeds under fuzz/seeds/ (run from fuzz/: `cargo run --example
//! seeds`): snapshots sealed with the fixture keys, payloads, tokens we sign, policy
//! documents from the conformance vectors (JSON, and YAML as serde_yaml_ng writes
//! them), sanitizer strings from the vectors. Deterministic: rerunning changes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tessera_core::{PolicyDocument, Snapshot};
use tessera_fuzz::{NOW, fixtures, seal_payload, signed_tokens, snapshot, vector_tokens};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    fs::create_dir_all(&dir).expect("create the seed folder");
    fs::write(dir.join(name), bytes).expect("write a seed");
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn read(path: &str) -> String {
    fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn main() {
    // snapshot: the demo file, and the fixture plain and encrypted.
    let fixture = snapshot().encode().expect("the fixture encodes");
    write(
        "snapshot",
        "demo",
        &fs::read(repo("examples/demo-snapshot/demo.snapshot")).expect("demo.snapshot"),
    );
    write("snapshot", "fixture-plain", &seal_payload(&fixture, false).0);
    write("snapshot", "fixture-encrypted", &seal_payload(&fixture, true).0);
    write("snapshot", "core-sealed", &snapshot().seal(&fixtures().key).expect("seals"));
    for name in ["demo", "fixture-plain", "fixture-encrypted", "core-sealed"] {
        let bytes =
            fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/snapshot").join(name)).expect("read");
        fixtures().loader.open(&bytes, NOW).unwrap_or_else(|e| panic!("seed {name} does not open: {e}"));
    }

    // snapshot_mutate: no edit, one flip in each part, an insertion, a removal.
    write("snapshot_mutate", "none", &[0]);
    write("snapshot_mutate", "encrypted-none", &[1]);
    write("snapshot_mutate", "xor-early", &[0, 0, 0, 20, 1]);
    write("snapshot_mutate", "set-late", &[1, 1, 1, 0, 7]);
    write("snapshot_mutate", "insert-remove", &[0, 2, 0, 3, 0x90, 3, 0, 9, 0]);

    // snapshot_payload: the fixture and each policy vector as payloads; a raw header.
    let mut payload = vec![0];
    payload.extend_from_slice(&fixture);
    write("snapshot_payload", "fixture", &payload);
    payload[0] = 1;
    write("snapshot_payload", "fixture-encrypted", &payload);
    let header = tessera_fuzz::header(false);
    let mut raw = vec![2, header.len() as u8];
    raw.extend_from_slice(&header);
    raw.extend_from_slice(&fixture);
    write("snapshot_payload", "own-header", &raw);

    let mut documents = vec![("demo".to_string(), read("examples/demo-snapshot/policy.json"))];
    let mut names: Vec<_> = fs::read_dir(repo("tests/vectors/policy"))
        .expect("the policy vectors")
        .map(|e| e.expect("an entry").path())
        .collect();
    names.sort();
    for path in names {
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("a name").to_string();
        let vector: Value = serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("JSON");
        documents.push((stem, serde_json::to_string_pretty(&vector["policy"]).expect("JSON")));
    }
    for (name, text) in &documents {
        write("policy_json", name, text.as_bytes());
        let document = PolicyDocument::from_json(text).expect("a vector policy reads");
        write("policy_yaml", name, serde_yaml_ng::to_string(&document).expect("YAML").as_bytes());
        if let Ok(policy) = document.into_policy() {
            let snapshot = Snapshot { revision: 1, issued_at: NOW, expires_at: None, policy };
            let mut payload = vec![0];
            payload.extend_from_slice(&snapshot.encode().expect("encodes"));
            write("snapshot_payload", name, &payload);
        }
    }
    write("policy_yaml", "cli-walkthrough", read("examples/cli-walkthrough/policy.yaml").as_bytes());
    for (i, case) in json("tests/vectors/policy-errors.json").as_array().expect("a list").iter().enumerate() {
        let text = case["policy_text"].as_str().expect("policy_text");
        write("policy_json", &format!("error-{i:02}"), text.as_bytes());
    }

    // token: ours and every vector token.
    let fx = fixtures();
    let verified = signed_tokens()
        .iter()
        .filter(|t| tessera_core::verify_token(t, &fx.keys, &fx.options[0], NOW).is_ok())
        .count();
    assert_eq!(verified, 6, "all our tokens but the two expired ones verify");
    for (i, token) in signed_tokens().iter().enumerate() {
        write("token", &format!("signed-{i}"), token.as_bytes());
    }
    for (i, token) in vector_tokens().iter().enumerate() {
        write("token", &format!("vector-{i:03}"), token.as_bytes());
    }

    // sanitizer: the cases file, and every tenth string of each corpus; first byte 0
    // (no max_len), one case with a limit.
    let mut strings: Vec<String> = json("tests/vectors/sanitizer/cases.json")["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|case| case["input"].as_str().map(String::from))
        .collect();
    for corpus in ["xss", "sqli", "benign"] {
        let list = json(&format!("tests/vectors/sanitizer/{corpus}.json"));
        strings.extend(
            list.as_array().expect("a list").iter().step_by(10).filter_map(|s| s.as_str().map(String::from)),
        );
    }
    for (i, text) in strings.iter().enumerate() {
        let mut bytes = vec![if i == 0 { 5 } else { 0 }];
        bytes.extend_from_slice(text.as_bytes());
        write("sanitizer", &format!("{i:03}"), &bytes);
    }
}
