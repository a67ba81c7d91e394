//! A reader-writer lock whose guards may be held across suspensions: a
//! semaphore of `max_readers` permits (FIFO hand-off) in front of a
//! `RefCell`, as tokio builds its own. A reader takes one permit, a writer
//! all of them, so the semaphore's rules give the lock its fairness:
//! 1. Tasks get the lock in the order they asked for it. A waiting writer
//!    holds back every reader that comes after it, so a stream of readers
//!    cannot starve it; the readers queued behind a writer run together
//!    once it is done.
//! 2. What is freed is handed to the oldest waiter, so nobody barges in;
//!    `try_read` and `try_write` fail while anyone waits ahead.
//! 3. A waiter that leaves (cancelled, timed out, its future dropped) gives
//!    back whatever was handed to it, and it goes to the next in line.

use super::guard_access::guard_access;
use super::mutex::TryLockError;
use super::semaphore::{AcquireOp, Semaphore, SemaphorePermit};
use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The most readers a lock admits at once unless told otherwise: far more
/// than tasks fit in memory, and far enough below `usize::MAX` that the
/// semaphore's count never overflows.
const MAX_READERS: usize = usize::MAX >> 3;

/// Many readers or one writer, between the tasks of one executor: tokio's
/// `RwLock`, with guards that may be held while the task waits (sleeps,
/// receives, does I/O).
///
/// **Fairness.** Tasks get the lock in the order they asked for it: a
/// waiting writer holds back the readers that ask after it, so writers are
/// never starved, and the readers queued behind a writer all get the lock
/// together when it is done. [`try_read`](RwLock::try_read) and
/// [`try_write`](RwLock::try_write) fail while anyone waits ahead of them.
///
/// ```
/// use corun::sync::RwLock;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let config = Rc::new(RwLock::new(String::from("v1")));
/// let readers: Vec<_> = (0..3)
///     .map(|_| {
///         let config = config.clone();
///         ex.spawn(move || {
///             let seen = config.read(); // all three read at once
///             corun::sleep(Duration::from_millis(1));
///             seen.clone()
///         })
///     })
///     .collect();
/// let c = config.clone();
/// let writer = ex.spawn(move || *c.write() = String::from("v2")); // waits for the readers
/// let seen = ex.block_on(|| {
///     writer.join().unwrap();
///     corun::sync::join_all(readers)
/// });
/// assert!(seen.iter().all(|s| s.as_ref().unwrap() == "v1"));
/// assert_eq!(*config.try_read().unwrap(), "v2");
/// ```
pub struct RwLock<T> {
    sem: Semaphore,
    max_readers: usize,
    value: RefCell<T>,
}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        Self::with_max_readers(value, MAX_READERS)
    }

    /// An unlocked lock holding `value` that admits at most `max_readers`
    /// readers at once; the next reader waits until one leaves.
    ///
    /// # Panics
    ///
    /// If `max_readers` is 0: no one could ever read.
    ///
    /// ```
    /// let lock = corun::sync::RwLock::with_max_readers(0u8, 2);
    /// let (a, b) = (lock.try_read().unwrap(), lock.try_read().unwrap());
    /// assert!(lock.try_read().is_err()); // a third reader would wait
    /// drop((a, b));
    /// ```
    pub fn with_max_readers(value: T, max_readers: usize) -> Self {
        assert!(
            max_readers > 0,
            "corun::sync::RwLock::with_max_readers: max_readers must be at least 1"
        );
        RwLock {
            sem: Semaphore::new(max_readers),
            max_readers,
            value: RefCell::new(value),
        }
    }

    /// Locks for reading, suspending the calling task while a writer holds
    /// the lock or waits ahead of this task (arrival order). Wrap it in
    /// [`corun::timeout`](crate::timeout) to give up after a while.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task or in a future task (use
    /// [`read_async`](RwLock::read_async) there), and if it has to wait
    /// while the task is unwinding (a destructor run by cancellation): a
    /// task cannot suspend then, so destructors should use
    /// [`try_read`](RwLock::try_read). A panic during unwinding aborts the
    /// process.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let lock = corun::sync::RwLock::new(vec![1, 2]);
    /// let sum: i32 = ex.block_on(|| lock.read().iter().sum());
    /// assert_eq!(sum, 3);
    /// ```
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.acquire(1, "corun::sync::RwLock::read", "RwLock::read");
        self.read_guard()
    }

    /// Locks for writing, suspending the calling task until every reader
    /// and writer before it is done (arrival order). The panics of
    /// [`read`](RwLock::read) apply, with
    /// [`write_async`](RwLock::write_async) and
    /// [`try_write`](RwLock::try_write) as the ways out.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let lock = corun::sync::RwLock::new(1);
    /// ex.block_on(|| *lock.write() += 1);
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let what = "corun::sync::RwLock::write";
        self.acquire(self.max_readers, what, "RwLock::write");
        self.write_guard()
    }

    fn acquire(&self, permits: usize, what: &str, reason: &'static str) {
        // The lock's semaphore is never closed: the only failure is a wait
        // the task cannot make.
        if self.sem.acquire_blocking(permits, what, reason).is_err() {
            panic!(
                "{what}: the lock is held and this task is unwinding (cancelled, timed \
                 out or panicking), so it cannot wait; use try_read/try_write in destructors"
            );
        }
    }

    /// Locks for reading if no writer holds the lock and no one waits for
    /// it; never suspends.
    ///
    /// ```
    /// let lock = corun::sync::RwLock::new(0);
    /// let r1 = lock.try_read().unwrap();
    /// let r2 = lock.try_read().unwrap(); // readers share
    /// assert!(lock.try_write().is_err());
    /// drop((r1, r2));
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(permit) => {
                permit.forget();
                Ok(self.read_guard())
            }
            Err(_) => Err(TryLockError(
                "the RwLock is held by a writer, or others wait for it",
            )),
        }
    }

    /// Locks for writing if no one holds the lock or waits for it; never
    /// suspends.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire_many(self.max_readers) {
            Ok(permit) => {
                permit.forget();
                Ok(self.write_guard())
            }
            Err(_) => Err(TryLockError("the RwLock is held, or others wait for it")),
        }
    }

    /// A future of a read lock, for future tasks and async code; same order
    /// as [`read`](RwLock::read). Its place in the queue is taken when first
    /// polled; dropping it leaves the queue.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let lock = Rc::new(corun::sync::RwLock::new(5));
    /// let l = lock.clone();
    /// let h = ex.spawn_future(async move { *l.read_async().await * 2 });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), 10);
    /// ```
    pub fn read_async(&self) -> RwLockRead<'_, T> {
        RwLockRead {
            lock: self,
            op: AcquireOp::new(&self.sem, 1),
        }
    }

    /// A future of the write lock; the rules of
    /// [`read_async`](RwLock::read_async) apply.
    pub fn write_async(&self) -> RwLockWrite<'_, T> {
        RwLockWrite {
            lock: self,
            op: AcquireOp::new(&self.sem, self.max_readers),
        }
    }

    /// The value, without locking: `&mut self` proves no one holds the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// How many readers the lock admits at once.
    pub fn max_readers(&self) -> usize {
        self.max_readers
    }

    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            value: self.value.borrow(),
            _permit: self.sem.permit(1),
        }
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard {
            value: self.value.borrow_mut(),
            lock: self,
            permit: self.sem.permit(self.max_readers),
        }
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.value.try_borrow() {
            Ok(value) => d.field("data", &*value),
            Err(_) => d.field("data", &format_args!("<write-locked>")),
        };
        d.finish()
    }
}

