//! The snapshot payload decoder behind a valid signature: the harness signs what
//! the fuzzer writes (our key, our envelope writer), so the MessagePack decoder and
//! the policy validation see arbitrary bytes. First byte: 0 a plain payload, 1 an
//! encrypted one, 2 a header of the fuzzer's own (next byte its length) and a
//! payload. Never panics; an accepted snapshot passes every round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_fuzz::{NOW, SNAPSHOT_KID, check_snapshot, envelope, fixtures, seal_payload};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let (bytes, expect_kid) = match mode % 3 {
        0 => (seal_payload(rest, false).0, true),
        1 => (seal_payload(rest, true).0, true),
        _ => {
            let Some((&len, rest)) = rest.split_first() else { return };
            let (header, payload) = rest.split_at(usize::from(len).min(rest.len()));
            (envelope(header, payload).0, false)
        }
    };
    let fx = fixtures();
    if let Ok((snapshot, info)) = fx.loader.open(&bytes, NOW) {
        if expect_kid {
            assert_eq!(info.signed_by, SNAPSHOT_KID);
            assert_eq!(info.encrypted_with.is_some(), mode % 3 == 1);
        }
        check_snapshot(&fx.loader, &fx.key, &snapshot, &info);
    }
});
