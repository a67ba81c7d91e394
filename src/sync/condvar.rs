//! `Condvar`: wait, with a [`Mutex`] unlocked, until another task says the
//! state it guards has changed (Python's `asyncio.Condition`, std's
//! `Condvar`).
//!
//! Rules:
//! 1. A wait joins the queue, then unlocks: no notification sent after it
//!    began can be missed (one thread runs both sides, and nothing runs
//!    between the two steps).
//! 2. `notify_one` hands one notification to the oldest waiter;
//!    `notify_all` to every waiter; a notification with no waiter is not
//!    kept (Python's and std's rule).
//! 3. A waiter that leaves (cancelled, timed out, its future dropped)
//!    after a notification was handed to it passes it to the next waiter,
//!    so a `notify_one` is never lost.
//! 4. A woken waiter locks again, in the mutex's arrival order, before it
//!    returns its guard; the state may have changed once more by then,
//!    which is why [`wait_while`](Condvar::wait_while) exists.
//! 5. A task that is unwinding never waits: its wait returns the guard at
//!    once, still locked (a spurious wake-up, which every condition
//!    variable allows).

use super::mutex::{Lock, Mutex, MutexGuard};
use crate::executor::{block, waiter_for, Cancelled, Entry, WaitQueue};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A condition variable for the tasks of one executor, used with a
/// [`Mutex`]: Python's `asyncio.Condition`, std's `Condvar`.
///
/// ```
/// use corun::sync::{Condvar, Mutex};
/// use std::rc::Rc;
///
/// let ex = corun::Executor::new();
/// let queue = Rc::new((Mutex::new(Vec::new()), Condvar::new()));
/// let q = queue.clone();
/// let consumer = ex.spawn(move || {
///     let (jobs, ready) = &*q;
///     let mut jobs = ready.wait_while(jobs.lock(), |jobs| jobs.len() < 2);
///     jobs.drain(..).collect::<Vec<_>>()
/// });
/// ex.block_on(|| {
///     let (jobs, ready) = &*queue;
///     for job in ["a", "b"] {
///         corun::yield_now(); // the consumer is waiting
///         jobs.lock().push(job);
///         ready.notify_one();
///     }
///     assert_eq!(consumer.join().unwrap(), ["a", "b"]);
/// });
/// ```
#[derive(Default)]
pub struct Condvar {
    waiters: WaitQueue,
}

impl Condvar {
    /// A condition variable with no waiter.
    pub fn new() -> Self {
        Condvar::default()
    }

    /// Unlocks `guard`'s mutex and suspends the calling task until it is
    /// notified, then locks again and returns the guard (rules 1 and 4).
    /// As with every condition variable, check the state again when it
    /// returns, or use [`wait_while`](Condvar::wait_while).
    ///
    /// # Panics
    ///
    /// Outside a corun task, or in a future task (use
    /// [`wait_async`](Condvar::wait_async) there).
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        const WHAT: &str = "corun::sync::Condvar::wait";
        let mutex = guard.mutex;
        let mut op = NotifyOp::new(self);
        if op.poll(None, WHAT).is_ready() {
            return guard; // unwinding: rule 5
        }
        drop(guard);
        // An unwinding task unwinds out of here: it is not locked again.
        let _ = block("Condvar::wait", || op.poll(None, WHAT));
        mutex.lock()
    }

    /// [`wait`](Condvar::wait) until `condition` is false: Python's
    /// `wait_for(predicate)`, with the predicate negated as std's is.
    /// Returns at once, without unlocking, if it is false already.
    pub fn wait_while<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut guard) {
            guard = self.wait(guard);
            if crate::generator::innermost_is_unwinding() {
                break; // it cannot wait again (rule 5)
            }
        }
        guard
    }

    /// [`wait`](Condvar::wait) for at most `limit`; the flag is `true` if
    /// the time ran out before a notification came. The mutex is locked
    /// again either way.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::new();
    /// let (m, cv) = (corun::sync::Mutex::new(0), corun::sync::Condvar::new());
    /// let timed_out = ex.block_on(|| cv.wait_timeout(m.lock(), Duration::from_millis(1)).1);
    /// assert!(timed_out); // nobody notified
    /// ```
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        limit: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        const WHAT: &str = "corun::sync::Condvar::wait_timeout";
        let mutex = guard.mutex;
        let mut op = NotifyOp::new(self);
        if op.poll(None, WHAT).is_ready() {
            return (guard, false);
        }
        drop(guard);
        let timed_out = crate::executor::timeout(limit, || {
            block("Condvar::wait_timeout", || op.poll(None, WHAT))
        })
        .is_err();
        // Out of the queue before waiting for the lock: a notification
        // handed to it as time ran out goes on to the next waiter now.
        drop(op);
        (mutex.lock(), timed_out)
    }

    /// A future of [`wait`](Condvar::wait), for future tasks and async
    /// code: it unlocks when first polled, and is ready with the guard
    /// once notified and locked again.
    ///
    /// ```
    /// use corun::sync::{Condvar, Mutex};
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let shared = Rc::new((Mutex::new(false), Condvar::new()));
    /// let s = shared.clone();
    /// let h = ex.spawn_future(async move {
    ///     let (flag, cv) = &*s;
    ///     let mut set = flag.lock_async().await;
    ///     while !*set {
    ///         set = cv.wait_async(set).await;
    ///     }
    ///     "saw it set"
    /// });
    /// ex.block_on(|| {
    ///     corun::yield_now();
    ///     *shared.0.lock() = true;
    ///     shared.1.notify_all();
    ///     assert_eq!(h.join().unwrap(), "saw it set");
    /// });
    /// ```
    pub fn wait_async<'a, T>(&'a self, guard: MutexGuard<'a, T>) -> CondvarWait<'a, T> {
        CondvarWait {
            op: NotifyOp::new(self),
            mutex: guard.mutex,
            state: WaitState::Locked(guard),
        }
    }

    /// Wakes the oldest waiter, if any (rule 2).
    pub fn notify_one(&self) {
        let _ = self.waiters.complete_front(());
    }

    /// Wakes every waiter (rule 2).
    pub fn notify_all(&self) {
        self.waiters.complete_all(|| ());
    }

    /// How many tasks wait now.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("waiting", &self.waiters.len())
            .finish()
    }
}

