//! `Barrier`: a fixed number of tasks wait for each other (Python's
//! `asyncio.Barrier`, tokio's `Barrier`).
//!
//! Rules:
//! 1. A round passes when its `parties`-th task arrives: every task waiting
//!    in it returns, and the barrier is at once empty and ready for the
//!    next round (it is reusable, as Python's and tokio's are).
//! 2. Each task of a round gets its arrival index, `0..parties`; the one
//!    that arrives last, whose arrival passes the round, is the leader.
//! 3. A waiter that leaves before its round passes (cancelled, timed out,
//!    its future dropped) no longer counts: the round then needs one more
//!    arrival. (tokio's count keeps a dropped wait; a round it meant to
//!    pass would then pass one task short.)
//! 4. `abort` breaks the barrier: every waiter, and every later wait until
//!    `reset`, fails with a broken error. `reset` fails the current waiters
//!    the same way and leaves the barrier empty and usable (Python's
//!    `reset`).
//! 5. A task that is unwinding never waits: its arrival passes the round
//!    if it is the last one, and otherwise fails at once and does not
//!    count.

use crate::executor::{block, waiter_for, Entry, Unwinding, WaitQueue};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// `parties` tasks wait for each other, round after round: Python's
/// `asyncio.Barrier`, tokio's `Barrier`.
///
/// A waiter that is cancelled or times out leaves its round, which then
/// waits for one more task; [`abort`](Barrier::abort) fails every waiter,
/// so a group whose member failed does not wait forever.
///
/// ```
/// use corun::sync::Barrier;
/// use std::rc::Rc;
///
/// let ex = corun::Executor::new();
/// let barrier = Rc::new(Barrier::new(3));
/// let handles: Vec<_> = (0..3)
///     .map(|_| {
///         let b = barrier.clone();
///         ex.spawn(move || b.wait().unwrap().is_leader())
///     })
///     .collect();
/// let leaders = ex.block_on(|| {
///     corun::sync::join_all(handles)
///         .into_iter()
///         .filter(|r| *r.as_ref().unwrap())
///         .count()
/// });
/// assert_eq!(leaders, 1); // the third to arrive let the round pass
/// ```
pub struct Barrier {
    parties: usize,
    broken: Cell<bool>,
    waiters: WaitQueue<(), Release>,
}

/// How a round ended for a waiter in it.
#[derive(Clone, Copy)]
enum Release {
    /// With the waiter's arrival index among those still in the round.
    Passed(usize),
    Broken,
}

impl Barrier {
    /// A barrier for rounds of `parties` tasks.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (Python raises `ValueError` there): a round with
    /// no tasks could never pass or always would.
    ///
    /// ```
    /// let b = corun::sync::Barrier::new(1);
    /// let ex = corun::Executor::new();
    /// assert!(ex.block_on(|| b.wait().unwrap().is_leader())); // alone: passes at once
    /// ```
    pub fn new(parties: usize) -> Self {
        assert!(
            parties > 0,
            "corun::sync::Barrier::new(0): a barrier needs at least one party"
        );
        Barrier {
            parties,
            broken: Cell::new(false),
            waiters: WaitQueue::new(),
        }
    }

    /// How many tasks a round needs.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many tasks are waiting in the current round (Python's
    /// `n_waiting`).
    pub fn n_waiting(&self) -> usize {
        self.waiters.len()
    }

    /// Whether the barrier is broken ([`abort`](Barrier::abort) was called
    /// and no [`reset`](Barrier::reset) since).
    pub fn is_broken(&self) -> bool {
        self.broken.get()
    }

    /// Arrives and waits until the round has `parties` tasks, suspending
    /// the calling task; the last to arrive returns at once, as the leader.
    ///
    /// # Errors
    ///
    /// [`BarrierError`]: broken if the barrier is or gets broken or reset
    /// while waiting ([`is_broken`](BarrierError::is_broken)); or, for a
    /// task that is unwinding (a destructor run by cancellation), if it
    /// would have to wait: it never suspends then, and does not count.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`wait_async`](Barrier::wait_async) there).
    ///
    /// ```
    /// use corun::sync::Barrier;
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let b = Rc::new(Barrier::new(2));
    /// let b2 = b.clone();
    /// let other = ex.spawn(move || b2.wait().unwrap().index());
    /// ex.block_on(|| {
    ///     corun::yield_now(); // the other task arrives first
    ///     let me = b.wait().unwrap();
    ///     assert_eq!((me.index(), me.is_leader()), (1, true)); // arrived second
    ///     assert_eq!(other.join().unwrap(), 0);
    /// });
    /// ```
    pub fn wait(&self) -> Result<BarrierWaitResult, BarrierError> {
        const WHAT: &str = "corun::sync::Barrier::wait";
        let mut op = BarrierOp::new(self);
        match block("Barrier::wait", || op.poll(None, WHAT)) {
            Ok(result) => result,
            Err(Unwinding) => Err(BarrierError(BarrierErrorKind::Unwinding)),
        }
    }

