//! Anonymous pipes whose ends suspend their task: `corun::io::pipe()`.

use super::traits::{evented_fd, evented_read, evented_write};
use super::Evented;
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;

/// The reading end of a [`pipe`]: `std::io::Read` and
/// `futures::io::AsyncRead`, for the end and for `&end`.
pub struct PipeReader {
    io: Evented<mio::unix::pipe::Receiver>,
}

/// The writing end of a [`pipe`]: `std::io::Write` and
/// `futures::io::AsyncWrite`. Dropping it ends the stream: the reader then
/// reads `Ok(0)`. Writing after the reader is gone fails with
/// `BrokenPipe` (Rust ignores `SIGPIPE`).
pub struct PipeWriter {
    io: Evented<mio::unix::pipe::Sender>,
}

/// An anonymous pipe (`pipe2` with `O_NONBLOCK | O_CLOEXEC`): what is
/// written to the writer is read from the reader, in order. Both ends
/// suspend their task while the pipe is empty or full; outside a task they
/// block the thread.
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
///
/// let ex = corun::Executor::new();
/// let lines = ex.block_on(|| {
///     let (reader, mut writer) = corun::io::pipe().unwrap();
///     corun::spawn(move || {
///         for i in 0..3 {
///             writeln!(writer, "line {i}").unwrap();
///         }
///     });
///     BufReader::new(reader).lines().count()
/// });
/// assert_eq!(lines, 3);
/// ```
pub fn pipe() -> io::Result<(PipeReader, PipeWriter)> {
    let (sender, receiver) = mio::unix::pipe::new()?;
    Ok((
        PipeReader {
            io: Evented::new(receiver),
        },
        PipeWriter {
            io: Evented::new(sender),
        },
    ))
}

fn no_timeout<T>(_: &T) -> Option<std::time::Duration> {
    None
}

evented_read!(PipeReader, "PipeReader::read", no_timeout);
evented_write!(
    PipeWriter,
    "PipeWriter::write",
    no_timeout,
    |_: &PipeWriter| Ok(())
);
evented_fd!(PipeReader);
evented_fd!(PipeWriter);

impl From<PipeReader> for OwnedFd {
    /// The fd, deregistered, still non-blocking.
    fn from(reader: PipeReader) -> OwnedFd {
        reader.io.into_inner().into()
    }
}

impl From<PipeWriter> for OwnedFd {
    /// The fd, deregistered, still non-blocking.
    fn from(writer: PipeWriter) -> OwnedFd {
        writer.io.into_inner().into()
    }
}

impl TryFrom<OwnedFd> for PipeReader {
    type Error = io::Error;

    /// Takes the reading end of a pipe made elsewhere; sets it
    /// non-blocking.
    fn try_from(fd: OwnedFd) -> io::Result<Self> {
        let receiver = mio::unix::pipe::Receiver::from(fd);
        receiver.set_nonblocking(true)?;
        Ok(PipeReader {
            io: Evented::new(receiver),
        })
    }
}

impl TryFrom<OwnedFd> for PipeWriter {
    type Error = io::Error;

    /// Takes the writing end of a pipe made elsewhere; sets it
    /// non-blocking.
    fn try_from(fd: OwnedFd) -> io::Result<Self> {
        let sender = mio::unix::pipe::Sender::from(fd);
        sender.set_nonblocking(true)?;
        Ok(PipeWriter {
            io: Evented::new(sender),
        })
    }
}

/// `from_std` and `into_std` for one end, as the sockets have.
macro_rules! std_conversions {
    ($corun:ident, $std:ty, $end:literal) => {
        impl $corun {
            #[doc = concat!("Takes std's ", $end, " end (`std::io::pipe`); sets it non-blocking.")]
            pub fn from_std(end: $std) -> io::Result<Self> {
                Self::try_from(OwnedFd::from(end))
            }

            #[doc = concat!("std's ", $end, " end, deregistered, back in blocking mode.")]
            pub fn into_std(self) -> io::Result<$std> {
                let end = self.io.into_inner();
                end.set_nonblocking(false)?;
                Ok(OwnedFd::from(end).into())
            }
        }
    };
}

std_conversions!(PipeReader, std::io::PipeReader, "reading");
std_conversions!(PipeWriter, std::io::PipeWriter, "writing");

/// `TryFrom` conversions from std's pipe ends, and from the pipes of a
/// child spawned by `std::process::Command` (tokio's `from_std`).
macro_rules! from_std_end {
    ($corun:ty: $($std:ty),+) => {$(
        impl TryFrom<$std> for $corun {
            type Error = io::Error;

            /// Takes the pipe end; sets it non-blocking.
            fn try_from(end: $std) -> io::Result<Self> {
                Self::try_from(OwnedFd::from(end))
            }
        }
    )+};
}

from_std_end!(PipeReader: std::io::PipeReader, std::process::ChildStdout, std::process::ChildStderr);
from_std_end!(PipeWriter: std::io::PipeWriter, std::process::ChildStdin);

impl fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PipeReader")
            .field(self.io.get_ref())
            .finish()
    }
}

impl fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PipeWriter")
            .field(self.io.get_ref())
            .finish()
    }
}
