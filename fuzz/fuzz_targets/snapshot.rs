//! Arbitrary bytes as a snapshot file: the envelope reader, the header peek and the
//! loader (our key and the demo key trusted, our AES key for decryption). It must
//! never panic; what it accepts must pass every round trip (`check_snapshot`) and
//! agree with what `peek_header` reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_core::peek_header;
use tessera_fuzz::{NOW, check_snapshot, fixtures};

fuzz_target!(|data: &[u8]| {
    let fx = fixtures();
    let peeked = peek_header(data);
    if let Ok((snapshot, info)) = fx.loader.open(data, NOW) {
        let (kid, encrypted_with) = peeked.expect("an accepted envelope has a readable header");
        assert_eq!(kid, info.signed_by);
        assert_eq!(encrypted_with, info.encrypted_with);
        check_snapshot(&fx.loader, &fx.key, &snapshot, &info);
    }
});
