//! Reads the MessagePack a snapshot is made of, value by value.
//!
//! Snapshots are written with serde (`codec::encode`) but read with this reader:
//! a derived `Deserialize` for each wire type would carry its own copy of the
//! MessagePack decoder in every wasm face, while this reader is one small piece of
//! code for every type. It reads exactly
//! the shapes the writer produces (structs as maps with field names, tuples as
//! arrays) and refuses the rest, naming the field. Running out of bytes is
//! [`SnapshotError::Truncated`]; every other defect is
//! [`SnapshotError::Malformed`]. Field order is free, a duplicate field is refused,
//! and unknown fields are skipped unless the type says otherwise.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use messagepack_serde::messagepack_core::Format;

use crate::error::SnapshotError;

/// How deep [`Reader::skip`] follows unknown values: far beyond anything written,
/// shallow enough that a hostile payload cannot exhaust the stack.
const MAX_SKIP_DEPTH: u32 = 32;

/// The most a list reserves before its items are read: a forged length can claim
/// more items than the bytes left could hold once each is decoded into a wider
/// type, so the reservation is bounded in bytes, and the list grows as items come.
const MAX_RESERVE_BYTES: usize = 1 << 20;

/// A cursor over MessagePack bytes.
pub(crate) struct Reader<'de> {
    rest: &'de [u8],
}

/// A value of the wrong kind for `field`.
fn expected(field: &str, what: &str) -> SnapshotError {
    SnapshotError::Malformed { reason: format!("`{field}` must be {what}") }
}

