//! The process's standard streams for tasks (tokio's `io::stdin`,
//! `stdout`, `stderr`): a read of stdin suspends only the reading task
//! while the other tasks run, which `std::io::stdin()` cannot do.
//!
//! Rules:
//! 1. Each handle works on its own duplicate of fd 0, 1 or 2, made at its
//!    first operation, through the state machine of [`fs::File`]
//!    (`crate::fs`): in a task the blocking call runs on the `unblock`
//!    pool and only the task suspends; outside a task it runs on the
//!    calling thread, as std's does. A failed duplicate (no descriptor
//!    left) is that first operation's error, not a panic.
//! 2. stdin is not read ahead: a read asks the OS for no more than the
//!    caller's buffer holds (as tokio's), so handles made one after
//!    another (`stdin().read_line(..)` in a loop) each get the next bytes,
//!    and none is lost with a dropped handle. Wrap one handle in a
//!    `BufReader` to read lines cheaply: each refill is one pool hop.
//! 3. A write in a task hands its bytes to the pool and returns (tokio's
//!    write-behind); `flush` waits until they are written and reports a
//!    failed write. Flush before the program ends, or the last bytes may
//!    be lost, as with tokio's `Stdout`. A handle has no line buffer of its
//!    own: `writeln!` is several writes, which other handles' writes may
//!    come between, so tasks that share the terminal should each write
//!    whole lines with one `write_all` (or share one handle).
//! 4. A read cancelled or timed out while on the pool loses nothing: the
//!    next read on the same handle gets the bytes (`fs::File`'s rule 2).
//!    The blocking read itself cannot be interrupted; it ends when input
//!    comes or stdin closes.

use crate::fs::File;
use futures::io::{AsyncRead, AsyncWrite};
use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Which standard stream, and its duplicate once made (rule 1).
struct Stream {
    which: Which,
    file: Option<File>,
}

/// std's handle of the stream: it lends the fd (0, 1 or 2) for the
/// duplicate and for `AsFd`.
#[derive(Debug)]
enum Which {
    In(io::Stdin),
    Out(io::Stdout),
    Err(io::Stderr),
}

impl Stream {
    fn new(which: Which) -> Self {
        Stream { which, file: None }
    }

    fn borrowed(&self) -> BorrowedFd<'_> {
        match &self.which {
            Which::In(s) => s.as_fd(),
            Which::Out(s) => s.as_fd(),
            Which::Err(s) => s.as_fd(),
        }
    }

    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            let fd = self.borrowed().try_clone_to_owned()?;
            let std = std::fs::File::from(fd);
            self.file = Some(match self.which {
                Which::In(_) => File::from_std_without_read_ahead(std),
                _ => File::from_std(std),
            });
        }
        Ok(self.file.as_mut().expect("just made"))
    }

    fn pinned(&mut self) -> io::Result<Pin<&mut File>> {
        self.file().map(Pin::new)
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("which", &self.which)
            .field("opened", &self.file.is_some())
            .finish()
    }
}

/// The process's standard input for tasks: `std::io::Read` suspends only
/// the reading task (other tasks run meanwhile), `futures::io::AsyncRead`
/// serves async code. Wrap it in a `BufReader` to read lines. A read takes
/// no more than its buffer holds, so several handles may read in turn
/// without losing bytes (tokio's rule; std's `Stdin` shares one buffer).
///
/// ```no_run
/// use std::io::{BufRead, BufReader};
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let ticker = corun::spawn(|| loop {
///         corun::sleep(Duration::from_secs(1)); // keeps running while we wait
///         eprintln!("tick");
///     });
///     for line in BufReader::new(corun::io::stdin()).lines() {
///         println!("you typed {:?}", line.unwrap()); // suspends only this task
///     }
///     ticker.cancel();
/// });
/// ```
#[derive(Debug)]
pub struct Stdin(Stream);

/// The process's standard output for tasks: `std::io::Write` and
/// `futures::io::AsyncWrite`, whose blocking writes run on the `unblock`
/// pool in a task. Flush before the program ends (rule 3).
///
/// ```
/// use std::io::Write;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let mut out = corun::io::stdout();
///     writeln!(out, "hello from a task").unwrap();
///     out.flush().unwrap(); // waits until the bytes are written
/// });
/// ```
#[derive(Debug)]
pub struct Stdout(Stream);

/// The process's standard error for tasks; as [`Stdout`].
#[derive(Debug)]
pub struct Stderr(Stream);

/// A handle to the process's standard input (see [`Stdin`]).
pub fn stdin() -> Stdin {
    Stdin(Stream::new(Which::In(io::stdin())))
}

/// A handle to the process's standard output (see [`Stdout`]).
pub fn stdout() -> Stdout {
    Stdout(Stream::new(Which::Out(io::stdout())))
}

/// A handle to the process's standard error (see [`Stderr`]).
pub fn stderr() -> Stderr {
    Stderr(Stream::new(Which::Err(io::stderr())))
}

impl Read for Stdin {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        self.0.file()?.read(dst)
    }
}

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().0.pinned() {
            Ok(file) => file.poll_read(cx, dst),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// `Write` and `AsyncWrite` for an output stream, through its duplicate.
macro_rules! output_stream {
    ($name:ident) => {
        impl Write for $name {
            fn write(&mut self, src: &[u8]) -> io::Result<usize> {
                self.0.file()?.write(src)
            }

            fn flush(&mut self) -> io::Result<()> {
                match &mut self.0.file {
                    Some(file) => file.flush(),
                    None => Ok(()), // nothing was written through this handle
                }
            }
        }

        impl AsyncWrite for $name {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                src: &[u8],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut().0.pinned() {
                    Ok(file) => file.poll_write(cx, src),
                    Err(e) => Poll::Ready(Err(e)),
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match &mut self.get_mut().0.file {
                    Some(file) => Pin::new(file).poll_flush(cx),
                    None => Poll::Ready(Ok(())),
                }
            }

            /// The stream itself stays open (it is the process's); closing
            /// a handle is flushing it.
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.poll_flush(cx)
            }
        }
    };
}

output_stream!(Stdout);
output_stream!(Stderr);

/// The handles' fds are the process's own 0, 1 and 2 (their duplicates
/// are private), so `wait_readable(&stdin)` and friends see the stream.
macro_rules! std_fd {
    ($($name:ident),*) => {$(
        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.0.borrowed()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.0.borrowed().as_raw_fd()
            }
        }
    )*};
}

std_fd!(Stdin, Stdout, Stderr);
