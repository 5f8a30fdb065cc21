//! Bounds-checked reading of the little pieces both formats are made of: bytes and
//! unsigned LEB128 varints. Every failure names the absolute byte offset in the file.

use super::error::{Result, TraceError};

/// A position in a byte slice that is itself a window of the whole file starting at `base`,
/// so that errors can name the offset in the file and not in the window.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8], base: usize) -> Self {
        Cursor { data, pos: 0, base }
    }

    /// Offset in the file of the next unread byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn byte(&mut self, what: &str) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(TraceError::truncated(self.offset(), what)),
        }
    }

    pub fn bytes(&mut self, n: u64, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(TraceError::truncated(
                self.offset() + self.remaining(),
                format_args!("{what} ({n} bytes, {} left)", self.remaining()),
            ));
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.data[start..self.pos])
    }

    /// An unsigned LEB128 varint of at most 10 bytes, as Go's `binary.Uvarint` writes them.
    #[inline]
    pub fn uvarint(&mut self, what: &str) -> Result<u64> {
        let start = self.pos;
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(TraceError::truncated(self.offset(), what));
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(TraceError::malformed(self.base + start, format_args!("{what}: a varint that fits in 64 bits")));
            }
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// A varint that is used as a length or count: refuses values larger than the bytes
    /// left, so that corrupt input can never make the reader allocate more than the file.
    pub fn length(&mut self, what: &str) -> Result<u64> {
        let at = self.offset();
        let n = self.uvarint(what)?;
        if n > self.remaining() as u64 {
            return Err(TraceError::malformed(
                at,
                format_args!("{what} of at most {} (the bytes left), found {n}: the file is truncated or corrupt", self.remaining()),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_varints_like_go() {
        let mut c = Cursor::new(&[0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 0);
        assert_eq!(c.uvarint("a").unwrap(), 1);
        assert_eq!(c.uvarint("b").unwrap(), 300);
        assert_eq!(c.uvarint("c").unwrap(), u64::MAX);
        assert!(c.is_empty());
    }

    #[test]
    fn names_the_file_offset_of_a_truncated_varint() {
        let mut c = Cursor::new(&[0x80, 0x80], 100);
        let err = c.uvarint("event type").unwrap_err();
        assert_eq!(err, TraceError::truncated(102, "event type"));
    }

    #[test]
    fn refuses_varints_wider_than_64_bits() {
        let mut c = Cursor::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], 7);
        assert!(matches!(c.uvarint("x"), Err(TraceError::Malformed { offset: 7, .. })));
    }

    #[test]
    fn refuses_lengths_beyond_the_input() {
        let mut c = Cursor::new(&[0x90, 0x4e, 1, 2, 3], 0);
        assert!(matches!(c.length("string length"), Err(TraceError::Malformed { offset: 0, .. })));
    }
}
