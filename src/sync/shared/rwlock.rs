//! A reader-writer lock shared between threads, runtime workers and tasks
//! of any executor whose guards may be held across waits: tokio's
//! `RwLock`, `Send + Sync` when the value is.
//!
//! How: a [`Semaphore`] of `max_readers` permits in front of a std
//! `RwLock` on the value, as tokio builds its own and as the shared
//! [`Mutex`](super::Mutex) is built. A reader takes one permit, a writer
//! all of them at once, so the semaphore alone decides who is inside; only
//! permit holders then take the inner lock, which is therefore never
//! contended, so no thread ever blocks on it while holding up a worker's
//! other tasks. Rules (the semaphore's, as the executor-local
//! [`sync::RwLock`](crate::sync::RwLock)'s):
//! 1. Callers get the lock in the order they asked for it. A waiting writer
//!    holds back every reader that comes after it, so a stream of readers
//!    cannot starve it; the readers queued behind a writer go in together
//!    once it is done.
//! 2. What is freed is handed to the oldest waiter, so nobody barges in;
//!    `try_read` and `try_write` fail while anyone waits ahead.
//! 3. A waiter that leaves (cancelled, timed out, its future dropped) gives
//!    back whatever was handed to it, and it goes to the next in line: the
//!    readers behind a writer that gave up go in at once.
//! 4. `downgrade` keeps one of the writer's permits and gives the rest back
//!    in one step, so no writer comes in between.
//! 5. No poisoning (tokio's rule, as the shared `Mutex`'s): a holder that
//!    panics leaves the value as the panic left it for the next.

use super::semaphore::{Semaphore, SemaphorePermit};
use crate::sync::guard_access::guard_access;
use crate::sync::{wait_here, TryLockError};
use std::fmt;
// std's, even under loom: the permits already exclude, so it is never
// contended and has nothing for a model to explore.
use std::sync::{
    RwLock as InnerLock, RwLockReadGuard as InnerRead, RwLockWriteGuard as InnerWrite,
    TryLockError as InnerTryLockError,
};

/// The most readers a lock admits at once (tokio's bound): far more than
/// tasks fit in memory, and below what std's inner lock counts, so taking
/// it for reading never fails for want of room.
const MAX_READERS: usize = (u32::MAX >> 3) as usize;

