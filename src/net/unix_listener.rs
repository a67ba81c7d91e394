//! `UnixListener`: accepts Unix-domain connections, suspending only the
//! accepting task.

use super::UnixStream;
use crate::executor::reactor::Direction;
use crate::io::traits::evented_fd;
use crate::io::Evented;
use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

/// A Unix-domain stream listener: std's
/// [`UnixListener`](std::os::unix::net::UnixListener), whose `accept`
/// suspends only the calling task.
///
/// ```
/// use corun::net::{UnixListener, UnixStream};
/// use std::io::{Read, Write};
///
/// let dir = std::env::temp_dir().join(format!("corun-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("sock");
/// let _ = std::fs::remove_file(&path);
/// let ex = corun::Executor::new();
/// let got = ex.block_on(|| {
///     let listener = UnixListener::bind(&path).unwrap();
///     corun::spawn(move || {
///         let (mut conn, _) = listener.accept().unwrap();
///         conn.write_all(b"hi").unwrap();
///     });
///     let mut s = UnixStream::connect(&path).unwrap();
///     let mut got = String::new();
///     s.read_to_string(&mut got).unwrap();
///     got
/// });
/// assert_eq!(got, "hi");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct UnixListener {
    io: Evented<std::os::unix::net::UnixListener>,
}

evented_fd!(UnixListener);

impl UnixListener {
    /// Binds to the socket file `path` (which must not exist).
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Accepts a connection, suspending the task until one comes.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) =
            self.io
                .blocking(Direction::Read, None, "UnixListener::accept", |l| {
                    l.accept()
                })?;
        Ok((UnixStream::from_std(stream)?, peer))
    }

    /// [`accept`](Self::accept) for future tasks and async code.
    pub async fn accept_async(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) = self
            .io
            .op_async(Direction::Read, "UnixListener::accept", |l| l.accept())
            .await?;
        Ok((UnixStream::from_std(stream)?, peer))
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, "UnixListener::accept", |l| {
                let (stream, peer) = l.accept()?;
                Ok((UnixStream::from_std(stream)?, peer))
            })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a std listener; puts it in non-blocking mode.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Evented::new(listener),
        })
    }

    /// The std listener, deregistered and back in blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let listener = self.io.into_inner();
        listener.set_nonblocking(false)?;
        Ok(listener)
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixListener")
            .field(self.io.get_ref())
            .finish()
    }
}