/// One wait for a notification; leaves the queue when dropped, passing on
/// a notification it was handed (rule 3).
struct NotifyOp<'a> {
    condvar: &'a Condvar,
    key: Option<u64>,
}

impl<'a> NotifyOp<'a> {
    fn new(condvar: &'a Condvar) -> Self {
        NotifyOp { condvar, key: None }
    }

    /// First call: joins the queue (`Pending`), or is `Ready` at once for
    /// a stackful task that is unwinding (rule 5). Later calls: `Ready`
    /// once notified.
    fn poll(&mut self, waker: Option<&Waker>, what: &str) -> Poll<()> {
        let waiters = &self.condvar.waiters;
        let Some(key) = self.key else {
            if waker.is_none() && crate::generator::innermost_is_unwinding() {
                return Poll::Ready(());
            }
            self.key = Some(waiters.push(waiter_for(waker, what), ()));
            return Poll::Pending;
        };
        match waiters.take(key, waker) {
            Entry::Waiting => Poll::Pending,
            Entry::Done(()) => {
                self.key = None;
                Poll::Ready(())
            }
        }
    }
}

impl Drop for NotifyOp<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            if let Cancelled::Unused(()) = self.condvar.waiters.cancel(key) {
                self.condvar.notify_one(); // rule 3
            }
        }
    }
}

enum WaitState<'a, T> {
    /// Not polled yet: still holding the lock.
    Locked(MutexGuard<'a, T>),
    /// Unlocked, waiting for a notification.
    Waiting,
    /// Notified, waiting for the lock again.
    Relocking(Lock<'a, T>),
    Done,
}

/// The future of [`Condvar::wait_async`].
#[must_use = "futures do nothing unless polled"]
pub struct CondvarWait<'a, T> {
    op: NotifyOp<'a>,
    mutex: &'a Mutex<T>,
    state: WaitState<'a, T>,
}

impl<'a, T> Future for CondvarWait<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        const WHAT: &str = "corun::sync::CondvarWait::poll";
        // Every field is Unpin (the lock future included).
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, WaitState::Done) {
                WaitState::Locked(guard) => {
                    // Queued before unlocking (rule 1).
                    let _ = this.op.poll(Some(cx.waker()), WHAT);
                    drop(guard);
                    this.state = WaitState::Waiting;
                    return Poll::Pending;
                }
                WaitState::Waiting => {
                    if this.op.poll(Some(cx.waker()), WHAT).is_pending() {
                        this.state = WaitState::Waiting;
                        return Poll::Pending;
                    }
                    this.state = WaitState::Relocking(this.mutex.lock_async());
                }
                WaitState::Relocking(mut lock) => match Pin::new(&mut lock).poll(cx) {
                    Poll::Ready(guard) => return Poll::Ready(guard),
                    Poll::Pending => {
                        this.state = WaitState::Relocking(lock);
                        return Poll::Pending;
                    }
                },
                WaitState::Done => panic!("{WHAT}: polled after it returned its guard"),
            }
        }
    }
}

impl<T> fmt::Debug for CondvarWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            WaitState::Locked(_) => "locked",
            WaitState::Waiting => "waiting",
            WaitState::Relocking(_) => "relocking",
            WaitState::Done => "done",
        };
        f.debug_struct("CondvarWait")
            .field("state", &state)
            .finish()
    }
}
