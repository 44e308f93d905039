//! Bytes in, bytes out: how a job's arguments and result cross to a worker process and back.
//!
//! Python pickles a job's function and arguments; a Rust program cannot send a closure to
//! another process, so a process-pool job is a function registered by name that takes bytes
//! and returns bytes. These helpers turn the usual values into bytes and back: integers as 8
//! little-endian bytes, strings and byte strings as a 4-byte length and their bytes, lists as
//! a count and their items. An [`Encoder`] writes values one after another; a [`Decoder`]
//! reads them back in the same order and says clearly what is missing or left over.
//!
//! # Examples
//! ```
//! use steploop::process::{Decoder, Encoder};
//!
//! let bytes = Encoder::new().str("古明地觉").u64(16).finish();
//! let mut decoder = Decoder::new(&bytes);
//! assert_eq!(decoder.str().unwrap(), "古明地觉");
//! assert_eq!(decoder.u64().unwrap(), 16);
//! decoder.finish().unwrap();
//! ```

use crate::Error;

/// Writes values into a byte buffer, one after another.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    bytes: Vec<u8>,
}

impl Encoder {
    /// An empty buffer.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Appends an unsigned integer (8 bytes, little-endian).
    pub fn u64(mut self, value: u64) -> Encoder {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// Appends a signed integer (8 bytes, little-endian).
    pub fn i64(mut self, value: i64) -> Encoder {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// Appends a byte string: its length, then its bytes.
    ///
    /// # Panics
    /// If it is 4 GiB or longer: send such data in pieces.
    pub fn bytes(mut self, value: &[u8]) -> Encoder {
        let len = u32::try_from(value.len())
            .expect("a value of 4 GiB or more cannot be encoded: split it into several jobs");
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(value);
        self
    }

    /// Appends a string: its length in bytes, then its UTF-8.
    pub fn str(self, value: &str) -> Encoder {
        self.bytes(value.as_bytes())
    }

    /// Appends a list of integers: the count, then each.
    pub fn u64s(self, values: &[u64]) -> Encoder {
        values
            .iter()
            .fold(self.u64(values.len() as u64), |encoder, &v| encoder.u64(v))
    }

    /// Appends a list of strings: the count, then each.
    pub fn strs<S: AsRef<str>>(self, values: &[S]) -> Encoder {
        values
            .iter()
            .fold(self.u64(values.len() as u64), |encoder, s| {
                encoder.str(s.as_ref())
            })
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads values back from bytes an [`Encoder`] wrote, in the same order.
///
/// Every read fails with a message that names what was expected and where, rather than
/// panicking: the bytes come from another process, which may be a different program.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Decoder<'a> {
    /// Starts reading at the first byte.
    pub fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { bytes, position: 0 }
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], Error> {
        let rest = &self.bytes[self.position..];
        if rest.len() < len {
            return Err(Error::msg(format!(
                "cannot decode {what} at byte {}: {len} bytes needed, {} left; encode and \
                 decode the same values in the same order",
                self.position,
                rest.len()
            )));
        }
        self.position += len;
        Ok(&rest[..len])
    }

    /// Reads an unsigned integer.
    ///
    /// # Errors
    /// If fewer than 8 bytes are left.
    pub fn u64(&mut self) -> Result<u64, Error> {
        let bytes = self.take(8, "an integer")?;
        Ok(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }

    /// Reads a signed integer.
    ///
    /// # Errors
    /// If fewer than 8 bytes are left.
    pub fn i64(&mut self) -> Result<i64, Error> {
        let bytes = self.take(8, "an integer")?;
        Ok(i64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }

    /// Reads a byte string.
    ///
    /// # Errors
    /// If its length or its bytes are missing.
    pub fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let len = self.take(4, "a length")?;
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        self.take(len, "a byte string")
    }

    /// Reads a string.
    ///
    /// # Errors
    /// If its length or its bytes are missing, or they are not UTF-8.
    pub fn str(&mut self) -> Result<&'a str, Error> {
        let start = self.position;
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes).map_err(|e| {
            Error::msg(format!(
                "cannot decode a string at byte {start}: {e}; was it encoded with Encoder::str?"
            ))
        })
    }

    /// Reads a list of integers.
    ///
    /// # Errors
    /// If the count or an item is missing.
    pub fn u64s(&mut self) -> Result<Vec<u64>, Error> {
        let count = self.count(8)?;
        (0..count).map(|_| self.u64()).collect()
    }

    /// Reads a list of strings.
    ///
    /// # Errors
    /// If the count or an item is missing, or an item is not UTF-8.
    pub fn strs(&mut self) -> Result<Vec<&'a str>, Error> {
        let count = self.count(4)?;
        (0..count).map(|_| self.str()).collect()
    }