impl<'de> Reader<'de> {
    pub(crate) fn new(bytes: &'de [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Refuses bytes after the value read: `what` names the value.
    pub(crate) fn finish(self, what: &str) -> Result<(), SnapshotError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(SnapshotError::Malformed { reason: format!("{what}: trailing bytes") })
        }
    }

    fn take(&mut self, len: usize) -> Result<&'de [u8], SnapshotError> {
        let (taken, rest) = self.rest.split_at_checked(len).ok_or(SnapshotError::Truncated)?;
        self.rest = rest;
        Ok(taken)
    }

    /// An unsigned big-endian number of `len` bytes (1, 2, 4 or 8).
    fn be(&mut self, len: usize) -> Result<u64, SnapshotError> {
        Ok(self.take(len)?.iter().fold(0, |n, &b| (n << 8) | u64::from(b)))
    }

    fn format(&mut self) -> Result<Format, SnapshotError> {
        Ok(Format::from_byte(self.take(1)?[0]))
    }

    /// The length a map, array, string or binary header announces; 0 for a format
    /// that carries none (callers pass only those that do).
    fn length(&mut self, format: Format) -> Result<usize, SnapshotError> {
        let len = match format {
            Format::FixMap(n) | Format::FixArray(n) | Format::FixStr(n) => u64::from(n),
            Format::Bin8 | Format::Str8 => self.be(1)?,
            Format::Bin16 | Format::Str16 | Format::Array16 | Format::Map16 => self.be(2)?,
            Format::Bin32 | Format::Str32 | Format::Array32 | Format::Map32 => self.be(4)?,
            _ => 0,
        };
        // At most u32::MAX, which fits every target's usize we build for.
        Ok(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// A map's entry count.
    pub(crate) fn map(&mut self, field: &str) -> Result<usize, SnapshotError> {
        let format = self.format()?;
        match format {
            Format::FixMap(_) | Format::Map16 | Format::Map32 => Ok(self.length(format)?),
            _ => Err(expected(field, "a map")),
        }
    }

    /// An array's length.
    pub(crate) fn array(&mut self, field: &str) -> Result<usize, SnapshotError> {
        let format = self.format()?;
        match format {
            Format::FixArray(_) | Format::Array16 | Format::Array32 => Ok(self.length(format)?),
            _ => Err(expected(field, "an array")),
        }
    }

    /// An array of exactly `len` items (a tuple).
    pub(crate) fn tuple(&mut self, field: &str, len: usize) -> Result<(), SnapshotError> {
        if self.array(field)? == len {
            Ok(())
        } else {
            Err(SnapshotError::Malformed { reason: format!("`{field}` must have {len} items") })
        }
    }

    /// A UTF-8 string, borrowed.
    pub(crate) fn str(&mut self, field: &str) -> Result<&'de str, SnapshotError> {
        let format = self.format()?;
        match format {
            Format::FixStr(_) | Format::Str8 | Format::Str16 | Format::Str32 => {
                let len = self.length(format)?;
                core::str::from_utf8(self.take(len)?).map_err(|_| expected(field, "UTF-8"))
            }
            _ => Err(expected(field, "a string")),
        }
    }

    /// A string, owned.
    pub(crate) fn string(&mut self, field: &str) -> Result<String, SnapshotError> {
        self.str(field).map(String::from)
    }

    /// Binary data, borrowed.
    pub(crate) fn bin(&mut self, field: &str) -> Result<&'de [u8], SnapshotError> {
        let format = self.format()?;
        match format {
            Format::Bin8 | Format::Bin16 | Format::Bin32 => {
                let len = self.length(format)?;
                self.take(len)
            }
            _ => Err(expected(field, "binary data")),
        }
    }

    /// An integer in any of MessagePack's encodings, as i128 so every one fits.
    fn integer(&mut self, field: &str) -> Result<i128, SnapshotError> {
        Ok(match self.format()? {
            Format::PositiveFixInt(n) => i128::from(n),
            Format::NegativeFixInt(n) => i128::from(n),
            Format::Uint8 => i128::from(self.be(1)?),
            Format::Uint16 => i128::from(self.be(2)?),
            Format::Uint32 => i128::from(self.be(4)?),
            Format::Uint64 => i128::from(self.be(8)?),
            // Sign-extended from their width.
            Format::Int8 => i128::from(self.be(1)? as u8 as i8),
            Format::Int16 => i128::from(self.be(2)? as u16 as i16),
            Format::Int32 => i128::from(self.be(4)? as u32 as i32),
            Format::Int64 => i128::from(self.be(8)? as i64),
            _ => return Err(expected(field, "an integer")),
        })
    }

    /// An integer that fits `T`.
    pub(crate) fn int<T: TryFrom<i128>>(&mut self, field: &str) -> Result<T, SnapshotError> {
        T::try_from(self.integer(field)?).map_err(|_| expected(field, "an integer in range"))
    }

    /// Whether the next value is nil, consuming it if so.
    pub(crate) fn nil(&mut self) -> bool {
        let nil = self.rest.first() == Some(&Format::Nil.as_byte());
        if nil {
            self.rest = &self.rest[1..];
        }
        nil
    }

    /// `item` or nil.
    pub(crate) fn option<T>(
        &mut self,
        item: impl FnOnce(&mut Self) -> Result<T, SnapshotError>,
    ) -> Result<Option<T>, SnapshotError> {
        if self.nil() { Ok(None) } else { item(self).map(Some) }
    }

    /// An array, each item read by `item`.
    pub(crate) fn list<T>(
        &mut self,
        field: &str,
        mut item: impl FnMut(&mut Self) -> Result<T, SnapshotError>,
    ) -> Result<Vec<T>, SnapshotError> {
        let len = self.array(field)?;
        // Every item takes at least a byte, and the reservation is bounded in bytes.
        let bound = MAX_RESERVE_BYTES / core::mem::size_of::<T>().max(1);
        let mut items = Vec::with_capacity(len.min(self.rest.len()).min(bound));
        for _ in 0..len {
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// An array of `u32`s.
    pub(crate) fn u32s(&mut self, field: &str) -> Result<Vec<u32>, SnapshotError> {
        self.list(field, |r| r.int(field))
    }

    /// An array of borrowed strings.
    pub(crate) fn strs(&mut self, field: &str) -> Result<Vec<&'de str>, SnapshotError> {
        self.list(field, |r| r.str(field))
    }

    /// A struct: a map whose keys are field names, each value read by `field` given
    /// its name; `field` answers false for a name it does not know, and such a
    /// field is skipped when `unknown_allowed`, else refused.
    pub(crate) fn fields(
        &mut self,
        what: &str,
        unknown_allowed: bool,
        mut field: impl FnMut(&mut Self, &'de str) -> Result<bool, SnapshotError>,
    ) -> Result<(), SnapshotError> {
        for _ in 0..self.map(what)? {
            let name = self.str(what).map_err(|e| match e {
                SnapshotError::Malformed { .. } => expected(what, "a map with string keys"),
                other => other,
            })?;
            if !field(self, name)? {
                if !unknown_allowed {
                    return Err(SnapshotError::Malformed {
                        reason: format!("`{what}` has an unknown field"),
                    });
                }
                self.skip(MAX_SKIP_DEPTH)?;
            }
        }
        Ok(())
    }

    /// Skips one value of any kind.
    fn skip(&mut self, depth: u32) -> Result<(), SnapshotError> {
        let Some(depth) = depth.checked_sub(1) else {
            return Err(SnapshotError::Malformed { reason: "an unknown field nests too deeply".into() });
        };
        let format = self.format()?;
        // Bytes to pass over, then nested values to skip.
        let (bytes, items) = match format {
            Format::Uint8 | Format::Int8 => (1, 0),
            Format::Uint16 | Format::Int16 => (2, 0),
            Format::Uint32 | Format::Int32 | Format::Float32 => (4, 0),
            Format::Uint64 | Format::Int64 | Format::Float64 => (8, 0),
            // An extension's type byte, then its data.
            Format::FixExt1 => (2, 0),
            Format::FixExt2 => (3, 0),
            Format::FixExt4 => (5, 0),
            Format::FixExt8 => (9, 0),
            Format::FixExt16 => (17, 0),
            Format::Ext8 => (1 + self.be(1)?, 0),
            Format::Ext16 => (1 + self.be(2)?, 0),
            Format::Ext32 => (1 + self.be(4)?, 0),
            Format::FixArray(_) | Format::Array16 | Format::Array32 => (0, self.length(format)?),
            Format::FixMap(_) | Format::Map16 | Format::Map32 => (0, self.length(format)?.saturating_mul(2)),
            Format::FixStr(_)
            | Format::Str8
            | Format::Str16
            | Format::Str32
            | Format::Bin8
            | Format::Bin16
            | Format::Bin32 => (self.length(format)? as u64, 0),
            Format::NeverUsed => return Err(expected("value", "valid MessagePack")),
            Format::PositiveFixInt(_)
            | Format::NegativeFixInt(_)
            | Format::Nil
            | Format::False
            | Format::True => (0, 0),
        };
        self.take(usize::try_from(bytes).unwrap_or(usize::MAX))?;
        for _ in 0..items {
            self.skip(depth)?;
        }
        Ok(())
    }
}

/// Fills `slot` with a field's value, refusing a second one.
pub(crate) fn once<T>(slot: &mut Option<T>, value: T, field: &str) -> Result<bool, SnapshotError> {
    match slot.replace(value) {
        None => Ok(true),
        Some(_) => Err(SnapshotError::Malformed { reason: format!("`{field}` appears twice") }),
    }
}

/// A field that must have been present.
pub(crate) fn required<T>(slot: Option<T>, field: &str) -> Result<T, SnapshotError> {
    slot.ok_or_else(|| SnapshotError::Malformed { reason: format!("`{field}` is missing") })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{"a": <value>}` read as a struct with one `u64` field `a`.
    fn read_a(bytes: &[u8], unknown_allowed: bool) -> Result<Option<u64>, SnapshotError> {
        let mut reader = Reader::new(bytes);
        let mut a = None;
        reader.fields("test", unknown_allowed, |r, name| match name {
            "a" => once(&mut a, r.int("a")?, "a"),
            _ => Ok(false),
        })?;
        reader.finish("test")?;
        Ok(a)
    }

    fn malformed(result: Result<Option<u64>, SnapshotError>) -> bool {
        matches!(result, Err(SnapshotError::Malformed { .. }))
    }

    #[test]
    fn every_integer_encoding_that_fits_is_read() {
        for value in [
            &[0x07][..],
            &[0xcc, 7],
            &[0xcd, 0, 7],
            &[0xce, 0, 0, 0, 7],
            &[0xcf, 0, 0, 0, 0, 0, 0, 0, 7],
            &[0xd0, 7],
            &[0xd3, 0, 0, 0, 0, 0, 0, 0, 7],
        ] {
            let bytes = [&[0x81, 0xa1, b'a'][..], value].concat();
            assert_eq!(read_a(&bytes, false), Ok(Some(7)), "{value:x?}");
        }
        // Negative, or a float, is not a u64.
        assert!(malformed(read_a(&[0x81, 0xa1, b'a', 0xff], false)));
        assert!(malformed(read_a(&[0x81, 0xa1, b'a', 0xd0, 0x80], false)));
        assert!(malformed(read_a(&[0x81, 0xa1, b'a', 0xca, 0, 0, 0, 0], false)));
        let mut reader = Reader::new(&[0xcd, 1, 0]);
        assert!(reader.int::<u8>("small").is_err());
    }

    #[test]
    fn structs_are_maps_without_duplicates() {
        assert!(malformed(read_a(&[0x82, 0xa1, b'a', 1, 0xa1, b'a', 2], false)));
        // An array is not a struct, even one with the right items.
        assert!(malformed(read_a(&[0x91, 1], false)));
        assert!(malformed(read_a(&[0x81, 0xa1, b'a', 1, 0xc0], false)));
    }

    #[test]
    fn unknown_fields_are_skipped_whole_or_refused() {
        // {"x": {"y": [1, "z", b"\0", nil, 1.5]}, "a": 3}
        let bytes = [
            0x82, 0xa1, b'x', 0x81, 0xa1, b'y', 0x95, 1, 0xa1, b'z', 0xc4, 1, 0, 0xc0, 0xcb, 0x3f, 0xf8, 0,
            0, 0, 0, 0, 0, 0xa1, b'a', 3,
        ];
        assert_eq!(read_a(&bytes, true), Ok(Some(3)));
        assert!(malformed(read_a(&bytes, false)));
        // A reserved byte is no value at all.
        assert!(malformed(read_a(&[0x81, 0xa1, b'x', 0xc1], true)));
        // Nesting past the limit is refused, not followed down the stack.
        let mut deep = [0x81, 0xa1, b'x'].to_vec();
        deep.extend([0x91; 64]);
        deep.push(1);
        assert!(malformed(read_a(&deep, true)));
    }

    #[test]
    fn missing_bytes_are_truncation() {
        assert_eq!(read_a(&[0x81, 0xa1, b'a', 0xcd, 0], false), Err(SnapshotError::Truncated));
        assert_eq!(read_a(&[0x81, 0xa5, b'a'], false), Err(SnapshotError::Truncated));
        let mut reader = Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff]);
        // A forged length reserves nothing it cannot fill.
        assert_eq!(reader.u32s("list"), Err(SnapshotError::Truncated));
    }

    #[test]
    fn strings_are_utf8_and_bin_is_not_a_string() {
        let mut reader = Reader::new(&[0xa2, 0xc3, 0x28]);
        assert!(matches!(reader.str("s"), Err(SnapshotError::Malformed { .. })));
        let mut reader = Reader::new(&[0xc4, 1, b'a']);
        assert!(matches!(reader.str("s"), Err(SnapshotError::Malformed { .. })));
        let mut reader = Reader::new(&[0xa1, b'a']);
        assert!(matches!(reader.bin("b"), Err(SnapshotError::Malformed { .. })));
    }
}
