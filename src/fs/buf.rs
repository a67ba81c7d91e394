//! The buffer a [`File`](super::File)'s operations own while on the pool,
//! as tokio's `io::blocking::Buf`: a read's bytes not handed out yet, or a
//! write's copy of the caller's bytes.

use std::io::{self, Read, Write};

/// Bytes, and how many of them the reader has taken.
#[derive(Debug, Default)]
pub(super) struct Buf {
    bytes: Vec<u8>,
    taken: usize,
}

impl Buf {
    fn len(&self) -> usize {
        self.bytes.len() - self.taken
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.taken = 0;
    }

    /// Hands out as many unread bytes as `dst` holds.
    pub(super) fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.len());
        dst[..n].copy_from_slice(&self.bytes[self.taken..self.taken + n]);
        self.taken += n;
        if self.is_empty() {
            self.clear();
        }
        n
    }

    /// Takes a copy of up to `max` of `src`'s bytes, to be written.
    pub(super) fn copy_from(&mut self, src: &[u8], max: usize) -> usize {
        debug_assert!(self.is_empty(), "bytes read ahead are given back first");
        let n = src.len().min(max);
        self.clear();
        self.bytes.extend_from_slice(&src[..n]);
        n
    }

    /// One read of up to `max` bytes (retried if interrupted, as
    /// `read_exact` does): the caller sees a short read, never `EINTR`.
    pub(super) fn read_from(&mut self, from: &mut impl Read, max: usize) -> io::Result<usize> {
        debug_assert!(self.is_empty(), "a read starts once the last is handed out");
        self.clear();
        self.bytes.resize(max, 0);
        let read = loop {
            match from.read(&mut self.bytes) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => break read,
            }
        };
        self.bytes.truncate(*read.as_ref().unwrap_or(&0));
        read
    }

    /// Writes all the bytes; the buffer is empty afterwards, failed or not.
    pub(super) fn write_to(&mut self, to: &mut impl Write) -> io::Result<()> {
        let written = to.write_all(&self.bytes[self.taken..]);
        self.clear();
        written
    }

    /// Drops the unread bytes, returning the (negative) seek that gives
    /// them back to the OS cursor.
    pub(super) fn discard_read(&mut self) -> i64 {
        let back = -(self.len() as i64);
        self.clear();
        back
    }
}
