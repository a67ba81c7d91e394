//! `TcpListener`: accepts connections, suspending only the accepting task.

use super::addr::{each_addr, resolve, resolve_async, ToSocketAddrs};
use super::TcpStream;
use crate::executor::reactor::Direction;
use crate::io::traits::evented_fd;
use crate::io::Evented;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

/// A TCP socket server, listening for connections: std's
/// [`TcpListener`](std::net::TcpListener), whose [`accept`](Self::accept)
/// suspends only the calling task (outside a task it blocks the thread, as
/// std's does).
///
/// ```
/// use corun::net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// let ex = corun::Executor::new();
/// let reply = ex.block_on(|| {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     corun::spawn(move || {
///         let (mut conn, _peer) = listener.accept().unwrap();
///         let mut buf = [0; 4];
///         conn.read_exact(&mut buf).unwrap();
///         conn.write_all(b"pong").unwrap();
///     });
///     let mut s = TcpStream::connect(addr).unwrap();
///     s.write_all(b"ping").unwrap();
///     let mut reply = String::new();
///     s.read_to_string(&mut reply).unwrap();
///     reply
/// });
/// assert_eq!(reply, "pong");
/// ```
pub struct TcpListener {
    io: Evented<std::net::TcpListener>,
}

evented_fd!(TcpListener);

impl TcpListener {
    /// Binds a listener to `addr` (each resolved address in turn, as std
    /// does; port 0 picks a free port). Names resolve on the
    /// [`unblock`](crate::unblock) pool. As std, it sets `SO_REUSEADDR`;
    /// unlike std's backlog of 128, it listens with a backlog of 1,024 (as
    /// tokio), so a burst of connections is not dropped and retried.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(resolve(&addr)?, |a| listen(a, false))
    }

    /// Binds with `SO_REUSEPORT` (and `SO_REUSEADDR`), so that several
    /// listeners, one per core, share the port and the kernel spreads the
    /// connections among them.
    ///
    /// ```
    /// let a = corun::net::TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
    /// let port = a.local_addr().unwrap();
    /// let b = corun::net::TcpListener::bind_reuseport(port).unwrap();
    /// assert_eq!(b.local_addr().unwrap(), port);
    /// ```
    pub fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(resolve(&addr)?, |a| listen(a, true))
    }

    /// [`bind`](Self::bind) for future tasks: a host name resolves on the
    /// thread pool without blocking the executor.
    pub async fn bind_async<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(resolve_async(&addr).await?, |a| listen(a, false))
    }

    /// Accepts a connection, suspending the task until one comes; returns
    /// it and the peer's address. A failure (`EMFILE` when out of file
    /// descriptors, say) is returned as is, and the listener keeps working.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) =
            self.io
                .blocking(Direction::Read, None, "TcpListener::accept", |l| l.accept())?;
        Ok((TcpStream::from_std(stream)?, peer))
    }

    /// [`accept`](Self::accept) for future tasks and async code.
    pub async fn accept_async(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self
            .io
            .op_async(Direction::Read, "TcpListener::accept", |l| l.accept())
            .await?;
        Ok((TcpStream::from_std(stream)?, peer))
    }

    /// Polls for a connection: the building block of
    /// [`accept_async`](Self::accept_async).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, "TcpListener::accept", |l| {
                let (stream, peer) = l.accept()?;
                Ok((TcpStream::from_std(stream)?, peer))
            })
    }

    /// An endless iterator of [`accept`](Self::accept)s, as std's.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the `IP_TTL` of accepted sockets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a std listener; puts it in non-blocking mode.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Evented::new(listener),
        })
    }

    /// The std listener, deregistered and back in blocking mode.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let listener = self.io.into_inner();
        listener.set_nonblocking(false)?;
        Ok(listener)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener")
            .field(self.io.get_ref())
            .finish()
    }
}

/// The iterator of [`TcpListener::incoming`].
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

/// A listening, non-blocking socket on `addr`.
fn listen(addr: SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM.nonblocking(), None)?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(TcpListener {
        io: Evented::new(socket.into()),
    })
}
