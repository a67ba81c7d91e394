//! Sockets whose blocking-looking calls suspend only the calling task:
//! std's [`std::net`] and [`std::os::unix::net`] types, on the executor's
//! reactor.
//!
//! | std / tokio              | corun                                    |
//! |--------------------------|------------------------------------------|
//! | `TcpListener::accept`    | [`TcpListener::accept`] (suspends)       |
//! | `TcpStream::connect`     | [`TcpStream::connect`] (suspends; names resolve on the `unblock` pool) |
//! | `Read` / `Write`         | the same traits, on `T` and `&T`         |
//! | tokio's `AsyncRead`      | `futures::io::AsyncRead` / `AsyncWrite`  |
//! | `UdpSocket::recv_from`   | [`UdpSocket::recv_from`]                 |
//! | `UnixStream`, ...        | [`UnixStream`], [`UnixListener`], [`UnixDatagram`] |
//!
//! How a call waits (in a task, in a future task, outside any task) is said
//! in [`crate::io`]. Errors are std's `io::Error`s with the OS's kind
//! (`ConnectionRefused`, `ConnectionReset`, `BrokenPipe`, `AddrInUse`, ...);
//! a peer that closes makes a read return `Ok(0)`.
//!
//! Each type is `Send` (made on one thread, it may be moved to another
//! before use) but not `Sync`: it registers with the executor of the task
//! that first waits on it. Share one between tasks of one executor with
//! `Rc` or a borrow.

mod addr;
mod tcp_listener;
mod tcp_stream;
mod timeouts;
mod udp;
mod unix_datagram;
mod unix_listener;
mod unix_stream;

pub use addr::ToSocketAddrs;
pub use tcp_listener::{Incoming, TcpListener};
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;

pub(crate) use timeouts::Timeouts;

/// Auto traits that must hold, checked at compile time: every socket type
/// (and the I/O types of `crate::io` and `crate::process`) can be made on
/// one thread and moved to another, as std's can.
#[allow(dead_code)]
fn _auto_traits() {
    fn send<T: Send>() {}
    send::<TcpListener>();
    send::<TcpStream>();
    send::<UdpSocket>();
    send::<UnixListener>();
    send::<UnixStream>();
    send::<UnixDatagram>();
    send::<crate::io::PipeReader>();
    send::<crate::io::PipeWriter>();
    send::<crate::process::Child>();
}
