//! The std-style read and write timeouts of a socket, kept beside it: the
//! fd is non-blocking, so `SO_RCVTIMEO` would not apply; the waits use
//! these as deadlines instead.

use std::cell::Cell;
use std::io;
use std::time::Duration;

#[derive(Debug, Default)]
pub(crate) struct Timeouts {
    read: Cell<Option<Duration>>,
    write: Cell<Option<Duration>>,
    /// Our own `shutdown` ended the reading half. A datagram socket needs
    /// to know: the kernel then answers its non-blocking `recv` with
    /// `EAGAIN` for ever (where a blocking one returns 0), and reports it
    /// readable, so a wait would never end or never stop. Shared with the
    /// handle's clones (`try_clone`), which are the same socket (std's
    /// `Arc`: a flag, not part of any cross-thread protocol).
    read_shut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Timeouts {
    pub(crate) fn new(read: Option<Duration>, write: Option<Duration>) -> Self {
        Timeouts {
            read: Cell::new(read),
            write: Cell::new(write),
            read_shut: Default::default(),
        }
    }

    pub(crate) fn shut_read(&self) {
        self.read_shut
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// A receive's answer once the reading half was shut down: `ended()`
    /// (std's blocking receive gives 0 bytes) where the kernel says
    /// `EAGAIN`.
    pub(crate) fn after_shutdown<T>(
        &self,
        got: io::Result<T>,
        ended: impl FnOnce() -> io::Result<T>,
    ) -> io::Result<T> {
        match got {
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock
                    && self.read_shut.load(std::sync::atomic::Ordering::Relaxed) =>
            {
                ended()
            }
            got => got,
        }
    }

    /// std's error for a zero timeout.
    pub(crate) fn zero() -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "cannot set a 0 duration timeout",
        )
    }

    fn check(timeout: Option<Duration>) -> io::Result<Option<Duration>> {
        match timeout {
            Some(t) if t.is_zero() => Err(Self::zero()),
            t => Ok(t),
        }
    }

    pub(crate) fn set_read(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read.set(Self::check(timeout)?);
        Ok(())
    }

    pub(crate) fn set_write(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.write.set(Self::check(timeout)?);
        Ok(())
    }

    pub(crate) fn read(&self) -> Option<Duration> {
        self.read.get()
    }

    pub(crate) fn write(&self) -> Option<Duration> {
        self.write.get()
    }

    /// A clone's settings: the same timeouts, and the same socket's
    /// shutdown flag.
    pub(crate) fn copy_from(&mut self, other: &Timeouts) {
        self.read.set(other.read());
        self.write.set(other.write());
        self.read_shut = other.read_shut.clone();
    }
}

/// The methods every socket type with timeouts shares, written once:
/// std-style timeouts, `take_error`, and the conversions from and into the
/// std type `$std`. Used inside the type's `impl` block; the type has the
/// fields `io: Evented<$std>` and `timeouts: Timeouts`.
macro_rules! socket_common {
    ($std:ty) => {
        /// A read that fails with `ErrorKind::WouldBlock` once `timeout`
        /// passes without data, as std's on Unix (`None`: wait as long as it
        /// takes). It bounds each wait of one call. In a task it suspends the
        /// task until then; outside one it blocks the thread. The futures
        /// forms (`AsyncRead`, `*_async`) do not time out, as tokio's do
        /// not: race them against a timer there.
        ///
        /// # Errors
        ///
        /// `InvalidInput` for a zero duration, as std.
        pub fn set_read_timeout(
            &self,
            timeout: Option<std::time::Duration>,
        ) -> std::io::Result<()> {
            self.timeouts.set_read(timeout)
        }

        /// The read timeout.
        pub fn read_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
            Ok(self.timeouts.read())
        }

        /// A write that fails with `ErrorKind::WouldBlock` once `timeout`
        /// passes without room to write (see
        /// [`set_read_timeout`](Self::set_read_timeout)).
        pub fn set_write_timeout(
            &self,
            timeout: Option<std::time::Duration>,
        ) -> std::io::Result<()> {
            self.timeouts.set_write(timeout)
        }

        /// The write timeout.
        pub fn write_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
            Ok(self.timeouts.write())
        }

        /// Takes the pending socket error (`SO_ERROR`).
        pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
            self.io.get_ref().take_error()
        }

        /// Wraps the std type; puts it in non-blocking mode and keeps its
        /// read and write timeouts.
        pub fn from_std(socket: $std) -> std::io::Result<Self> {
            let timeouts =
                $crate::net::Timeouts::new(socket.read_timeout()?, socket.write_timeout()?);
            socket.set_nonblocking(true)?;
            Ok(Self {
                io: $crate::io::Evented::new(socket),
                timeouts,
            })
        }

        /// The std type, deregistered, back in blocking mode, with this
        /// socket's timeouts set on it.
        pub fn into_std(self) -> std::io::Result<$std> {
            let (read, write) = (self.timeouts.read(), self.timeouts.write());
            let socket = self.io.into_inner();
            socket.set_nonblocking(false)?;
            socket.set_read_timeout(read)?;
            socket.set_write_timeout(write)?;
            Ok(socket)
        }
    };
}

pub(crate) use socket_common;
