//! `UnixStream`: a Unix-domain stream whose reads and writes suspend only
//! the calling task.

use super::timeouts::socket_common;
use super::Timeouts;
use crate::executor::reactor::Direction;
use crate::io::traits::{evented_fd, evented_read, evented_write};
use crate::io::Evented;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix-domain stream: std's
/// [`UnixStream`](std::os::unix::net::UnixStream), `Read`/`Write` on `T`
/// and `&T` and `AsyncRead`/`AsyncWrite`, suspending only the calling task
/// (see [`TcpStream`](super::TcpStream)).
///
/// ```
/// use std::io::{Read, Write};
///
/// let ex = corun::Executor::new();
/// let got = ex.block_on(|| {
///     let (mut a, mut b) = corun::net::UnixStream::pair().unwrap();
///     corun::spawn(move || a.write_all(b"over a socketpair").unwrap());
///     let mut got = String::new();
///     b.read_to_string(&mut got).unwrap();
///     got
/// });
/// assert_eq!(got, "over a socketpair");
/// ```
pub struct UnixStream {
    io: Evented<std::os::unix::net::UnixStream>,
    timeouts: Timeouts,
}

evented_read!(UnixStream, "UnixStream::read", |s: &UnixStream| s
    .timeouts
    .read());
evented_write!(
    UnixStream,
    "UnixStream::write",
    |s: &UnixStream| s.timeouts.write(),
    |s: &UnixStream| s.shutdown(Shutdown::Write)
);
evented_fd!(UnixStream);

impl UnixStream {
    socket_common!(std::os::unix::net::UnixStream);

    /// Connects to the socket at `path`. A Unix-domain connect completes at
    /// once or fails, except when the listener's backlog is full: then it
    /// blocks the thread until there is room.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        UnixStream::from_std(std::os::unix::net::UnixStream::connect(path)?)
    }

    /// Two connected streams (`socketpair`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Shuts down one half or both, waking this executor's tasks that wait
    /// on the socket (see [`TcpStream::shutdown`](super::TcpStream::shutdown)).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)?;
        if how != Shutdown::Write {
            self.io.shut(Direction::Read);
        }
        if how != Shutdown::Read {
            self.io.shut(Direction::Write);
        }
        Ok(())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// A second handle to the same connection (a duplicated fd, registered
    /// on its own), with the same timeouts.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let ex = corun::Executor::new();
    /// let got = ex.block_on(|| {
    ///     let (a, mut b) = corun::net::UnixStream::pair().unwrap();
    ///     let mut writer = a.try_clone().unwrap();
    ///     drop(a); // the clone keeps the connection open
    ///     corun::spawn(move || writer.write_all(b"via the clone").unwrap());
    ///     let mut got = String::new();
    ///     b.read_to_string(&mut got).unwrap();
    ///     got
    /// });
    /// assert_eq!(got, "via the clone");
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        let mut stream = UnixStream::from_std(self.io.get_ref().try_clone()?)?;
        stream.timeouts.copy_from(&self.timeouts);
        Ok(stream)
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixStream")
            .field(self.io.get_ref())
            .finish()
    }
}
