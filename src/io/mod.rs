//! I/O that suspends only the calling task: pipes, waits on any fd, and the
//! machinery under [`crate::net`].
//!
//! Every operation that would block works in three places:
//!
//! - **In a stackful task** (`spawn`, `block_on`): the task suspends until
//!   the executor's reactor (its mio `Poll`, edge-triggered) reports the fd
//!   ready; other tasks run meanwhile.
//! - **In a future task or async code**: the `futures::io` traits
//!   (`AsyncRead`, `AsyncWrite`) and the `*_async` methods return `Pending`
//!   and are woken by the same reactor. They must be polled on a corun
//!   executor. Any number of tasks may await `*_async` calls on one shared
//!   socket at once (two receivers of one `Rc<UdpSocket>`): each waits on
//!   its own and each is woken. The traits' `poll_*` methods keep one
//!   waker per direction, as tokio's do (the latest poll's is woken): poll
//!   each direction from one task at a time; a reader and a writer may be
//!   two tasks.
//! - **Outside any task** (a plain thread): the thread blocks, as with
//!   std's types. It waits in a private `poll` of its own (one epoll fd per
//!   thread, made on first use), so the fd itself stays non-blocking.
//!
//! A source is registered with an executor the first time a task on it has
//! to wait, so a socket made in `main` and moved into a task works. It is
//! deregistered when dropped.
//!
//! ```
//! use std::io::{Read, Write};
//!
//! let ex = corun::Executor::new();
//! let got = ex.block_on(|| {
//!     let (mut reader, mut writer) = corun::io::pipe().unwrap();
//!     let w = corun::spawn(move || writer.write_all(b"through the pipe").unwrap());
//!     let mut s = String::new();
//!     reader.read_to_string(&mut s).unwrap(); // suspends until the writer is done
//!     w.join().unwrap();
//!     s
//! });
//! assert_eq!(got, "through the pipe");
//! ```

mod evented;
mod io_op;
mod pipe;
mod stdio;
mod thread_wait;
pub(crate) mod traits;

pub(crate) use evented::Evented;
pub use pipe::{pipe, PipeReader, PipeWriter};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};

use crate::executor::reactor::Direction;
use std::os::fd::AsFd;

/// Waits until `fd` is readable: suspends the calling task (or blocks the
/// thread outside a task). Returns at once if it already is. `fd` can be
/// any pollable fd the caller owns (a socket, a pipe, an eventfd, a
/// terminal); regular files are always ready and epoll refuses them with
/// an error (`EPERM`).
///
/// The wait registers a duplicate of `fd` for its duration, so an fd that
/// a corun type already registered works too.
///
/// ```
/// use std::io::Write;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let (reader, mut writer) = corun::io::pipe().unwrap();
///     corun::spawn(move || writer.write_all(b"x").unwrap());
///     corun::io::wait_readable(&reader).unwrap(); // suspends until the write
/// });
/// ```
pub fn wait_readable(fd: &impl AsFd) -> std::io::Result<()> {
    wait_fd(fd.as_fd(), Direction::Read, "io::wait_readable")
}

/// Waits until `fd` is writable; see [`wait_readable`].
///
/// ```
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let (_reader, writer) = corun::io::pipe().unwrap();
///     corun::io::wait_writable(&writer).unwrap(); // an empty pipe is writable
/// });
/// ```
pub fn wait_writable(fd: &impl AsFd) -> std::io::Result<()> {
    wait_fd(fd.as_fd(), Direction::Write, "io::wait_writable")
}

/// [`wait_readable`] for future tasks and async code.
///
/// ```
/// use std::io::Write;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let (reader, mut writer) = corun::io::pipe().unwrap();
///     let waiting = corun::spawn_future(async move { corun::io::wait_readable_async(&reader).await });
///     writer.write_all(b"x").unwrap();
///     waiting.join().unwrap().unwrap();
/// });
/// ```
pub async fn wait_readable_async(fd: &impl AsFd) -> std::io::Result<()> {
    wait_fd_async(fd.as_fd(), Direction::Read, "io::wait_readable").await
}

/// [`wait_writable`] for future tasks and async code.
pub async fn wait_writable_async(fd: &impl AsFd) -> std::io::Result<()> {
    wait_fd_async(fd.as_fd(), Direction::Write, "io::wait_writable").await
}

async fn wait_fd_async(
    fd: std::os::fd::BorrowedFd<'_>,
    dir: Direction,
    what: &'static str,
) -> std::io::Result<()> {
    // As `wait_fd`: a duplicate of its own. Its first try reports "would
    // block", so the future registers it and waits for the event that the
    // registration reports when the fd is ready already.
    let dup = Evented::new(fd.try_clone_to_owned()?);
    let mut tried = false;
    dup.op_async(dir, what, |_| match std::mem::replace(&mut tried, true) {
        false => Err(std::io::ErrorKind::WouldBlock.into()),
        true => Ok(()),
    })
    .await
}

fn wait_fd(
    fd: std::os::fd::BorrowedFd<'_>,
    dir: Direction,
    what: &'static str,
) -> std::io::Result<()> {
    // A duplicate gets its own epoll entry, so this wait neither clashes
    // with nor disturbs a registration of `fd` itself; adding it reports
    // the fd's current readiness.
    let dup = Evented::new(fd.try_clone_to_owned()?);
    dup.wait(dir, None, what)
}
