//! Socket addresses as std takes them (`"host:port"`, `(host, port)`,
//! `SocketAddr`, ...), resolved without blocking the executor: numeric
//! addresses are parsed in place, names go to the [`unblock`](crate::unblock)
//! pool.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What corun's `bind`, `connect` and `send_to` accept: the same types as
/// std's [`ToSocketAddrs`](std::net::ToSocketAddrs) (sealed; implemented
/// for `SocketAddr` and its kinds, `(IpAddr, u16)` and its kinds,
/// `(&str, u16)`, `(String, u16)`, `&str`, `String`, `&[SocketAddr]` and
/// references to them). A host name is resolved on the `unblock` thread
/// pool, so looking it up suspends only the calling task.
///
/// It is corun's own trait, not std's, because a name must be moved to a
/// pool thread to be resolved there, which std's trait cannot promise for
/// every type. Every type std's accepts is accepted here, so a call with a
/// literal works unchanged; generic code bounded by std's trait takes
/// this bound instead (the std types satisfy both), or resolves with std
/// first and passes the addresses (`&addrs[..]`):
///
/// ```
/// fn listen<A: corun::net::ToSocketAddrs>(addr: A) -> std::io::Result<corun::net::TcpListener> {
///     corun::net::TcpListener::bind(addr)
/// }
/// fn listen_std<A: std::net::ToSocketAddrs>(addr: A) -> std::io::Result<corun::net::TcpListener> {
///     let addrs: Vec<_> = addr.to_socket_addrs()?.collect(); // resolved on this thread
///     corun::net::TcpListener::bind(&addrs[..])
/// }
/// assert!(listen("127.0.0.1:0").is_ok());
/// assert!(listen_std(("127.0.0.1", 0)).is_ok());
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

mod sealed {
    use super::Lookup;

    /// How to get the addresses: at once, or by a blocking lookup.
    pub trait Sealed {
        fn lookup(&self) -> Lookup;
    }
}

#[doc(hidden)]
#[derive(Debug)]
pub enum Lookup {
    Ready(Vec<std::net::SocketAddr>),
    /// A name to resolve with std's resolver ("host:port").
    Name(String),
    /// A host and a port to resolve with std's resolver.
    Host(String, u16),
}

impl Lookup {
    fn run(self) -> io::Result<Vec<SocketAddr>> {
        use std::net::ToSocketAddrs as _;
        match self {
            Lookup::Ready(addrs) => Ok(addrs),
            Lookup::Name(name) => Ok(name.to_socket_addrs()?.collect()),
            Lookup::Host(host, port) => Ok((host.as_str(), port).to_socket_addrs()?.collect()),
        }
    }
}

/// The addresses of `addr`; a name is looked up on the `unblock` pool from
/// a stackful task, on the calling thread otherwise.
pub(crate) fn resolve(addr: &(impl ToSocketAddrs + ?Sized)) -> io::Result<Vec<SocketAddr>> {
    match addr.lookup() {
        Lookup::Ready(addrs) => Ok(addrs),
        lookup => crate::unblock(move || lookup.run()),
    }
}

/// [`resolve`] for future tasks and async code.
pub(crate) async fn resolve_async(
    addr: &(impl ToSocketAddrs + ?Sized),
) -> io::Result<Vec<SocketAddr>> {
    match addr.lookup() {
        Lookup::Ready(addrs) => Ok(addrs),
        lookup => crate::unblock_future(move || lookup.run()).await,
    }
}

/// Tries `f` on each address in turn, as std does; the last error if none
/// works.
pub(crate) fn each_addr<T>(
    addrs: Vec<SocketAddr>,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addrs {
        match f(addr) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(no_addresses))
}

pub(crate) fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any addresses",
    )
}

macro_rules! ready_addr {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {
            fn lookup(&self) -> Lookup {
                Lookup::Ready(vec![SocketAddr::from(*self)])
            }
        }
        impl ToSocketAddrs for $ty {}
    )*};
}

ready_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl sealed::Sealed for str {
    fn lookup(&self) -> Lookup {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Lookup::Ready(vec![addr]),
            Err(_) => Lookup::Name(self.to_owned()),
        }
    }
}
impl ToSocketAddrs for str {}

impl sealed::Sealed for String {
    fn lookup(&self) -> Lookup {
        self.as_str().lookup()
    }
}
impl ToSocketAddrs for String {}

impl sealed::Sealed for (&str, u16) {
    fn lookup(&self) -> Lookup {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Lookup::Ready(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Lookup::Host(self.0.to_owned(), self.1),
        }
    }
}
impl ToSocketAddrs for (&str, u16) {}

impl sealed::Sealed for (String, u16) {
    fn lookup(&self) -> Lookup {
        (self.0.as_str(), self.1).lookup()
    }
}
impl ToSocketAddrs for (String, u16) {}

impl sealed::Sealed for [SocketAddr] {
    fn lookup(&self) -> Lookup {
        Lookup::Ready(self.to_vec())
    }
}
impl ToSocketAddrs for [SocketAddr] {}

impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {
    fn lookup(&self) -> Lookup {
        (**self).lookup()
    }
}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
