//! `TcpStream`: a TCP connection whose reads, writes and connect suspend
//! only the calling task.

use super::addr::{each_addr, resolve, resolve_async, ToSocketAddrs};
use super::timeouts::socket_common;
use super::Timeouts;
use crate::executor::reactor::Direction;
use crate::io::traits::{evented_fd, evented_read, evented_write};
use crate::io::Evented;
use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

/// A TCP connection: std's [`TcpStream`](std::net::TcpStream), whose
/// blocking-looking calls suspend only the calling task.
///
/// `std::io::Read` and `Write` are implemented for `TcpStream` and for
/// `&TcpStream`, as std does, so `BufReader`, `read_line` and `write_all`
/// work, and one task can read while another writes. `futures::io`'s
/// `AsyncRead` and `AsyncWrite` are implemented too, for future tasks and
/// async libraries. Outside a task the calls block the thread, as std's.
///
/// `write` returns what the kernel took (never more, never a guess);
/// `write_all` loops until all is taken.
///
/// ```
/// use corun::net::{TcpListener, TcpStream};
/// use std::io::{BufRead, BufReader, Write};
///
/// let ex = corun::Executor::new();
/// let line = ex.block_on(|| {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     corun::spawn(move || {
///         let (mut conn, _) = listener.accept().unwrap();
///         conn.write_all(b"hello\n").unwrap();
///     });
///     let stream = TcpStream::connect(addr).unwrap();
///     let mut line = String::new();
///     BufReader::new(stream).read_line(&mut line).unwrap();
///     line
/// });
/// assert_eq!(line, "hello\n");
/// ```
///
/// A stream is `Send` but not `Sync`: it registers with the executor of
/// the task that first waits on it, so share it between the tasks of one
/// executor with `Rc` or a borrow, not between threads:
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<corun::net::TcpStream>();
/// ```
pub struct TcpStream {
    io: Evented<std::net::TcpStream>,
    timeouts: Timeouts,
}

evented_read!(TcpStream, "TcpStream::read", |s: &TcpStream| s
    .timeouts
    .read());
evented_write!(
    TcpStream,
    "TcpStream::write",
    |s: &TcpStream| s.timeouts.write(),
    |s: &TcpStream| s.shutdown(Shutdown::Write)
);
evented_fd!(TcpStream);

impl TcpStream {
    socket_common!(std::net::TcpStream);

    /// Connects to `addr` (each resolved address in turn, as std does),
    /// suspending the task until the connection is made or refused. Host
    /// names resolve on the [`unblock`](crate::unblock) pool. A refused
    /// connection is `ErrorKind::ConnectionRefused`.
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(resolve(&addr)?, |a| connect_to(a, None))
    }

    /// Connects to one address, failing with `ErrorKind::TimedOut` if no
    /// answer comes within `timeout`, as std's `connect_timeout`.
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(Timeouts::zero());
        }
        connect_to(*addr, Some(timeout))
    }

    /// [`connect`](Self::connect) for future tasks and async code.
    pub async fn connect_async<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let mut last = None;
        for a in resolve_async(&addr).await? {
            let attempt = async {
                let stream = start_connect(a)?;
                stream
                    .io
                    .op_async(Direction::Write, "TcpStream::connect", connected)
                    .await?;
                Ok::<_, io::Error>(stream)
            };
            match attempt.await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(super::addr::no_addresses))
    }

    /// Shuts down the reading half, the writing half or both. Tasks of this
    /// executor waiting on the socket are woken: a reader then reads
    /// `Ok(0)` (or an error), a writer gets `BrokenPipe`.
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

    /// Reads without removing the data from the queue, as std's `peek`.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.blocking(
            Direction::Read,
            self.timeouts.read(),
            "TcpStream::peek",
            |s| s.peek(buf),
        )
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY` (no Nagle delay on small writes).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// The `TCP_NODELAY` option.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// A second handle to the same connection (a duplicated fd, registered
    /// on its own), with the same timeouts.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let mut stream = TcpStream::from_std(self.io.get_ref().try_clone()?)?;
        stream.timeouts.copy_from(&self.timeouts);
        Ok(stream)
    }
}

/// A non-blocking socket with its connection to `addr` started.
fn start_connect(addr: SocketAddr) -> io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM.nonblocking(), None)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream {
        io: Evented::new(socket.into()),
        timeouts: Timeouts::new(None, None),
    })
}

/// Whether a started connect is done: its error, `WouldBlock` while it is
/// in progress.
fn connected(s: &std::net::TcpStream) -> io::Result<()> {
    if let Some(e) = s.take_error()? {
        return Err(e);
    }
    match s.peer_addr() {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
        Err(e) => Err(e),
    }
}

fn connect_to(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let stream = start_connect(addr)?;
    match stream
        .io
        .blocking(Direction::Write, timeout, "TcpStream::connect", connected)
    {
        Ok(()) => Ok(stream),
        Err(e) if timeout.is_some() && e.kind() == io::ErrorKind::WouldBlock => Err(
            io::Error::new(io::ErrorKind::TimedOut, "TcpStream::connect timed out"),
        ),
        Err(e) => Err(e),
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream").field(self.io.get_ref()).finish()
    }
}
