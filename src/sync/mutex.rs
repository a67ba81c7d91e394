//! A mutex whose guard may be held across suspensions: a one-permit
//! semaphore (FIFO hand-off) in front of a `RefCell`.

use super::guard_access::guard_access;
use super::semaphore::{AcquireOp, Semaphore, SemaphorePermit};
use std::cell::{RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Mutual exclusion between the tasks of one executor: Python's
/// `asyncio.Lock` with the data inside, as in `std::sync::Mutex`.
///
/// Unlike a `RefCell`, the guard may be held while the task waits (sleeps,
/// receives, does I/O): other tasks that [`lock`](Mutex::lock) meanwhile are
/// suspended until it is dropped.
///
/// **Fairness.** Tasks get the lock in the order they asked for it. On
/// unlock the lock is handed straight to the oldest waiter, so no task can
/// barge in ahead of it ([`try_lock`](Mutex::try_lock) fails while anyone
/// waits). A waiter that is cancelled or times out leaves the queue; if the
/// lock had already been handed to it, it passes it to the next waiter.
///
/// ```
/// use corun::sync::Mutex;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let log = Rc::new(Mutex::new(Vec::new()));
/// let handles: Vec<_> = (0..3)
///     .map(|i| {
///         let log = log.clone();
///         ex.spawn(move || {
///             let mut log = log.lock();
///             log.push(format!("{i} in"));
///             corun::sleep(Duration::from_millis(1)); // still holding it
///             log.push(format!("{i} out"));
///         })
///     })
///     .collect();
/// ex.block_on(|| corun::sync::join_all(handles));
/// let log = Rc::try_unwrap(log).unwrap().into_inner();
/// assert_eq!(log, ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]);
/// ```
pub struct Mutex<T> {
    sem: Semaphore,
    value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Mutex {
            sem: Semaphore::new(1),
            value: RefCell::new(value),
        }
    }

    /// Locks the mutex, suspending the calling task until it is this task's
    /// turn (arrival order). Wrap it in [`corun::timeout`](crate::timeout)
    /// to give up after a while.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task or in a future task (use
    /// [`lock_async`](Mutex::lock_async) there), and if it has to wait while
    /// the task is unwinding (a destructor run by cancellation): a task
    /// cannot suspend then, so destructors should use
    /// [`try_lock`](Mutex::try_lock). A panic during unwinding aborts the
    /// process.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let m = corun::sync::Mutex::new(1);
    /// ex.block_on(|| *m.lock() += 1);
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn lock(&self) -> MutexGuard<'_, T> {
        const WHAT: &str = "corun::sync::Mutex::lock";
        match self.sem.acquire_blocking(1, WHAT, "Mutex::lock") {
            Ok(()) => self.guard(),
            Err(_) => panic!(
                "{WHAT}: the mutex is held and this task is unwinding (cancelled, \
                 timed out or panicking), so it cannot wait; use try_lock in destructors"
            ),
        }
    }

    /// Locks the mutex if it is free and no one is waiting; never suspends.
    ///
    /// ```
    /// let m = corun::sync::Mutex::new(0);
    /// let guard = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_err());
    /// drop(guard);
    /// assert!(m.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(permit) => {
                permit.forget();
                Ok(self.guard())
            }
            Err(_) => Err(TryLockError("the mutex is locked")),
        }
    }

    /// A future of the lock, for future tasks and async code; same order
    /// as [`lock`](Mutex::lock). Its place in the queue is taken when first
    /// polled; dropping it leaves the queue.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let m = Rc::new(corun::sync::Mutex::new(5));
    /// let m2 = m.clone();
    /// let h = ex.spawn_future(async move { *m2.lock_async().await * 2 });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), 10);
    /// ```
    pub fn lock_async(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            op: AcquireOp::new(&self.sem, 1),
        }
    }

    /// The value, without locking: `&mut self` proves no one holds the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// Whether the lock is held (or handed to a waiter that has not run
    /// yet).
    pub fn is_locked(&self) -> bool {
        self.sem.available_permits() == 0
    }

    /// The guard for a lock just granted to the caller.
    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            value: self.value.borrow_mut(),
            _permit: self.sem.permit(1),
            mutex: self,
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.value.try_borrow() {
            Ok(value) => d.field("data", &*value),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Access to a [`Mutex`]'s value; unlocks (handing the lock to the oldest
/// waiter) when dropped. May be held across suspensions.
///
/// ```
/// let m = corun::sync::Mutex::new(String::from("a"));
/// let mut guard = m.try_lock().unwrap();
/// guard.push('b');
/// assert_eq!(*guard, "ab");
/// drop(guard);
/// assert!(!m.is_locked());
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    // Declared first so the borrow ends before the permit goes on.
    value: RefMut<'a, T>,
    _permit: SemaphorePermit<'a>,
    /// For a `Condvar` wait, which unlocks and locks again.
    pub(super) mutex: &'a Mutex<T>,
}

guard_access!(MutexGuard, mut);

/// The future of [`Mutex::lock_async`].
///
/// ```
/// let m = corun::sync::Mutex::new(1);
/// let fut: corun::sync::Lock<'_, i32> = m.lock_async();
/// assert_eq!(*futures::executor::block_on(fut), 1);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Lock<'a, T> {
    mutex: &'a Mutex<T>,
    op: AcquireOp<'a>,
}

impl<'a, T> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mutex = self.mutex;
        // The mutex's semaphore is never closed: the only outcome is the lock.
        self.op
            .poll(Some(cx.waker()), "corun::sync::Lock::poll")
            .map(|_| mutex.guard())
    }
}

impl<T> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").finish_non_exhaustive()
    }
}

/// [`Mutex::try_lock`] found the mutex locked, or others waiting for it;
/// [`RwLock::try_read`](super::RwLock::try_read) and
/// [`try_write`](super::RwLock::try_write) the lock held, or others waiting
/// ahead.
///
/// ```
/// let m = corun::sync::Mutex::new(());
/// let _held = m.try_lock().unwrap();
/// let err = m.try_lock().unwrap_err();
/// assert_eq!(err.to_string(), "the mutex is locked");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(pub(super) &'static str);

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for TryLockError {}
