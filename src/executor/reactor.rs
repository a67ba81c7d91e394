//! The reactor: the executor's side of I/O. Sources (sockets, pipes, any
//! fd) registered on the executor's mio `Poll`, and a readiness record per
//! source with the tasks and wakers waiting on it. The wait a task makes
//! on a record is in `io_wait.rs`; the I/O types live in `crate::io` and
//! `crate::net`. These two files are all the executor knows of them.
//!
//! Rules:
//! 1. A source is registered once, edge-triggered, for reading and writing,
//!    under a token made of its slot and a generation number. An event whose
//!    token names a freed or reused slot is ignored, so an event for a
//!    source already gone is harmless.
//! 2. Each record keeps, per direction, a readiness bit, a wait list (the
//!    stackful tasks waiting, and the futures of `*_async` calls, each
//!    enrolled on its own) and one waker slot for the `poll_*` building
//!    blocks (`AsyncRead`, `poll_accept`), whose latest waker wins, as
//!    tokio's `poll_read_ready`. An event
//!    sets the bits of the directions it reports (an error or a hang-up sets
//!    both, so every waiter tries again and meets the error or the end of
//!    the stream) and wakes their waiters.
//! 3. A set bit means "the call may succeed: try it"; a clear bit means "it
//!    would block: wait for the next event first". The bit is cleared when
//!    the call says `WouldBlock`, and after a short stream read or write
//!    (fewer bytes than asked, but some): the kernel's queue was drained, so
//!    a new edge will come when that changes (tokio does the same; it saves
//!    the `WouldBlock` call per message). Single-threaded: no event is
//!    dispatched between a call and the clearing of its bit, so no edge is
//!    lost.
//! 4. A hang-up or an error already reported (the peer closed, the socket
//!    shut down, a reset) makes its direction's bit stick: no edge will
//!    come for it again, so a short read of the last data before the end
//!    must not make the next read wait.
//! 5. Every wait is held by a guard: a task cancelled, timed out or dropped
//!    while it waits leaves its record's list, and its timer, so no stale
//!    wake reaches it. An enrolled future leaves the list when it is
//!    dropped; a `poll_*` waker sits in its direction's slot until the
//!    next event or until its source goes.
//! 6. A source is deregistered and its record freed when its owner is
//!    dropped on the executor's thread. Dropped anywhere else, its token
//!    goes on the reactor's release queue (the one cross-thread piece) and
//!    the executor frees the record at its next poll; closing the fd has
//!    already taken it out of epoll. The same queue frees the record of an
//!    fd that another executor on the thread took over (it registered it
//!    there): the waiters still on the freed record are woken, so that
//!    they try again and wait on the record where the fd now lives.
//! 7. A stackful task waiting for I/O can be woken by the outside world:
//!    the deadlock detector asks `has_task_waits`. A future's waker kept
//!    here is not counted for it: while its task lives, the clone kept here
//!    is a `Waker` held outside the executor, which the detector sees
//!    anyway; once its task has ended (cancelled, or done with the waker
//!    left behind, say by a `select`) it can wake no one, yet it stays here
//!    until the next event or until its source goes, and no event may ever
//!    come. `has_waiters` counts both, to tell whether polling the driver
//!    can wake anything.

use super::wait_queue::{WaitQueue, Waiter};
use crate::loom::Arc;
use concurrent_queue::ConcurrentQueue;
use mio::unix::SourceFd;
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::task::Waker;

/// Which way an operation moves data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read = 0,
    Write = 1,
}

/// Tokens released away from the executor's thread (rule 6). Its address
/// also tells one reactor from another.
pub(crate) type ReleaseQueue = ConcurrentQueue<usize>;

/// The readiness record of one registered source.
pub(crate) struct Source {
    /// Bit 0: reading may succeed; bit 1: writing may (rules 2 and 3).
    ready: Cell<u8>,
    /// The directions whose end or error was reported: their `ready` bits
    /// stay set (rule 4).
    closed: Cell<u8>,
    lists: [WaitQueue; 2],
    wakers: [RefCell<Option<Waker>>; 2],
    /// The reactor's counts of waits in progress (rule 7).
    waiting: Rc<Waiting>,
}

