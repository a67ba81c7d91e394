//! `UdpSocket`: datagrams whose sends and receives suspend only the
//! calling task.

use super::addr::{each_addr, resolve, resolve_async, ToSocketAddrs};
use super::timeouts::socket_common;
use super::Timeouts;
use crate::executor::reactor::Direction;
use crate::io::traits::evented_fd;
use crate::io::Evented;
use std::fmt;
use std::io;
use std::net::SocketAddr;

/// A UDP socket: std's [`UdpSocket`](std::net::UdpSocket), whose sends and
/// receives suspend only the calling task (outside a task they block the
/// thread). As in std, it is not `Read`/`Write`: datagrams keep their
/// boundaries.
///
/// ```
/// use corun::net::UdpSocket;
///
/// let ex = corun::Executor::new();
/// let (n, text) = ex.block_on(|| {
///     let server = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let addr = server.local_addr().unwrap();
///     corun::spawn(move || {
///         let mut buf = [0; 64];
///         let (n, peer) = server.recv_from(&mut buf).unwrap(); // suspends
///         server.send_to(&buf[..n], peer).unwrap();
///     });
///     let client = UdpSocket::bind("127.0.0.1:0").unwrap();
///     client.send_to(b"echo?", addr).unwrap();
///     let mut buf = [0; 64];
///     let (n, _) = client.recv_from(&mut buf).unwrap();
///     (n, buf[..n].to_vec())
/// });
/// assert_eq!((n, text.as_slice()), (5, &b"echo?"[..]));
/// ```
pub struct UdpSocket {
    io: Evented<std::net::UdpSocket>,
    timeouts: Timeouts,
}

evented_fd!(UdpSocket);

impl UdpSocket {
    socket_common!(std::net::UdpSocket);

    /// Binds to `addr` (each resolved address in turn; port 0 picks one).
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(resolve(&addr)?, |a| {
            UdpSocket::from_std(std::net::UdpSocket::bind(a)?)
        })
    }

    /// Sets the default peer of [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts. Names resolve on the `unblock` pool.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(resolve(&addr)?, |a| self.io.get_ref().connect(a))
    }

    /// Sends one datagram to `addr`; returns the bytes sent.
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let to = *resolve(&addr)?
            .first()
            .ok_or_else(super::addr::no_addresses)?;
        self.io.blocking(
            Direction::Write,
            self.timeouts.write(),
            "UdpSocket::send_to",
            |s| s.send_to(buf, to),
        )
    }

    /// Receives one datagram, suspending until one comes; returns its
    /// length (cut to `buf`) and sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.blocking(
            Direction::Read,
            self.timeouts.read(),
            "UdpSocket::recv_from",
            |s| s.recv_from(buf),
        )
    }

    /// [`recv_from`](Self::recv_from) without taking the datagram off the
    /// queue.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.blocking(
            Direction::Read,
            self.timeouts.read(),
            "UdpSocket::peek_from",
            |s| s.peek_from(buf),
        )
    }

    /// Sends to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.blocking(
            Direction::Write,
            self.timeouts.write(),
            "UdpSocket::send",
            |s| s.send(buf),
        )
    }

    /// Receives from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.blocking(
            Direction::Read,
            self.timeouts.read(),
            "UdpSocket::recv",
            |s| s.recv(buf),
        )
    }

    /// [`send_to`](Self::send_to) for future tasks and async code.
    pub async fn send_to_async<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let to = *resolve_async(&addr)
            .await?
            .first()
            .ok_or_else(super::addr::no_addresses)?;
        self.io
            .op_async(Direction::Write, "UdpSocket::send_to", |s| {
                s.send_to(buf, to)
            })
            .await
    }

    /// [`recv_from`](Self::recv_from) for future tasks and async code.
    pub async fn recv_from_async(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .op_async(Direction::Read, "UdpSocket::recv_from", |s| {
                s.recv_from(buf)
            })
            .await
    }

    /// [`send`](Self::send) for future tasks and async code.
    pub async fn send_async(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .op_async(Direction::Write, "UdpSocket::send", |s| s.send(buf))
            .await
    }

    /// [`recv`](Self::recv) for future tasks and async code.
    pub async fn recv_async(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .op_async(Direction::Read, "UdpSocket::recv", |s| s.recv(buf))
            .await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// The `SO_BROADCAST` option.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// A second handle to the same socket (a duplicated fd, registered on
    /// its own), with the same timeouts: one task can receive while
    /// another sends.
    ///
    /// ```
    /// use corun::net::UdpSocket;
    ///
    /// let ex = corun::Executor::new();
    /// let n = ex.block_on(|| {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    ///     let addr = socket.local_addr().unwrap();
    ///     let sender = socket.try_clone().unwrap();
    ///     corun::spawn(move || sender.send_to(b"to myself", addr).unwrap());
    ///     let mut buf = [0; 64];
    ///     socket.recv_from(&mut buf).unwrap().0
    /// });
    /// assert_eq!(n, 9);
    /// ```
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        let mut socket = UdpSocket::from_std(self.io.get_ref().try_clone()?)?;
        socket.timeouts.copy_from(&self.timeouts);
        Ok(socket)
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocket").field(self.io.get_ref()).finish()
    }
}
