//! One reused buffer in wasm memory for the hot calls (`can`, `check`, `check_many`):
//! the wrapper writes the arguments into it and reads short answers back from it,
//! so a call allocates nothing and crosses into wasm once. wasm-bindgen's own
//! string passing costs an allocation and a free per argument, more than a check.

use core::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::failure::{self, Failure};

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Makes the buffer at least `len` bytes and returns its address in wasm memory.
/// The address stays valid until the next call of `scratch` (only this grows it).
#[wasm_bindgen]
pub fn scratch(len: u32) -> u32 {
    SCRATCH.with_borrow_mut(|buffer| {
        let len = len as usize;
        if buffer.len() < len {
            buffer.resize(len, 0);
        }
        // An address in the 32-bit wasm memory (the wrapper's only target).
        buffer.as_mut_ptr() as usize as u32
    })
}

/// Runs `f` on the buffer.
pub(crate) fn with<R>(f: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with_borrow_mut(|buffer| f(buffer))
}

/// The first `a + b` bytes of the buffer as two strings.
pub(crate) fn two_strs(buffer: &[u8], a: u32, b: u32) -> Result<(&str, &str), Failure> {
    let (a, b) = (a as usize, b as usize);
    let bytes = buffer.get(..a + b).ok_or_else(|| failure::argument("lengths exceed the scratch buffer"))?;
    let (first, second) = bytes.split_at(a);
    let utf8 = |bytes| core::str::from_utf8(bytes).map_err(|_| failure::argument("an argument is not UTF-8"));
    Ok((utf8(first)?, utf8(second)?))
}

/// Writes `lines` joined by `\n` at the start of the buffer (the inputs there are
/// read by then); returns the length written.
pub(crate) fn put_lines(buffer: &mut [u8], lines: &[&str]) -> Result<u32, Failure> {
    let mut at = 0;
    for (i, line) in lines.iter().enumerate() {
        let bytes = line.as_bytes();
        let separator = usize::from(i > 0);
        let out = buffer
            .get_mut(at..at + separator + bytes.len())
            .ok_or_else(|| failure::argument("the scratch buffer is too small"))?;
        let (nl, text) = out.split_at_mut(separator);
        nl.fill(b'\n');
        text.copy_from_slice(bytes);
        at += separator + bytes.len();
    }
    Ok(at as u32)
}