/// Waits in progress on a reactor's sources (rule 7).
#[derive(Default)]
struct Waiting {
    /// Stackful tasks, each held by a [`Counted`] guard.
    tasks: Cell<usize>,
    /// Futures' wakers kept in a source.
    wakers: Cell<usize>,
}

impl Source {
    fn bit(dir: Direction) -> u8 {
        1 << dir as u8
    }

    /// Whether `dir`'s call may succeed (rule 3).
    pub(crate) fn is_ready(&self, dir: Direction) -> bool {
        self.ready.get() & Self::bit(dir) != 0
    }

    /// Records that `dir`'s call would block (rule 3), unless its end was
    /// reported (rule 4).
    pub(crate) fn clear(&self, dir: Direction) {
        let sticky = self.closed.get() & Self::bit(dir);
        self.ready
            .set(self.ready.get() & !(Self::bit(dir) & !sticky));
    }

    /// Records that `dir` has ended (a hang-up, an error, our own
    /// `shutdown`) and wakes its waiters (rule 4).
    pub(crate) fn close(&self, dir: Direction) {
        self.closed.set(self.closed.get() | Self::bit(dir));
        self.wake(dir);
    }

    /// Wakes everyone waiting on `dir`: an event, or a local change that
    /// the kernel may not report (our own `shutdown`).
    pub(crate) fn wake(&self, dir: Direction) {
        self.ready.set(self.ready.get() | Self::bit(dir));
        self.lists[dir as usize].wake_all();
        let waker = self.wakers[dir as usize].borrow_mut().take();
        if let Some(waker) = waker {
            self.waiting.wakers.set(self.waiting.wakers.get() - 1);
            waker.wake();
        }
    }

    /// Makes `waker` the one woken by `dir`'s next event.
    pub(crate) fn set_waker(&self, dir: Direction, waker: &Waker) {
        let mut slot = self.wakers[dir as usize].borrow_mut();
        match &mut *slot {
            Some(w) if w.will_wake(waker) => {}
            Some(w) => w.clone_from(waker),
            None => {
                self.waiting.wakers.set(self.waiting.wakers.get() + 1);
                *slot = Some(waker.clone());
            }
        }
    }

    /// Enrolls a future of its own (an `*_async` call) for `dir`'s next
    /// wake, beside any others: its key in `dir`'s list. Counted as a
    /// waker kept (rule 7) until [`unenroll`](Self::unenroll).
    pub(crate) fn enroll(&self, dir: Direction, waker: &Waker) -> u64 {
        self.waiting.wakers.set(self.waiting.wakers.get() + 1);
        self.lists[dir as usize].push(Waiter::Waker(waker.clone()), ())
    }

    /// Ends an [`enroll`](Self::enroll)ment: its entry goes if no wake took
    /// it yet.
    pub(crate) fn unenroll(&self, dir: Direction, key: u64) {
        self.lists[dir as usize].remove(key);
        self.waiting.wakers.set(self.waiting.wakers.get() - 1);
    }

    /// The stackful tasks (and enrolled futures) waiting on `dir`.
    pub(crate) fn queue(&self, dir: Direction) -> &WaitQueue {
        &self.lists[dir as usize]
    }

    /// Counts a wait in progress for the deadlock detector while the guard
    /// lives (rule 7).
    pub(crate) fn count_wait(&self) -> Counted<'_> {
        self.waiting.tasks.set(self.waiting.tasks.get() + 1);
        Counted(&self.waiting.tasks)
    }

    fn drop_wakers(&self) {
        for slot in &self.wakers {
            if slot.borrow_mut().take().is_some() {
                self.waiting.wakers.set(self.waiting.wakers.get() - 1);
            }
        }
    }
}

/// The executor's registered sources.
pub(crate) struct Reactor {
    registry: mio::Registry,
    slots: RefCell<Slab<(u32, Rc<Source>)>>,
    generation: Cell<u32>,
    waiting: Rc<Waiting>,
    released: Arc<ReleaseQueue>,
}

fn token(slot: usize, generation: u32) -> mio::Token {
    mio::Token((generation as usize) << 32 | slot)
}

fn split(token: mio::Token) -> (usize, u32) {
    (token.0 & 0xffff_ffff, (token.0 >> 32) as u32)
}