    /// [`wait`](Barrier::wait) for at most `limit` (Python's
    /// `wait(timeout)`): past it, this task leaves its round and gets an
    /// error that [`is_timed_out`](BarrierError::is_timed_out). Unlike
    /// Python's, the barrier is not broken: the round waits for another
    /// party instead.
    ///
    /// # Panics
    ///
    /// Outside a stackful task (as [`corun::timeout`](crate::timeout)).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::new();
    /// let b = corun::sync::Barrier::new(2);
    /// ex.block_on(|| {
    ///     let e = b.wait_timeout(Duration::from_millis(1)).unwrap_err();
    ///     assert!(e.is_timed_out());
    ///     assert_eq!(b.n_waiting(), 0); // it left its round
    ///     assert!(!b.is_broken());
    /// });
    /// ```
    #[track_caller]
    pub fn wait_timeout(
        &self,
        limit: std::time::Duration,
    ) -> Result<BarrierWaitResult, BarrierError> {
        crate::timeout(limit, || self.wait()).unwrap_or(Err(BarrierError::timed_out()))
    }

    /// A future of [`wait`](Barrier::wait), for future tasks and async
    /// code. It arrives when first polled; dropping it before its round
    /// passes leaves the round.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let b = Rc::new(corun::sync::Barrier::new(2));
    /// let b2 = b.clone();
    /// let fut = ex.spawn_future(async move { b2.wait_async().await.unwrap().index() });
    /// ex.block_on(|| {
    ///     corun::yield_now(); // the future task arrives first
    ///     assert!(b.wait().unwrap().is_leader());
    ///     assert_eq!(fut.join().unwrap(), 0);
    /// });
    /// ```
    pub fn wait_async(&self) -> BarrierWait<'_> {
        BarrierWait {
            op: BarrierOp::new(self),
        }
    }

    /// Breaks the barrier: every waiting task, and every wait after this
    /// until [`reset`](Barrier::reset), fails with a broken error (Python's
    /// `abort`). Use it to stop a group when one of its tasks fails.
    ///
    /// ```
    /// let b = corun::sync::Barrier::new(2);
    /// b.abort();
    /// let ex = corun::Executor::new();
    /// assert!(ex.block_on(|| b.wait()).unwrap_err().is_broken());
    /// b.reset();
    /// assert!(!b.is_broken());
    /// ```
    pub fn abort(&self) {
        self.broken.set(true);
        self.waiters.complete_all(|| Release::Broken);
    }

    /// Empties the current round, failing its waiters with a broken error,
    /// and mends a broken barrier: later waits begin a new round (Python's
    /// `reset`).
    pub fn reset(&self) {
        self.broken.set(false);
        self.waiters.complete_all(|| Release::Broken);
    }

    /// Arrives now (rules 1, 2 and 4): `Some` if this arrival passes the
    /// round or fails, `None` if it has to wait.
    fn arrive(&self) -> Option<Result<BarrierWaitResult, BarrierError>> {
        if self.broken.get() {
            return Some(Err(BarrierError(BarrierErrorKind::Broken)));
        }
        let index = self.waiters.len();
        if index + 1 < self.parties {
            return None;
        }
        // Indices are handed out as the round passes, in arrival order, so
        // a waiter that left leaves no gap and no index is given twice.
        let mut next = 0;
        self.waiters.complete_all(|| {
            next += 1;
            Release::Passed(next - 1)
        });
        Some(Ok(BarrierWaitResult {
            index,
            leader: true,
        }))
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("waiting", &self.waiters.len())
            .field("broken", &self.broken.get())
            .finish()
    }
}