    /// Reads a list's count, checking that the bytes left could hold that many items of at
    /// least `item_size` bytes (so that a corrupt count cannot make us allocate gigabytes).
    fn count(&mut self, item_size: usize) -> Result<usize, Error> {
        let at = self.position;
        let count = self.u64()?;
        let left = self.bytes.len() - self.position;
        match usize::try_from(count) {
            Ok(count) if count <= left / item_size => Ok(count),
            _ => Err(Error::msg(format!(
                "cannot decode a list at byte {at}: it claims {count} items, but only {left} \
                 bytes are left"
            ))),
        }
    }

    /// Checks that every byte was read.
    ///
    /// # Errors
    /// If bytes are left over: the two sides disagree about what was sent.
    pub fn finish(self) -> Result<(), Error> {
        let left = self.bytes.len() - self.position;
        if left == 0 {
            Ok(())
        } else {
            Err(Error::msg(format!(
                "{left} bytes left over after decoding: the decoder read fewer values than \
                 were encoded"
            )))
        }
    }
}

/// `Encoder::new().u64(value).finish()`: one integer as bytes.
pub fn encode_u64(value: u64) -> Vec<u8> {
    Encoder::new().u64(value).finish()
}

/// Reads back what [`encode_u64`] wrote.
///
/// # Errors
/// If `bytes` is not exactly one integer.
pub fn decode_u64(bytes: &[u8]) -> Result<u64, Error> {
    let mut decoder = Decoder::new(bytes);
    let value = decoder.u64()?;
    decoder.finish()?;
    Ok(value)
}

/// `Encoder::new().str(value).finish()`: one string as bytes.
pub fn encode_str(value: &str) -> Vec<u8> {
    Encoder::new().str(value).finish()
}

/// Reads back what [`encode_str`] wrote.
///
/// # Errors
/// If `bytes` is not exactly one string.
pub fn decode_str(bytes: &[u8]) -> Result<&str, Error> {
    let mut decoder = Decoder::new(bytes);
    let value = decoder.str()?;
    decoder.finish()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_in_order() {
        let bytes = Encoder::new()
            .u64(7)
            .i64(-3)
            .str("word")
            .bytes(&[0, 255])
            .u64s(&[1, 2, 3])
            .strs(&["a", "bc"])
            .finish();
        let mut d = Decoder::new(&bytes);
        assert_eq!(d.u64().unwrap(), 7);
        assert_eq!(d.i64().unwrap(), -3);
        assert_eq!(d.str().unwrap(), "word");
        assert_eq!(d.bytes().unwrap(), &[0, 255]);
        assert_eq!(d.u64s().unwrap(), vec![1, 2, 3]);
        assert_eq!(d.strs().unwrap(), vec!["a", "bc"]);
        d.finish().unwrap();
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        let error = decode_u64(&[1, 2, 3]).unwrap_err().to_string();
        assert!(error.contains("8 bytes needed, 3 left"), "{error}");
        let error = decode_u64(&[0; 9]).unwrap_err().to_string();
        assert!(error.contains("1 bytes left over"), "{error}");
        let error = Decoder::new(&encode_u64(u64::MAX)).u64s().unwrap_err();
        assert!(error.to_string().contains("claims"), "{error}");
        let not_utf8 = Encoder::new().bytes(&[0xff]).finish();
        let error = decode_str(&not_utf8).unwrap_err().to_string();
        assert!(error.contains("Encoder::str"), "{error}");
    }
}
