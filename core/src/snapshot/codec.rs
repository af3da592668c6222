//! MessagePack with the no_std `messagepack-serde` crate. Its output is byte-identical
//! to `rmp_serde::to_vec_named` (structs as maps with field names); a test proves it.

use alloc::format;
use alloc::vec::Vec;

use messagepack_serde::messagepack_core::decode::Error as CoreError;
use messagepack_serde::messagepack_core::io::{IoRead, RError, Reference, SliceReader};
use serde::{Deserialize, Serialize};

use crate::error::SnapshotError;

/// Encodes a value. Our types always encode; the error arm only guards the API.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, SnapshotError> {
    messagepack_serde::to_vec(value)
        .map_err(|e| SnapshotError::Malformed { reason: format!("encoding: {e}") })
}

/// Decodes exactly one value filling all of `bytes`: trailing bytes are malformed,
/// missing bytes are truncation.
pub(crate) fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8], what: &str) -> Result<T, SnapshotError> {
    let mut reader = Exact { inner: SliceReader::new(bytes), ran_out: false };
    let decoded = messagepack_serde::de::from_core_reader(&mut reader);
    // A decoder may report running out of bytes as another error: the reader knows.
    let value = decoded.map_err(|e| match e {
        _ if reader.ran_out => SnapshotError::Truncated,
        messagepack_serde::de::Error::Decode(CoreError::UnexpectedEof | CoreError::Io(_)) => {
            SnapshotError::Truncated
        }
        other => SnapshotError::Malformed { reason: format!("{what}: {other}") },
    })?;
    if !reader.inner.rest().is_empty() {
        return Err(SnapshotError::Malformed { reason: format!("{what}: trailing bytes") });
    }
    Ok(value)
}

/// A slice reader we keep hold of, to see what remains after decoding and whether
/// the decoder asked for more than there was.
struct Exact<'de> {
    inner: SliceReader<'de>,
    ran_out: bool,
}

impl<'de> IoRead<'de> for &mut Exact<'de> {
    type Error = RError;

    fn read_slice<'a>(&'a mut self, len: usize) -> Result<Reference<'de, 'a>, RError> {
        let read = self.inner.read_slice(len);
        self.ran_out |= read.is_err();
        read
    }
}
