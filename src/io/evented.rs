//! `Evented<T>`: a non-blocking fd and its registration with whichever
//! executor uses it. Every I/O type is one of these plus its own methods;
//! this file is where an operation that would block becomes a wait.
//!
//! An operation, in order (see the reactor's rules in
//! `executor/reactor.rs`):
//! 1. Try the system call. Anything but `WouldBlock` is the answer.
//! 2. In a task: register the fd with the running executor if it is not
//!    yet (lazily, so a socket made outside any executor and moved in
//!    works), and wait for the direction's next event. A call whose fd is
//!    known not ready (the reactor's rule 3) waits first, without trying
//!    (a stackful task suspends; a future stores its waker and returns
//!    `Pending`). Then go to 1.
//! 3. Outside any task (a plain thread): block the thread in `poll` on the
//!    fd (`thread_wait.rs`), then go to 1. So the calls behave as std's do.
//! 4. A deadline (the std-style timeouts) that passes while waiting ends
//!    the operation with `WouldBlock`, as std's timeouts do on Unix.

use super::thread_wait;
use crate::executor::io_wait::{self, Waited};
use crate::executor::reactor::{Direction, ReleaseQueue, Source};
use crate::loom::Arc;
use std::cell::RefCell;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A non-blocking `T` (a std socket, a pipe end, a dup'd fd) that waits
/// through the reactor. `Send` if `T` is, like std's types; not `Sync`:
/// the registration is per thread.
pub(crate) struct Evented<T: AsFd> {
    inner: Option<T>,
    bound: RefCell<Option<Bound>>,
}

/// A registration with one executor's reactor.
struct Bound {
    /// The reactor's release queue: identifies it and takes the token back
    /// if the owner is dropped elsewhere.
    reactor: Arc<ReleaseQueue>,
    token: usize,
}

impl<T: AsFd> Evented<T> {
    /// Wraps `inner`, which must already be in non-blocking mode.
    pub(crate) fn new(inner: T) -> Self {
        Evented {
            inner: Some(inner),
            bound: RefCell::new(None),
        }
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("an Evented always has its fd until dropped")
    }

    fn raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }

    /// Takes the fd out of the reactor and gives it back.
    pub(crate) fn into_inner(mut self) -> T {
        self.release();
        self.inner.take().expect("into_inner runs once")
    }

    /// This fd's record in the running executor's reactor, registering it
    /// there first if needed (step 2). `None` outside any executor.
    fn source(&self) -> Option<io::Result<Rc<Source>>> {
        io_wait::with_current(|r| {
            let mut bound = self.bound.borrow_mut();
            if let Some(b) = &*bound {
                if Arc::ptr_eq(&b.reactor, r.release_queue()) {
                    if let Some(source) = r.source(b.token) {
                        return Ok(source);
                    }
                } else {
                    // Moved to another executor: the old one frees its
                    // record; closing the fd later takes it out of that
                    // executor's epoll.
                    let _ = b.reactor.push(b.token);
                }
            }
            let (token, source) = r.register(self.raw_fd())?;
            *bound = Some(Bound {
                reactor: r.release_queue().clone(),
                token,
            });
            Ok(source)
        })
    }

    /// This fd's record if it is registered with the running executor
    /// (never registers).
    fn bound_source(&self) -> Option<Rc<Source>> {
        let bound = self.bound.borrow();
        let b = bound.as_ref()?;
        io_wait::with_current(|r| {
            Arc::ptr_eq(&b.reactor, r.release_queue())
                .then(|| r.source(b.token))
                .flatten()
        })
        .flatten()
    }

    /// Runs `op` until it does not say `WouldBlock`, waiting for `dir` in
    /// between (steps 1–4). `what` shows in `Executor::tasks`.
    pub(crate) fn blocking<R>(
        &self,
        dir: Direction,
        timeout: Option<Duration>,
        what: &'static str,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.blocking_with(dir, timeout, what, op, |_| false)
    }

    /// [`blocking`](Self::blocking), where `drained(&result)` says the
    /// call emptied the kernel's queue (a short stream read or write), so
    /// the next call waits for an event instead of trying first (the
    /// reactor's rule 3).
    pub(crate) fn blocking_with<R>(
        &self,
        dir: Direction,
        timeout: Option<Duration>,
        what: &'static str,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        let mut deadline = None;
        let mut deadline = |timeout: Option<Duration>| {
            *deadline.get_or_insert_with(|| timeout.and_then(|t| crate::time::now().checked_add(t)))
        };
        if let Some(source) = self.bound_source() {
            if !source.is_ready(dir) && io_wait::in_task() {
                self.wait(dir, deadline(timeout), what)?;
            }
        }
        loop {
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Ok(r) => {
                    if drained(&r) {
                        if let Some(source) = self.bound_source() {
                            source.clear(dir);
                        }
                    }
                    return Ok(r);
                }
                Err(e) => return Err(e),
            }
            self.wait(dir, deadline(timeout), what)?;
        }
    }

    /// Waits once for `dir`: an event in a task, `poll` outside one.
    pub(crate) fn wait(
        &self,
        dir: Direction,
        deadline: Option<Instant>,
        what: &'static str,
    ) -> io::Result<()> {
        if !io_wait::in_task() {
            return match thread_wait::wait(self.get_ref().as_fd(), dir, deadline)? {
                true => Ok(()),
                false => Err(timed_out(what)),
            };
        }
        let source = self.source().expect("in_task implies a running executor")?;
        source.clear(dir);
        match io_wait::wait(&source, dir, deadline, what) {
            Waited::Ready => Ok(()),
            Waited::TimedOut => Err(timed_out(what)),
            Waited::Unwinding => Err(io::Error::other(format!(
                "{what}: the task is unwinding (cancelled or its executor dropped) and \
                 cannot wait for I/O"
            ))),
        }
    }

    /// The future form of [`blocking`](Self::blocking): one try (none if
    /// the fd is known not ready), then the waker is stored for `dir`'s next
    /// event.
    ///
    /// # Panics
    ///
    /// If it would wait outside a corun executor: corun's I/O futures are
    /// woken by the executor's reactor.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        what: &'static str,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_with(cx, dir, what, op, |_| false)
    }

    /// [`poll_io`](Self::poll_io) with [`blocking_with`](Self::blocking_with)'s
    /// `drained`.
    pub(crate) fn poll_io_with<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        what: &'static str,
        op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        match self.try_io(dir, what, op, drained) {
            Ok(done) => Poll::Ready(done),
            Err(source) => {
                source.set_waker(dir, cx.waker());
                Poll::Pending
            }
        }
    }

    /// What one poll of an I/O future does before it waits: one try (none
    /// if the fd is known not ready), registering the fd if it would
    /// block. `Ok` is the answer; `Err` the record to wait on for `dir`.
    ///
    /// # Panics
    ///
    /// If it would wait outside a corun executor.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        what: &'static str,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Result<io::Result<R>, Rc<Source>> {
        if let Some(source) = self.bound_source() {
            if !source.is_ready(dir) {
                io_wait::note_waiting_on(what);
                return Err(source);
            }
        }
        match op(self.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Ok(r) => {
                if drained(&r) {
                    if let Some(source) = self.bound_source() {
                        source.clear(dir);
                    }
                }
                return Ok(Ok(r));
            }
            Err(e) => return Ok(Err(e)),
        }
        let source = match self.source() {
            Some(Ok(source)) => source,
            Some(Err(e)) => return Ok(Err(e)),
            None => panic!(
                "{what} polled outside a corun executor: corun's I/O futures are woken by \
                 the executor's reactor; poll them in a corun task (spawn_future, await_)"
            ),
        };
        source.clear(dir);
        io_wait::note_waiting_on(what);
        Err(source)
    }

    /// The future of an `*_async` call: `op` until it does not say
    /// `WouldBlock`, the future enrolled on its own for each wait, so any
    /// number of them may wait on one fd's direction at once (see
    /// [`IoOp`](super::io_op::IoOp)).
    pub(crate) fn op_async<R, Op>(
        &self,
        dir: Direction,
        what: &'static str,
        op: Op,
    ) -> super::io_op::IoOp<'_, T, Op>
    where
        Op: FnMut(&T) -> io::Result<R> + Unpin,
    {
        super::io_op::IoOp::new(self, dir, what, op)
    }

    /// Marks `dir` ended and wakes everyone waiting for it on this fd in
    /// the running executor: our own `shutdown`, which the kernel may not
    /// report as an event.
    pub(crate) fn shut(&self, dir: Direction) {
        if let Some(source) = self.bound_source() {
            source.close(dir);
        }
    }

    /// Deregisters: at once on the executor's thread, else through its
    /// release queue.
    fn release(&mut self) {
        let Some(b) = self.bound.get_mut().take() else {
            return;
        };
        let fd = self.raw_fd();
        let here = io_wait::with_current(|r| {
            let mine = Arc::ptr_eq(&b.reactor, r.release_queue());
            if mine {
                r.deregister(b.token, fd);
            }
            mine
        });
        if here != Some(true) {
            let _ = b.reactor.push(b.token);
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::WouldBlock, format!("{what} timed out"))
}

impl<T: AsFd> Drop for Evented<T> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.release();
        }
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Evented<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get_ref().fmt(f)
    }
}
