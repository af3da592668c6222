//! MessagePack writing with the no_std `messagepack-serde` crate. Its output is
//! byte-identical to `rmp_serde::to_vec_named` (structs as maps with field names); a
//! test proves it. Reading is [`super::reader`]'s.

use alloc::format;
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::SnapshotError;

/// Encodes a value. Our types always encode; the error arm only guards the API.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, SnapshotError> {
    messagepack_serde::to_vec(value)
        .map_err(|e| SnapshotError::Malformed { reason: format!("encoding: {e}") })
}
