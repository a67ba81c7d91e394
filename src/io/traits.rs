//! The std and futures I/O traits, written once for every I/O type: each
//! type holds an `Evented` in a field named `io`, and these macros give it
//! `Read`/`Write` (for `T` and `&T`, as std does, so one task reads while
//! another writes), `AsyncRead`/`AsyncWrite` (for `T` and `&T`) and
//! `AsFd`/`AsRawFd`.

/// `std::io::Read` and `futures::io::AsyncRead` for `$ty` and `&$ty`.
/// `$what` names the read in `Executor::tasks`; `$timeout` maps `&$ty` to
/// its read timeout.
macro_rules! evented_read {
    ($ty:ty, $what:literal, $timeout:expr) => {
        impl std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let this: &$ty = self;
                let timeout: Option<std::time::Duration> = ($timeout)(this);
                let len = buf.len();
                if len == 0 {
                    return $crate::io::traits::at_once(std::io::Read::read(
                        &mut this.io.get_ref(),
                        buf,
                    ));
                }
                this.io.blocking_with(
                    $crate::executor::reactor::Direction::Read,
                    timeout,
                    $what,
                    |mut s| std::io::Read::read(&mut s, buf),
                    |&n| $crate::io::traits::short(n, len),
                )
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                let this: &$ty = self;
                let timeout: Option<std::time::Duration> = ($timeout)(this);
                let len = bufs.iter().map(|b| b.len()).sum();
                if len == 0 {
                    return $crate::io::traits::at_once(std::io::Read::read_vectored(
                        &mut this.io.get_ref(),
                        bufs,
                    ));
                }
                this.io.blocking_with(
                    $crate::executor::reactor::Direction::Read,
                    timeout,
                    $what,
                    |mut s| std::io::Read::read_vectored(&mut s, bufs),
                    |&n| $crate::io::traits::short(n, len),
                )
            }
        }

        impl std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::io::Read::read(&mut &*self, buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                std::io::Read::read_vectored(&mut &*self, bufs)
            }
        }

        impl futures::io::AsyncRead for &$ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let len = buf.len();
                if len == 0 {
                    return std::task::Poll::Ready($crate::io::traits::at_once(
                        std::io::Read::read(&mut self.io.get_ref(), buf),
                    ));
                }
                self.io.poll_io_with(
                    cx,
                    $crate::executor::reactor::Direction::Read,
                    $what,
                    |mut s| std::io::Read::read(&mut s, buf),
                    |&n| $crate::io::traits::short(n, len),
                )
            }
        }

        impl futures::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let mut this: &$ty = self.get_mut();
                futures::io::AsyncRead::poll_read(std::pin::Pin::new(&mut this), cx, buf)
            }
        }
    };
}

/// `std::io::Write` and `futures::io::AsyncWrite` for `$ty` and `&$ty`.
/// `$timeout` maps `&$ty` to its write timeout; `$close` is what
/// `poll_close` does (a socket shuts down its writing half).
macro_rules! evented_write {
    ($ty:ty, $what:literal, $timeout:expr, $close:expr) => {
        impl std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let this: &$ty = self;
                let timeout: Option<std::time::Duration> = ($timeout)(this);
                let len = buf.len();
                if len == 0 {
                    return $crate::io::traits::at_once(std::io::Write::write(
                        &mut this.io.get_ref(),
                        buf,
                    ));
                }
                this.io.blocking_with(
                    $crate::executor::reactor::Direction::Write,
                    timeout,
                    $what,
                    |mut s| std::io::Write::write(&mut s, buf),
                    |&n| $crate::io::traits::short(n, len),
                )
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                let this: &$ty = self;
                let timeout: Option<std::time::Duration> = ($timeout)(this);
                let len = bufs.iter().map(|b| b.len()).sum();
                if len == 0 {
                    return $crate::io::traits::at_once(std::io::Write::write_vectored(
                        &mut this.io.get_ref(),
                        bufs,
                    ));
                }
                this.io.blocking_with(
                    $crate::executor::reactor::Direction::Write,
                    timeout,
                    $what,
                    |mut s| std::io::Write::write_vectored(&mut s, bufs),
                    |&n| $crate::io::traits::short(n, len),
                )
            }

            /// Nothing is buffered: data goes to the kernel in `write`.
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                std::io::Write::write(&mut &*self, buf)
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                std::io::Write::write_vectored(&mut &*self, bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl futures::io::AsyncWrite for &$ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let len = buf.len();
                if len == 0 {
                    return std::task::Poll::Ready($crate::io::traits::at_once(
                        std::io::Write::write(&mut self.io.get_ref(), buf),
                    ));
                }
                self.io.poll_io_with(
                    cx,
                    $crate::executor::reactor::Direction::Write,
                    $what,
                    |mut s| std::io::Write::write(&mut s, buf),
                    |&n| $crate::io::traits::short(n, len),
                )
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let this: &$ty = self.get_mut();
                std::task::Poll::Ready(($close)(this))
            }
        }

        impl futures::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let mut this: &$ty = self.get_mut();
                futures::io::AsyncWrite::poll_write(std::pin::Pin::new(&mut this), cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let mut this: &$ty = self.get_mut();
                futures::io::AsyncWrite::poll_flush(std::pin::Pin::new(&mut this), cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let mut this: &$ty = self.get_mut();
                futures::io::AsyncWrite::poll_close(std::pin::Pin::new(&mut this), cx)
            }
        }
    };
}

/// `AsFd` and `AsRawFd` for `$ty`.
macro_rules! evented_fd {
    ($ty:ty) => {
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.get_ref())
            }
        }
    };
}

/// Whether a stream call moved some bytes but fewer than asked: the
/// kernel's queue (or room) ran out, so the next call would block (the
/// reactor's rule 3). `0` is the end of the stream, not a drained queue.
pub(crate) fn short(n: usize, asked: usize) -> bool {
    n > 0 && n < asked
}

/// What a call with an empty buffer returns. It moves nothing, so it has
/// nothing to wait for, and std returns `Ok(0)` at once; through
/// `blocking_with` or `poll_io_with` a task would first wait on an fd known
/// not ready, for an event that may never come. The call is still tried
/// once, so that a real error shows; `WouldBlock` (a Unix socket's
/// zero-byte `recv` with no data says it) is no error, so `Ok(0)`. The
/// readiness bit stays as it was: nothing was learnt about the kernel's
/// queue.
pub(crate) fn at_once(tried: std::io::Result<usize>) -> std::io::Result<usize> {
    match tried {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(0),
        other => other,
    }
}

pub(crate) use {evented_fd, evented_read, evented_write};