/// Many readers or one writer, for any thread or task, with guards that
/// may be held while the task waits (sleeps, receives, does I/O): tokio's
/// `RwLock`, for state that tasks on every worker of a
/// [`Runtime`](crate::Runtime) and plain threads share.
///
/// `read` and `write` suspend a stackful task (only it) and block a plain
/// thread; [`read_async`](RwLock::read_async) and
/// [`write_async`](RwLock::write_async) are the futures for async code.
///
/// **Fairness.** Callers get the lock in the order they asked for it: a
/// waiting writer holds back the readers that ask after it, so writers are
/// never starved, and the readers queued behind a writer all get the lock
/// together when it is done. [`try_read`](RwLock::try_read) and
/// [`try_write`](RwLock::try_write) fail while anyone waits ahead of them.
///
/// **No poisoning.** A holder that panics does not poison the lock: the
/// next one gets the value as the panic left it.
///
/// ```
/// use corun::sync::shared::RwLock;
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let config = Arc::new(RwLock::new((String::from("v1"), 1)));
/// let readers: Vec<_> = (0..4)
///     .map(|_| {
///         let config = config.clone();
///         rt.spawn(move || {
///             let seen = config.read(); // readers share it, on both workers
///             corun::sleep(Duration::from_millis(1)); // still holding it
///             seen.clone()
///         })
///     })
///     .collect();
/// let c = config.clone();
/// let writer = rt.spawn(move || {
///     let mut w = c.write(); // waits for the readers before it
///     w.0 = String::from("v2");
///     corun::sleep(Duration::from_millis(1)); // nobody sees it half done
///     w.1 = 2;
/// });
/// writer.join()?;
/// for r in readers {
///     let seen = r.join()?;
///     assert!(seen == ("v1".into(), 1) || seen == ("v2".into(), 2));
/// }
/// assert_eq!(*config.read(), ("v2".into(), 2)); // a plain thread reads too
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct RwLock<T> {
    sem: Semaphore,
    max_readers: usize,
    value: InnerLock<T>,
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
    /// If `max_readers` is 0 (no one could ever read) or above
    /// `u32::MAX >> 3` (tokio's bound, which [`new`](RwLock::new) uses).
    ///
    /// ```
    /// let lock = corun::sync::shared::RwLock::with_max_readers(0u8, 2);
    /// let (a, b) = (lock.try_read().unwrap(), lock.try_read().unwrap());
    /// assert!(lock.try_read().is_err()); // a third reader would wait
    /// drop((a, b));
    /// ```
    pub fn with_max_readers(value: T, max_readers: usize) -> Self {
        assert!(
            (1..=MAX_READERS).contains(&max_readers),
            "corun::sync::shared::RwLock::with_max_readers: max_readers must be from 1 to \
             {MAX_READERS}, not {max_readers}"
        );
        RwLock {
            sem: Semaphore::new(max_readers),
            max_readers,
            value: InnerLock::new(value),
        }
    }

    /// Locks for reading: a stackful task suspends while a writer holds the
    /// lock or waits ahead of it (arrival order), a plain thread blocks.
    /// Wrap it in [`corun::timeout`](crate::timeout) to give up after a
    /// while.
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use [`read_async`](RwLock::read_async). And when it
    /// must wait while the task is unwinding (a destructor run by
    /// cancellation), which cannot suspend: use
    /// [`try_read`](RwLock::try_read) there. A panic during unwinding
    /// aborts the process.
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let permit = self.wait_for(1, "shared::RwLock::read");
        self.read_guard(permit)
    }

    /// Locks for writing: waits (as [`read`](RwLock::read) does) until
    /// every reader and writer before it is done, in arrival order.
    ///
    /// # Panics
    ///
    /// As [`read`](RwLock::read)'s, with
    /// [`write_async`](RwLock::write_async) and
    /// [`try_write`](RwLock::try_write) as the ways out.
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let permit = self.wait_for(self.write_permits(), "shared::RwLock::write");
        self.write_guard(permit)
    }

    #[track_caller]
    fn wait_for(&self, permits: usize, reason: &'static str) -> SemaphorePermit<'_> {
        match wait_here::wait(self.sem.acquire_many_async(permits), reason) {
            Ok(permit) => permit.expect("a lock's semaphore is never closed"),
            Err(_unwinding) => panic!(
                "corun::sync::{reason}: the lock is held and this task is unwinding \
                 (cancelled or panicking), so it cannot wait; use try_read/try_write in \
                 destructors"
            ),
        }
    }

    /// Locks for reading if no writer holds the lock and no one waits for
    /// it; never waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds it, `max_readers` readers do, or
    /// others wait for it.
    ///
    /// ```
    /// let lock = corun::sync::shared::RwLock::new(0);
    /// let r1 = lock.try_read().unwrap();
    /// let r2 = lock.try_read().unwrap(); // readers share
    /// assert!(lock.try_write().is_err());
    /// drop((r1, r2));
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(permit) => Ok(self.read_guard(permit)),
            Err(_) => Err(TryLockError(
                "the RwLock is held by a writer, or others wait for it",
            )),
        }
    }

    /// Locks for writing if no one holds the lock or waits for it; never
    /// waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if anyone holds it or waits for it.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire_many(self.write_permits()) {
            Ok(permit) => Ok(self.write_guard(permit)),
            Err(_) => Err(TryLockError("the RwLock is held, or others wait for it")),
        }
    }

    /// A future of a read lock, for async code (any executor's) and future
    /// tasks; same order as [`read`](RwLock::read). Its place in the queue
    /// is taken when first polled; dropping it leaves the queue.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let ex = corun::Executor::new();
    /// let lock = Arc::new(corun::sync::shared::RwLock::new(5));
    /// let l = lock.clone();
    /// let h = ex.spawn_future(async move { *l.read_async().await * 2 });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), 10);
    /// ```
    pub async fn read_async(&self) -> RwLockReadGuard<'_, T> {
        let permit = self.sem.acquire_async().await;
        self.read_guard(permit.expect("a lock's semaphore is never closed"))
    }

    /// A future of the write lock; the rules of
    /// [`read_async`](RwLock::read_async) apply.
    pub async fn write_async(&self) -> RwLockWriteGuard<'_, T> {
        let permit = self.sem.acquire_many_async(self.write_permits()).await;
        self.write_guard(permit.expect("a lock's semaphore is never closed"))
    }

    /// The value, without locking: `&mut self` proves no one holds the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.value.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// How many readers the lock admits at once.
    pub fn max_readers(&self) -> usize {
        self.max_readers
    }

    fn write_permits(&self) -> usize {
        // The broken variant the loom model must reject: a writer that
        // takes a reader's share, so readers get in beside it.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("rwlock_write") {
            return 1;
        }
        self.max_readers
    }

    fn read_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockReadGuard<'a, T> {
        // A panicked writer's poison is ignored (no poisoning, as tokio).
        let value = match self.value.try_read() {
            Ok(value) => value,
            Err(InnerTryLockError::Poisoned(e)) => e.into_inner(),
            Err(InnerTryLockError::WouldBlock) => not_excluded(),
        };
        RwLockReadGuard {
            value,
            _permit: permit,
        }
    }

    fn write_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockWriteGuard<'a, T> {
        let value = match self.value.try_write() {
            Ok(value) => value,
            Err(InnerTryLockError::Poisoned(e)) => e.into_inner(),
            Err(InnerTryLockError::WouldBlock) => not_excluded(),
        };
        RwLockWriteGuard {
            value,
            lock: self,
            permit,
        }
    }
}

