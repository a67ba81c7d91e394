//! `UnixDatagram`: Unix-domain datagrams whose sends and receives suspend
//! only the calling task.

use super::timeouts::socket_common;
use super::Timeouts;
use crate::executor::reactor::Direction;
use crate::io::traits::evented_fd;
use crate::io::Evented;
use std::fmt;
use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram as StdUnixDatagram};
use std::path::Path;

/// A Unix-domain datagram socket: std's
/// [`UnixDatagram`](std::os::unix::net::UnixDatagram), suspending only the
/// calling task.
///
/// ```
/// let ex = corun::Executor::new();
/// let n = ex.block_on(|| {
///     let (a, b) = corun::net::UnixDatagram::pair().unwrap();
///     corun::spawn(move || a.send(b"one datagram").unwrap());
///     let mut buf = [0; 64];
///     b.recv(&mut buf).unwrap() // suspends until it comes
/// });
/// assert_eq!(n, 12);
/// ```
pub struct UnixDatagram {
    io: Evented<StdUnixDatagram>,
    timeouts: Timeouts,
}

evented_fd!(UnixDatagram);

impl UnixDatagram {
    socket_common!(StdUnixDatagram);

    /// Binds to the socket file `path`.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(StdUnixDatagram::bind(path)?)
    }

    /// A socket bound to no address.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(StdUnixDatagram::unbound()?)
    }

    /// Two connected sockets (`socketpair`).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Sets the default peer.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends to the connected peer, suspending while its queue is full.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.blocking(
            Direction::Write,
            self.timeouts.write(),
            "UnixDatagram::send",
            |s| s.send(buf),
        )
    }

    /// Sends to the socket at `path`.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.blocking(
            Direction::Write,
            self.timeouts.write(),
            "UnixDatagram::send_to",
            |s| s.send_to(buf, path),
        )
    }

    /// Receives one datagram from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.blocking(
            Direction::Read,
            self.timeouts.read(),
            "UnixDatagram::recv",
            |s| self.timeouts.after_shutdown(s.recv(buf), || Ok(0)),
        )
    }

    /// Receives one datagram and its sender's address. Once this socket's
    /// reading half is shut down, `(0, an unnamed address)`, as std's.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.blocking(
            Direction::Read,
            self.timeouts.read(),
            "UnixDatagram::recv_from",
            |s| self.recv_from_now(s, buf),
        )
    }

    /// One non-blocking `recv_from`, with std's answer after a shutdown.
    fn recv_from_now(
        &self,
        socket: &StdUnixDatagram,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr)> {
        self.timeouts.after_shutdown(socket.recv_from(buf), || {
            Ok((0, StdUnixDatagram::unbound()?.local_addr()?))
        })
    }

    /// [`send_to`](Self::send_to) for future tasks and async code.
    pub async fn send_to_async<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .op_async(Direction::Write, "UnixDatagram::send_to", |s| {
                s.send_to(buf, path)
            })
            .await
    }

    /// [`recv_from`](Self::recv_from) for future tasks and async code.
    pub async fn recv_from_async(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .op_async(Direction::Read, "UnixDatagram::recv_from", |s| {
                self.recv_from_now(s, buf)
            })
            .await
    }

    /// [`send`](Self::send) for future tasks and async code.
    pub async fn send_async(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .op_async(Direction::Write, "UnixDatagram::send", |s| s.send(buf))
            .await
    }

    /// [`recv`](Self::recv) for future tasks and async code.
    pub async fn recv_async(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .op_async(Direction::Read, "UnixDatagram::recv", |s| {
                self.timeouts.after_shutdown(s.recv(buf), || Ok(0))
            })
            .await
    }

    /// Shuts down one half or both, waking this executor's tasks that wait
    /// on that half (see [`TcpStream::shutdown`](super::TcpStream::shutdown)).
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)?;
        if how != std::net::Shutdown::Write {
            self.timeouts.shut_read();
            self.io.shut(Direction::Read);
        }
        if how != std::net::Shutdown::Read {
            self.io.shut(Direction::Write);
        }
        Ok(())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// A second handle to the same socket (a duplicated fd, registered on
    /// its own), with the same timeouts.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let n = ex.block_on(|| {
    ///     let (a, b) = corun::net::UnixDatagram::pair().unwrap();
    ///     let sender = a.try_clone().unwrap();
    ///     drop(a); // the clone keeps the socket open
    ///     corun::spawn(move || sender.send(b"via the clone").unwrap());
    ///     let mut buf = [0; 64];
    ///     b.recv(&mut buf).unwrap()
    /// });
    /// assert_eq!(n, 13);
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixDatagram> {
        let mut socket = UnixDatagram::from_std(self.io.get_ref().try_clone()?)?;
        socket.timeouts.copy_from(&self.timeouts);
        Ok(socket)
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixDatagram")
            .field(self.io.get_ref())
            .finish()
    }
}
