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

/// Writes `lines` joined by `\n` into the buffer from `at` (past any input still
/// needed there), then the bytes of `tail`; returns the lines' length | the tail's
/// length << 16 (the lines' length alone when there is no tail).
pub(crate) fn put_answer(buffer: &mut [u8], at: usize, lines: &[&str], tail: &[u8]) -> Result<u32, Failure> {
    let lines_len = lines.iter().map(|line| line.len()).sum::<usize>() + lines.len().saturating_sub(1);
    // Identifiers, reasons and kids are short and signatures at most 512 bytes, so the
    // fields always fit and the answer can never be FAILED; refused all the same.
    if lines_len > 0xffff || tail.len() > 0x7fff {
        return Err(failure::argument("an answer is too long for the scratch buffer's fields"));
    }
    let too_small = || failure::argument("the scratch buffer is too small");
    let mut end = at;
    for (i, line) in lines.iter().enumerate() {
        let separator = usize::from(i > 0);
        let out = buffer.get_mut(end..end + separator + line.len()).ok_or_else(too_small)?;
        let (nl, text) = out.split_at_mut(separator);
        nl.fill(b'\n');
        text.copy_from_slice(line.as_bytes());
        end += separator + line.len();
    }
    buffer.get_mut(end..end + tail.len()).ok_or_else(too_small)?.copy_from_slice(tail);
    Ok(lines_len as u32 | (tail.len() as u32) << 16)
}