/// One task's arrival; leaves its round when dropped before it passed.
struct BarrierOp<'a> {
    barrier: &'a Barrier,
    key: Option<u64>,
}

impl<'a> BarrierOp<'a> {
    fn new(barrier: &'a Barrier) -> Self {
        BarrierOp { barrier, key: None }
    }

    fn poll(
        &mut self,
        waker: Option<&Waker>,
        what: &str,
    ) -> Poll<Result<BarrierWaitResult, BarrierError>> {
        let waiters = &self.barrier.waiters;
        let Some(key) = self.key else {
            return match self.barrier.arrive() {
                Some(done) => Poll::Ready(done),
                None => {
                    self.key = Some(waiters.push(waiter_for(waker, what), ()));
                    Poll::Pending
                }
            };
        };
        match waiters.take(key, waker) {
            Entry::Waiting => Poll::Pending,
            Entry::Done(release) => {
                self.key = None;
                Poll::Ready(match release {
                    Release::Passed(index) => Ok(BarrierWaitResult {
                        index,
                        leader: false,
                    }),
                    Release::Broken => Err(BarrierError(BarrierErrorKind::Broken)),
                })
            }
        }
    }
}

impl Drop for BarrierOp<'_> {
    fn drop(&mut self) {
        // Still waiting: it leaves the round (rule 3). Already released:
        // the round it was in has passed, and nothing is owed to anyone.
        if let Some(key) = self.key.take() {
            let _ = self.barrier.waiters.cancel(key);
        }
    }
}

/// The future of [`Barrier::wait_async`].
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    op: BarrierOp<'a>,
}

impl Future for BarrierWait<'_> {
    type Output = Result<BarrierWaitResult, BarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.op
            .poll(Some(cx.waker()), "corun::sync::BarrierWait::poll")
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("waiting", &self.op.key.is_some())
            .finish()
    }
}

/// What a task that passed a [`Barrier`] learns: its arrival index in the
/// round (Python's return value of `wait`) and whether it was the leader
/// (tokio's `is_leader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    index: usize,
    leader: bool,
}

impl BarrierWaitResult {
    pub(crate) fn new(index: usize, leader: bool) -> Self {
        BarrierWaitResult { index, leader }
    }

    /// Whether this task's arrival passed the round (it arrived last).
    /// Exactly one task of each round is the leader.
    pub fn is_leader(&self) -> bool {
        self.leader
    }

    /// This task's place in its round's arrivals, from 0; the leader's is
    /// `parties - 1`. A task that left the round before it passed has no
    /// place in it: the indices of a round are always `0..parties`.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// Why [`Barrier::wait`] failed.
///
/// ```
/// let ex = corun::Executor::new();
/// let b = corun::sync::Barrier::new(3);
/// b.abort();
/// let err = ex.block_on(|| b.wait().unwrap_err());
/// assert_eq!(err.to_string(), "barrier broken (aborted or reset)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierError(BarrierErrorKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BarrierErrorKind {
    Broken,
    Unwinding,
    TimedOut,
}

impl BarrierError {
    pub(crate) fn broken() -> Self {
        BarrierError(BarrierErrorKind::Broken)
    }

    pub(crate) fn unwinding() -> Self {
        BarrierError(BarrierErrorKind::Unwinding)
    }

    pub(crate) fn timed_out() -> Self {
        BarrierError(BarrierErrorKind::TimedOut)
    }

    /// A `wait_timeout` ran out of time: the waiter left its round, which
    /// goes on without it (the barrier is not broken, unlike Python's).
    pub fn is_timed_out(&self) -> bool {
        self.0 == BarrierErrorKind::TimedOut
    }

    /// The barrier was aborted, or reset while this task waited (Python's
    /// `BrokenBarrierError`), rather than the task being unable to wait
    /// because it is unwinding.
    pub fn is_broken(&self) -> bool {
        self.0 == BarrierErrorKind::Broken
    }
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            BarrierErrorKind::Broken => f.write_str("barrier broken (aborted or reset)"),
            BarrierErrorKind::Unwinding => {
                f.write_str("cannot wait at a barrier while the task is unwinding")
            }
            BarrierErrorKind::TimedOut => {
                f.write_str("timed out at a barrier (the waiter left its round)")
            }
        }
    }
}

impl std::error::Error for BarrierError {}
