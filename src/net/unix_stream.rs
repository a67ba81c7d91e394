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
use std::time::Duration;

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
    /// once or fails, except when the listener's backlog is full: then, in
    /// a stackful task, the task waits and tries again (only it waits: the
    /// acceptor may be a task of the same executor); outside a task the
    /// thread blocks until there is room, as std's does.
    ///
    /// # Panics
    ///
    /// In a future task (`spawn_future`) when the backlog is full: it has
    /// no stack to suspend, and blocking its thread would stall the
    /// executor, the acceptor perhaps included. Use
    /// [`connect_async`](Self::connect_async) there.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let in_future_task = crate::executor::hooks::in_future_task();
        if !in_future_task && !crate::executor::hooks::can_suspend() {
            return UnixStream::from_std(std::os::unix::net::UnixStream::connect(path)?);
        }
        let attempt = Attempt::new(path.as_ref())?;
        if in_future_task {
            if attempt.try_now()? {
                return attempt.into_stream();
            }
            panic!(
                "UnixStream::connect called from a future task (spawn_future) while the \
                 listener's backlog is full: a future task has no stack to suspend; await \
                 UnixStream::connect_async there"
            );
        }
        let mut pause = FULL_BACKLOG_FIRST_PAUSE;
        loop {
            if attempt.try_now()? {
                return attempt.into_stream();
            }
            let until = std::time::Instant::now() + pause;
            crate::sleep(pause);
            if std::time::Instant::now() < until {
                // A sleep ends early only in a task that is unwinding
                // (cancelled, its executor dropped): it cannot wait.
                return Err(io::Error::other(
                    "UnixStream::connect: the listener's backlog is full and the task is \
                     unwinding (cancelled or its executor dropped), so it cannot wait for room",
                ));
            }
            pause = (pause * 2).min(FULL_BACKLOG_LONGEST_PAUSE);
        }
    }

    /// [`connect`](Self::connect) for future tasks and async code.
    pub async fn connect_async<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let attempt = Attempt::new(path.as_ref())?;
        let mut pause = FULL_BACKLOG_FIRST_PAUSE;
        loop {
            if attempt.try_now()? {
                return attempt.into_stream();
            }
            crate::sleep_future(pause).await;
            pause = (pause * 2).min(FULL_BACKLOG_LONGEST_PAUSE);
        }
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

/// How long a connect that found the listener's backlog full waits before
/// it tries again, at first and at most (doubling in between): the kernel
/// tells a waiting client nothing when room comes, so it looks again.
const FULL_BACKLOG_FIRST_PAUSE: Duration = Duration::from_micros(100);
const FULL_BACKLOG_LONGEST_PAUSE: Duration = Duration::from_millis(10);

/// A non-blocking connect to one path, tried until it goes through.
struct Attempt {
    socket: socket2::Socket,
    addr: socket2::SockAddr,
}

impl Attempt {
    fn new(path: &Path) -> io::Result<Attempt> {
        use socket2::{Domain, SockAddr, Socket, Type};
        Ok(Attempt {
            socket: Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?,
            addr: SockAddr::unix(path)?,
        })
    }

    /// Whether the connect went through; `false` while the backlog is
    /// full.
    fn try_now(&self) -> io::Result<bool> {
        match self.socket.connect(&self.addr) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EISCONN) => Ok(true),
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock
                    || matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EALREADY)) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    fn into_stream(self) -> io::Result<UnixStream> {
        let fd = std::os::fd::OwnedFd::from(self.socket);
        UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))
    }
}
