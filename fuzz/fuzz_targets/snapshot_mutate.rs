//! A real signed snapshot (our fixture, plain or encrypted), mutated: the input is a
//! list of 4-byte edits (`op, position (u16 BE), byte`: xor, set, insert, remove).
//! Whatever the edits, an accepted result is the original snapshot (only the
//! unsigned framing can change), and an edit of the signed bytes (header or payload,
//! in place) is always refused.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_core::{Snapshot, SnapshotInfo};
use tessera_fuzz::{Layout, NOW, fixtures, seal_payload, snapshot};

struct Base {
    bytes: Vec<u8>,
    layout: Layout,
    snapshot: Snapshot,
    info: SnapshotInfo,
}

fn bases() -> &'static [Base; 2] {
    static BASES: OnceLock<[Base; 2]> = OnceLock::new();
    BASES.get_or_init(|| {
        let payload = snapshot().encode().expect("the fixture encodes");
        [false, true].map(|encrypted| {
            let (bytes, layout) = seal_payload(&payload, encrypted);
            let (snapshot, info) = fixtures().loader.open(&bytes, NOW).expect("the fixture opens");
            Base { bytes, layout, snapshot, info }
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, edits)) = data.split_first() else { return };
    let base = &bases()[usize::from(choice & 1)];
    let mut bytes = base.bytes.clone();
    let mut shifted = false;
    for edit in edits.chunks_exact(4) {
        if bytes.is_empty() {
            break;
        }
        let at = usize::from(u16::from_be_bytes([edit[1], edit[2]])) % bytes.len();
        match edit[0] % 4 {
            0 => bytes[at] ^= edit[3],
            1 => bytes[at] = edit[3],
            2 => {
                bytes.insert(at, edit[3]);
                shifted = true;
            }
            _ => {
                bytes.remove(at);
                shifted = true;
            }
        }
    }
    // In-place edits only: did the signed bytes end up different?
    let differs = |(start, end): (usize, usize)| bytes[start..end] != base.bytes[start..end];
    let signed_changed = !shifted && (differs(base.layout.header) || differs(base.layout.payload));
    if let Ok((snapshot, info)) = fixtures().loader.open(&bytes, NOW) {
        assert!(!signed_changed, "a change to the signed bytes was accepted");
        assert_eq!(snapshot, base.snapshot, "a mutated snapshot was accepted with other content");
        assert_eq!(info, base.info);
    }
});