/// Shared access to an [`RwLock`]'s value; the lock is released when the
/// last guard goes (handing it to the oldest waiter). May be held across
/// suspensions.
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T> {
    // Declared first so the borrow ends before the permit goes on.
    value: Ref<'a, T>,
    _permit: SemaphorePermit<'a>,
}

guard_access!(RwLockReadGuard);

/// Exclusive access to an [`RwLock`]'s value; unlocks (handing the lock to
/// the oldest waiters) when dropped. May be held across suspensions.
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T> {
    // Declared first so the borrow ends before the permits go on.
    value: RefMut<'a, T>,
    lock: &'a RwLock<T>,
    permit: SemaphorePermit<'a>,
}

impl<'a, T> RwLockWriteGuard<'a, T> {
    /// Turns the write lock into a read lock without letting a writer in
    /// between: the readers waiting at the head of the queue join it at
    /// once (tokio's `downgrade`).
    ///
    /// ```
    /// let lock = corun::sync::RwLock::new(1);
    /// let mut w = lock.try_write().unwrap();
    /// *w = 2;
    /// let r = w.downgrade();
    /// assert_eq!((*r, *lock.try_read().unwrap()), (2, 2)); // readers share now
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let RwLockWriteGuard {
            value,
            lock,
            permit,
        } = self;
        // Nothing runs between these lines (one thread, no suspension), so
        // the write borrow can end before the read borrow starts; the
        // permits beyond a reader's go back last, once the guard is whole.
        drop(value);
        permit.forget();
        let read = lock.read_guard();
        lock.sem.release(lock.max_readers - 1);
        read
    }
}

guard_access!(RwLockWriteGuard, mut);

/// The future of [`RwLock::read_async`].
#[must_use = "futures do nothing unless polled"]
pub struct RwLockRead<'a, T> {
    lock: &'a RwLock<T>,
    op: AcquireOp<'a>,
}

impl<'a, T> Future for RwLockRead<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let lock = self.lock;
        // The lock's semaphore is never closed: the only outcome is the lock.
        self.op
            .poll(Some(cx.waker()), "corun::sync::RwLockRead::poll")
            .map(|_| lock.read_guard())
    }
}

/// The future of [`RwLock::write_async`].
#[must_use = "futures do nothing unless polled"]
pub struct RwLockWrite<'a, T> {
    lock: &'a RwLock<T>,
    op: AcquireOp<'a>,
}

impl<'a, T> Future for RwLockWrite<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let lock = self.lock;
        self.op
            .poll(Some(cx.waker()), "corun::sync::RwLockWrite::poll")
            .map(|_| lock.write_guard())
    }
}

impl<T> fmt::Debug for RwLockRead<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockRead").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RwLockWrite<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockWrite").finish_non_exhaustive()
    }
}
