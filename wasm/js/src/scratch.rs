//! The scratch buffer and the calling convention of the hot calls (the table in the
//! crate docs): one reused buffer in wasm memory that the wrapper writes the inputs
//! into and reads the output from, and one number back. A call crosses into wasm once
//! and passes no string through wasm-bindgen, whose string passing costs an
//! allocation and a free per argument, more than a check.
//!
//! Every length here is checked: a length that overflows or runs past the buffer is
//! `ERR_INVALID_ARGUMENT`, never a panic (a panic aborts the module with the buffer
//! still borrowed, and every later call would fail).

use core::cell::RefCell;

use tessera_abi::wire::unframe;
use wasm_bindgen::prelude::*;

use crate::failure::{self, Failure};

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// What a hot call returns when it failed; the failure then waits in `take_failure`.
/// No answer packs to it: the output length stays below [`MAX_OUTPUT`].
pub(crate) const FAILED: u32 = u32::MAX;

/// The largest output a packed answer can announce (24 bits, all ones excluded).
const MAX_OUTPUT: usize = (1 << 24) - 2;

/// Makes the buffer at least `len` bytes and returns its address in wasm memory, or
/// 0 when the memory cannot be had (the buffer is then as it was: growing must not
/// abort, or the buffer would stay borrowed for good). The address stays valid until
/// the next call of `scratch` (only this grows it).
#[wasm_bindgen]
pub fn scratch(len: u32) -> u32 {
    SCRATCH.with_borrow_mut(|buffer| {
        let len = len as usize;
        if let Some(more) = len.checked_sub(buffer.len()).filter(|&more| more > 0) {
            if buffer.try_reserve_exact(more).is_err() {
                return 0;
            }
            buffer.resize(len, 0);
        }
        // An address in the 32-bit wasm memory (the wrapper's only target).
        buffer.as_mut_ptr() as usize as u32
    })
}

/// `check`'s value: bit 0 allowed, bits 1-7 the reason's code.
pub(crate) fn decision_value(decision: &tessera_core::Decision<'_>) -> u8 {
    decision.reason().code() << 1 | u8::from(decision.allowed())
}

/// The WebCrypto calls' value: bit 0 the outcome for a valid signature, bit 1 for an
/// invalid one (allowed, or claims accepted).
pub(crate) fn verdict_bits(valid: bool, invalid: bool) -> u8 {
    u8::from(valid) | u8::from(invalid) << 1
}

/// The inputs of a call: the first bytes of the buffer, back to back.
pub(crate) struct Inputs<'b> {
    rest: &'b [u8],
}

impl<'b> Inputs<'b> {
    /// The next `len` bytes.
    fn bytes(&mut self, len: u32) -> Result<&'b [u8], Failure> {
        let (head, tail) = self
            .rest
            .split_at_checked(len as usize)
            .ok_or_else(|| failure::argument("an input runs past the scratch buffer"))?;
        self.rest = tail;
        Ok(head)
    }

    /// The next input, a string of `len` bytes.
    pub(crate) fn str(&mut self, len: u32) -> Result<&'b str, Failure> {
        core::str::from_utf8(self.bytes(len)?).map_err(|_| failure::argument("an input is not UTF-8"))
    }

    /// The next input, a framed list of `len` bytes (each item `u32 len` + bytes, as
    /// the guest's ABI frames lists).
    pub(crate) fn list(&mut self, len: u32) -> Result<Vec<&'b str>, Failure> {
        unframe(self.bytes(len)?).ok_or_else(|| failure::argument("a list input is not framed UTF-8"))
    }
}

/// The output of a call, written right after its inputs.
pub(crate) struct Output<'b> {
    buffer: &'b mut [u8],
    len: usize,
}

impl Output<'_> {
    /// The next `len` bytes of the output, to be filled by the caller.
    pub(crate) fn slot(&mut self, len: usize) -> Result<&mut [u8], Failure> {
        let start = self.len;
        let end = start.checked_add(len).filter(|&end| end <= MAX_OUTPUT);
        let slot = end
            .and_then(|end| self.buffer.get_mut(start..end))
            .ok_or_else(|| failure::argument("the scratch buffer is too small for the answer"))?;
        self.len = start + len;
        Ok(slot)
    }

    /// Appends raw bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.slot(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// Appends one field: `u32 len` + bytes.
    pub(crate) fn field(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let len = u32::try_from(bytes.len()).map_err(|_| failure::argument("an answer field is too long"))?;
        self.bytes(&len.to_le_bytes())?;
        self.bytes(bytes)
    }

    /// Appends several fields.
    pub(crate) fn fields(&mut self, fields: &[&[u8]]) -> Result<(), Failure> {
        fields.iter().try_for_each(|field| self.field(field))
    }
}

/// Runs a hot call: `input_lens` are the lengths of its inputs (they must fit the
/// buffer, their sum included); `f` reads them, writes its output, and returns the
/// call's one-byte value. Returns the packed answer, or [`FAILED`] with the failure
/// kept for `take_failure`.
pub(crate) fn call(
    input_lens: &[u32],
    f: impl FnOnce(&mut Inputs<'_>, &mut Output<'_>) -> Result<u8, Failure>,
) -> u32 {
    let answer = SCRATCH.with_borrow_mut(|buffer| {
        let total = input_lens
            .iter()
            .try_fold(0usize, |sum, &len| sum.checked_add(len as usize))
            .ok_or_else(|| failure::argument("input lengths overflow"))?;
        let (inputs, after) = buffer
            .split_at_mut_checked(total)
            .ok_or_else(|| failure::argument("the inputs run past the scratch buffer"))?;
        let mut output = Output { buffer: after, len: 0 };
        let value = f(&mut Inputs { rest: inputs }, &mut output)?;
        Ok(pack(value, output.len))
    });
    failure::answer(answer)
}

/// The answer of a hot call: its value in bits 0-7, the length of its output in bits
/// 8-31. (`Output` keeps the length at most [`MAX_OUTPUT`], so this is never [`FAILED`].)
fn pack(value: u8, output_len: usize) -> u32 {
    u32::from(value) | (output_len.min(MAX_OUTPUT) as u32) << 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_never_pack_to_failed() {
        assert_ne!(pack(u8::MAX, MAX_OUTPUT), FAILED);
        assert_eq!(pack(3, 10), 3 | 10 << 8);
    }

    #[test]
    fn lengths_that_overflow_or_overrun_fail_without_panicking() {
        scratch(16);
        let failed = call(&[u32::MAX, u32::MAX, 2], |_, _| Ok(0));
        assert_eq!(failed, FAILED);
        assert!(crate::take_failure().contains("ERR_INVALID_ARGUMENT"));
        assert_eq!(call(&[17], |_, _| Ok(0)), FAILED);
        crate::take_failure();
        // The buffer is usable afterwards.
        assert_eq!(call(&[4], |inputs, _| inputs.str(4).map(|_| 1)), 1);
    }

    #[test]
    fn output_that_does_not_fit_fails() {
        scratch(8);
        assert_eq!(call(&[0], |_, output| output.field(&[0; 16]).map(|()| 0)), FAILED);
        assert!(crate::take_failure().contains("too small"));
    }
}
