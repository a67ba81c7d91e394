//! A mutex shared between threads, runtime workers and tasks of any
//! executor whose guard may be held across waits: tokio's `Mutex`,
//! `Send + Sync`.
//!
//! How: a [`Semaphore`] of one permit in front of a lock on the value. A
//! caller first takes the permit (its task suspends meanwhile, or its
//! thread blocks), in arrival order with hand-off; only the permit's
//! holder then takes the inner lock, which is therefore never contended,
//! so no thread ever blocks on it while holding up a worker's other tasks.
//! The guard keeps both: the inner lock's guard is `!Send`, which suits a
//! corun task (it never leaves its worker).
//!
//! A holder that panics does not poison the mutex (tokio's rule): the
//! next holder gets the value as the panic left it.

use super::semaphore::{Semaphore, SemaphorePermit};
use crate::sync::guard_access::guard_access;
// std's, even under loom: only the permit's holder ever takes it, so it is
// never contended and has nothing for a model to explore.
use crate::sync::TryLockError;
use std::fmt;
use std::sync::{Mutex as InnerLock, MutexGuard as InnerGuard};

/// Mutual exclusion for any thread or task, with a guard that may be held
/// while the task waits (sleeps, receives, does I/O): tokio's `Mutex`, for
/// state that tasks on every worker of a [`Runtime`](crate::Runtime)
/// share. Waiters get the lock in arrival order.
///
/// ```
/// use corun::sync::shared::Mutex;
/// use std::sync::Arc;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let tasks: Vec<_> = (0..4)
///     .map(|i| {
///         let log = log.clone();
///         rt.spawn(move || {
///             let mut log = log.lock();
///             log.push(i);
///             corun::sleep(std::time::Duration::from_millis(1)); // still holding it
///             log.push(i);
///         })
///     })
///     .collect();
/// for t in tasks {
///     t.join()?;
/// }
/// let log = log.lock();
/// assert!(log.chunks(2).all(|pair| pair[0] == pair[1])); // never interleaved
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct Mutex<T> {
    permit: Semaphore,
    value: InnerLock<T>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Mutex {
            permit: Semaphore::new(1),
            value: InnerLock::new(value),
        }
    }

    /// Locks the mutex: a stackful task suspends until it is its turn, a
    /// plain thread blocks.
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`): use
    /// [`lock_async`](Mutex::lock_async). And when it must wait while the
    /// task is unwinding (a destructor run by cancellation), which cannot
    /// suspend: use [`try_lock`](Mutex::try_lock) there.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        match self.permit.acquire() {
            Ok(permit) => self.guard(permit),
            Err(_) => panic!(
                "corun::sync::shared::Mutex::lock: the mutex is held and this task is \
                 unwinding (cancelled or panicking), so it cannot wait; use try_lock in \
                 destructors"
            ),
        }
    }

    /// Locks the mutex if it is free and nobody waits; never waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held or others wait for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.permit.try_acquire() {
            Ok(permit) => Ok(self.guard(permit)),
            Err(_) => Err(TryLockError("the mutex is locked")),
        }
    }

    /// A future of the lock, for async code and future tasks.
    pub async fn lock_async(&self) -> MutexGuard<'_, T> {
        // The permit semaphore is never closed.
        let permit = self
            .permit
            .acquire_async()
            .await
            .expect("a mutex's semaphore is never closed");
        self.guard(permit)
    }

    /// The value, without locking: `&mut self` proves nobody holds it.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// The value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.value.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    fn guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> MutexGuard<'a, T> {
        // Only the permit's holder gets here, so this never waits; a
        // panicked holder's poison is ignored (no poisoning, as tokio).
        let value = self.value.lock().unwrap_or_else(|e| e.into_inner());
        MutexGuard {
            value,
            _permit: permit,
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("shared::Mutex");
        match self.try_lock() {
            Ok(value) => d.field("data", &*value),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Access to a shared [`Mutex`]'s value; unlocks (handing the lock to the
/// oldest waiter) when dropped. May be held across waits; `!Send`, as a
/// task holding it never leaves its thread.
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    // Declared first: the inner lock goes before the permit does.
    value: InnerGuard<'a, T>,
    _permit: SemaphorePermit<'a>,
}

guard_access!(MutexGuard, mut);