/// The permits let a reader and a writer in at once. Taking the inner lock
/// with `try_` and failing loudly, rather than blocking, keeps such a bug
/// from stalling a worker's thread (and lets the loom model see it).
#[cold]
#[track_caller]
fn not_excluded() -> ! {
    panic!(
        "corun::sync::shared::RwLock: a reader and a writer are inside at once (the \
         permits failed to exclude them; a bug in corun)"
    )
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
        let mut d = f.debug_struct("shared::RwLock");
        match self.try_read() {
            Ok(value) => d.field("data", &*value),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Shared access to a shared [`RwLock`]'s value; the lock is released when
/// the last guard goes (handing it to the oldest waiter). May be held
/// across waits; `!Send`, as a task holding it never leaves its thread.
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T> {
    // Declared first: the inner lock goes before the permit does.
    value: InnerRead<'a, T>,
    _permit: SemaphorePermit<'a>,
}

guard_access!(RwLockReadGuard);

/// Exclusive access to a shared [`RwLock`]'s value; unlocks (handing the
/// lock to the oldest waiters) when dropped. May be held across waits;
/// `!Send`, as a task holding it never leaves its thread.
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T> {
    // Declared first: the inner lock goes before the permits do.
    value: InnerWrite<'a, T>,
    lock: &'a RwLock<T>,
    permit: SemaphorePermit<'a>,
}

impl<'a, T> RwLockWriteGuard<'a, T> {
    /// Turns the write lock into a read lock without letting a writer in
    /// between: the readers waiting at the head of the queue join it at
    /// once (tokio's `downgrade`).
    ///
    /// ```
    /// let lock = corun::sync::shared::RwLock::new(1);
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
            mut permit,
        } = self;
        let mine = permit.split(1).expect("a writer holds at least one permit");
        // The other permits are still held, so nobody can take the inner
        // lock between these two lines; they go back only once the read
        // guard is whole, to the readers at the head of the queue.
        drop(value);
        let read = lock.read_guard(mine);
        drop(permit);
        read
    }
}

guard_access!(RwLockWriteGuard, mut);

#[cfg(all(test, loom))]
#[path = "rwlock_loom_tests.rs"]
mod loom_tests;