impl Reactor {
    pub(crate) fn new(registry: mio::Registry) -> Self {
        Reactor {
            registry,
            slots: RefCell::new(Slab::new()),
            generation: Cell::new(0),
            waiting: Rc::new(Waiting::default()),
            released: Arc::new(ConcurrentQueue::unbounded()),
        }
    }

    /// This reactor's release queue, which also identifies it.
    pub(crate) fn release_queue(&self) -> &Arc<ReleaseQueue> {
        &self.released
    }

    /// Registers `fd` (rule 1); returns its token and record. The
    /// registration itself reports the fd's current readiness at the next
    /// poll.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<(usize, Rc<Source>)> {
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        let source = Rc::new(Source {
            // Registered after a `WouldBlock`: not ready until an event
            // says so (the registration reports the current state).
            ready: Cell::new(0),
            closed: Cell::new(0),
            lists: [WaitQueue::new(), WaitQueue::new()],
            wakers: [RefCell::new(None), RefCell::new(None)],
            waiting: self.waiting.clone(),
        });
        let slot = self.slots.borrow_mut().insert((generation, source.clone()));
        let tok = token(slot, generation);
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        let mut fd_source = SourceFd(&fd);
        let registered = match self.registry.register(&mut fd_source, tok, interest) {
            // Still registered from an owner that left this executor
            // without deregistering (`into_std` off its thread): take over.
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                self.registry.reregister(&mut fd_source, tok, interest)
            }
            other => other,
        };
        if let Err(e) = registered {
            self.slots.borrow_mut().remove(slot);
            return Err(e);
        }
        Ok((tok.0, source))
    }

    /// The record of a live token.
    pub(crate) fn source(&self, tok: usize) -> Option<Rc<Source>> {
        let (slot, generation) = split(mio::Token(tok));
        let slots = self.slots.borrow();
        let (g, source) = slots.get(slot)?;
        (*g == generation).then(|| source.clone())
    }

    /// Takes `fd` out of the poll and frees its record (rule 6). `fd` must
    /// still be open.
    pub(crate) fn deregister(&self, tok: usize, fd: RawFd) {
        // Failing means the fd is no longer in the poll: nothing to undo.
        let _ = self.registry.deregister(&mut SourceFd(&fd));
        self.free(tok);
    }

    fn free(&self, tok: usize) {
        if self.source(tok).is_none() {
            return;
        }
        let (slot, _) = split(mio::Token(tok));
        let (_, source) = self.slots.borrow_mut().remove(slot);
        // Rule 6: nothing would ever wake its waiters again.
        source.wake(Direction::Read);
        source.wake(Direction::Write);
        source.drop_wakers();
    }

    /// Frees the records released away from this thread (rule 6).
    pub(crate) fn drain_released(&self) {
        while let Ok(tok) = self.released.pop() {
            self.free(tok);
        }
    }

    /// Wakes the waiters of each event's source (rule 2).
    pub(crate) fn dispatch(&self, event: &mio::event::Event) {
        let Some(source) = self.source(event.token().0) else {
            return;
        };
        let broken = event.is_error();
        if broken || event.is_read_closed() {
            source.close(Direction::Read);
        } else if event.is_readable() || event.is_priority() {
            source.wake(Direction::Read);
        }
        if broken || event.is_write_closed() {
            source.close(Direction::Write);
        } else if event.is_writable() {
            source.wake(Direction::Write);
        }
    }

    /// Whether any task or waker waits for I/O, so that polling the driver
    /// may wake something (rule 7).
    pub(crate) fn has_waiters(&self) -> bool {
        self.has_task_waits() || self.waiting.wakers.get() > 0
    }

    /// Whether a stackful task waits for I/O, for the deadlock detector
    /// (rule 7).
    pub(crate) fn has_task_waits(&self) -> bool {
        self.waiting.tasks.get() > 0
    }

    /// Frees every record (executor teardown).
    pub(crate) fn clear(&self) {
        let slots = std::mem::take(&mut *self.slots.borrow_mut());
        for (_, (_, source)) in slots {
            source.drop_wakers();
        }
    }
}

/// One wait in progress, counted for the deadlock detector while it lasts.
pub(crate) struct Counted<'c>(&'c Cell<usize>);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}
