//! A counting semaphore with FIFO hand-off; also the engine of `Mutex` and
//! of a bounded channel's free slots.
//!
//! Rules:
//! 1. Waiters queue in arrival order, each for its own number of permits.
//! 2. Released permits go to the oldest waiter as soon as enough are free
//!    (rule 3 of the executor's `wait_queue`): they are handed over, never left for a
//!    newcomer to take. So `try_acquire` fails while anyone waits.
//! 3. The oldest waiter blocks those behind it, even ones that would fit.
//! 4. A waiter that leaves after permits were handed to it gives them back
//!    (rule 4 of the executor's `wait_queue`), and they go on to the next waiter.
//! 5. `close` fails every waiter and every later acquire; permits already
//!    held stay valid.

use crate::executor::{block, waiter_for, Cancelled, Entry, Unwinding, WaitQueue};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A counting semaphore for the tasks of one executor: `acquire` suspends
/// the calling task until permits are free. Python's `asyncio.Semaphore`.
///
/// **Fairness.** Waiters are served strictly in arrival order, and freed
/// permits are handed straight to the oldest waiter, so a newcomer never
/// overtakes it ([`try_acquire`](Semaphore::try_acquire) fails while anyone
/// waits). A large [`acquire_many`](Semaphore::acquire_many) at the head of
/// the queue therefore holds back later small requests until enough permits
/// have been freed for it.
///
/// Waiting works from stackful tasks ([`acquire`](Semaphore::acquire)) and
/// from futures ([`acquire_async`](Semaphore::acquire_async)).
///
/// ```
/// use corun::sync::Semaphore;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let sem = Rc::new(Semaphore::new(2));
/// let busy = Rc::new(std::cell::Cell::new(0));
/// let mut handles = Vec::new();
/// for _ in 0..5 {
///     let (sem, busy) = (sem.clone(), busy.clone());
///     handles.push(ex.spawn(move || {
///         let _permit = sem.acquire().unwrap();
///         busy.set(busy.get() + 1);
///         assert!(busy.get() <= 2);
///         corun::sleep(Duration::from_millis(1));
///         busy.set(busy.get() - 1);
///     }));
/// }
/// ex.block_on(|| corun::sync::join_all(handles));
/// assert_eq!(sem.available_permits(), 2);
/// ```
pub struct Semaphore {
    permits: Cell<usize>,
    closed: Cell<bool>,
    waiters: WaitQueue<usize, Grant>,
}

/// What a semaphore hands a waiter.
pub(crate) enum Grant {
    Permits,
    Closed,
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    pub fn new(permits: usize) -> Self {
        Semaphore {
            permits: Cell::new(permits),
            closed: Cell::new(false),
            waiters: WaitQueue::new(),
        }
    }

    /// How many permits are free now.
    pub fn available_permits(&self) -> usize {
        self.permits.get()
    }

    /// Adds `n` permits; they go to waiters first, in arrival order.
    ///
    /// # Panics
    ///
    /// If the count would overflow `usize`.
    pub fn add_permits(&self, n: usize) {
        let total =
            self.permits.get().checked_add(n).unwrap_or_else(|| {
                panic!("Semaphore::add_permits: the permit count overflows usize")
            });
        self.permits.set(total);
        self.grant();
    }

    /// Closes the semaphore: every waiting and later acquire fails with
    /// [`AcquireError`]. Permits already held stay valid and are still
    /// returned when dropped.
    ///
    /// ```
    /// let sem = corun::sync::Semaphore::new(1);
    /// sem.close();
    /// assert!(sem.is_closed());
    /// assert!(sem.try_acquire().is_err());
    /// ```
    pub fn close(&self) {
        self.closed.set(true);
        self.waiters.complete_all(|| Grant::Closed);
    }

    /// Whether [`close`](Semaphore::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Takes one permit if one is free and no one is waiting; never
    /// suspends.
    ///
    /// ```
    /// let sem = corun::sync::Semaphore::new(1);
    /// let permit = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_err());
    /// drop(permit);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if that many are free and no one is waiting; never
    /// suspends.
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        if self.closed.get() {
            return Err(TryAcquireError::Closed);
        }
        if self.take_now(n) {
            Ok(SemaphorePermit { sem: self, n })
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Waits for one permit, suspending the calling task; see
    /// [`acquire_many`](Semaphore::acquire_many).
    pub fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1)
    }

    /// Waits until `n` permits are free for this task and takes them,
    /// suspending the calling task; waiters are served in arrival order.
    /// Wrap it in [`corun::timeout`](crate::timeout) to give up after a
    /// while: a timed-out or cancelled waiter leaves the queue, and permits
    /// already handed to it go on to the next waiter.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is or gets closed, or if the task
    /// is unwinding (a destructor run by cancellation) and would have to
    /// wait: it never suspends then.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`acquire_many_async`](Semaphore::acquire_many_async) there).
    ///
    /// ```
    /// use corun::sync::Semaphore;
    ///
    /// let ex = corun::Executor::new();
    /// let sem = Semaphore::new(3);
    /// ex.block_on(|| {
    ///     let permit = sem.acquire_many(2).unwrap();
    ///     assert_eq!(permit.num_permits(), 2);
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    pub fn acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_blocking(n, "corun::sync::Semaphore::acquire", "Semaphore::acquire")
            .map(|()| SemaphorePermit { sem: self, n })
    }

    /// A future of one permit, for future tasks and async code.
    ///
    /// ```
    /// use corun::sync::Semaphore;
    /// use std::rc::Rc;
    ///
    /// let ex = corun::Executor::new();
    /// let sem = Rc::new(Semaphore::new(1));
    /// let s = sem.clone();
    /// let h = ex.spawn_future(async move {
    ///     let permit = s.acquire_async().await.unwrap();
    ///     permit.num_permits()
    /// });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), 1);
    /// ```
    pub fn acquire_async(&self) -> Acquire<'_> {
        self.acquire_many_async(1)
    }

    /// A future of `n` permits; the rules of
    /// [`acquire_many`](Semaphore::acquire_many) apply. Its place in the
    /// queue is taken when first polled; dropping it leaves the queue.
    pub fn acquire_many_async(&self, n: usize) -> Acquire<'_> {
        Acquire {
            op: AcquireOp::new(self, n),
        }
    }

    /// Waits for `n` permits and keeps them (no permit guard): used by the
    /// bounded channel, which returns them itself.
    pub(crate) fn acquire_blocking(
        &self,
        n: usize,
        what: &str,
        reason: &'static str,
    ) -> Result<(), AcquireError> {
        if !self.closed.get() && self.take_now(n) {
            return Ok(());
        }
        let mut op = AcquireOp::new(self, n);
        match block(reason, || op.poll(None, what)) {
            Ok(result) => result,
            Err(Unwinding) => Err(AcquireError(AcquireErrorKind::Unwinding)),
        }
    }

    /// Takes `n` permits at once if free and no one waits ahead (rule 2).
    fn take_now(&self, n: usize) -> bool {
        let free = self.permits.get();
        if free >= n && self.waiters.is_empty() {
            self.permits.set(free - n);
            true
        } else {
            false
        }
    }

    /// The guard of `n` permits the caller has just been granted.
    pub(crate) fn permit(&self, n: usize) -> SemaphorePermit<'_> {
        SemaphorePermit { sem: self, n }
    }

    /// Returns `n` permits.
    pub(crate) fn release(&self, n: usize) {
        self.add_permits(n);
    }

    /// Hands free permits to waiters, oldest first, while the oldest fits
    /// (rules 2 and 3).
    fn grant(&self) {
        while let Some(need) = self.waiters.front() {
            let free = self.permits.get();
            if free < need {
                return;
            }
            self.permits.set(free - need);
            if self.waiters.complete_front(Grant::Permits).is_err() {
                self.permits.set(free);
                return;
            }
        }
    }

    /// Polls a waiter's entry: takes permits at once, or queues, or collects
    /// the outcome handed over. `waker` is `None` for a stackful task.
    pub(crate) fn poll_acquire(
        &self,
        n: usize,
        key: &mut Option<u64>,
        waker: Option<&Waker>,
        what: &str,
    ) -> Poll<Result<(), AcquireError>> {
        match *key {
            None => {
                if self.closed.get() {
                    return Poll::Ready(Err(AcquireError(AcquireErrorKind::Closed)));
                }
                if self.take_now(n) {
                    return Poll::Ready(Ok(()));
                }
                *key = Some(self.waiters.push(waiter_for(waker, what), n));
                Poll::Pending
            }
            Some(k) => match self.waiters.take(k, waker) {
                Entry::Waiting => Poll::Pending,
                Entry::Done(grant) => {
                    *key = None;
                    Poll::Ready(match grant {
                        Grant::Permits => Ok(()),
                        Grant::Closed => Err(AcquireError(AcquireErrorKind::Closed)),
                    })
                }
            },
        }
    }

    /// A waiter leaves the queue (rule 4).
    pub(crate) fn abandon(&self, key: u64, n: usize) {
        match self.waiters.cancel(key) {
            // Its leaving may let the waiters behind it fit (rule 3).
            Cancelled::Waiting => self.grant(),
            Cancelled::Unused(Grant::Permits) => self.release(n),
            Cancelled::Unused(Grant::Closed) => {}
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.permits.get())
            .field("waiters", &self.waiters.len())
            .field("closed", &self.closed.get())
            .finish()
    }
}

/// A waiter for permits; leaves the queue when dropped unfinished.
pub(crate) struct AcquireOp<'a> {
    sem: &'a Semaphore,
    n: usize,
    key: Option<u64>,
}

impl<'a> AcquireOp<'a> {
    pub(crate) fn new(sem: &'a Semaphore, n: usize) -> Self {
        AcquireOp { sem, n, key: None }
    }

    pub(crate) fn poll(
        &mut self,
        waker: Option<&Waker>,
        what: &str,
    ) -> Poll<Result<(), AcquireError>> {
        self.sem.poll_acquire(self.n, &mut self.key, waker, what)
    }
}

impl Drop for AcquireOp<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.sem.abandon(key, self.n);
        }
    }
}

/// Permits taken from a [`Semaphore`]; they go back when this is dropped.
///
/// ```
/// let sem = corun::sync::Semaphore::new(2);
/// let permit = sem.try_acquire_many(2).unwrap();
/// assert_eq!(sem.available_permits(), 0);
/// drop(permit);
/// assert_eq!(sem.available_permits(), 2);
/// ```
#[must_use = "the permits go back as soon as the SemaphorePermit is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    n: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.n
    }

    /// Keeps the permits taken for good: the semaphore has that many fewer.
    ///
    /// ```
    /// let sem = corun::sync::Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.n = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.n > 0 {
            self.sem.release(self.n);
        }
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}

/// The future of [`Semaphore::acquire_async`] /
/// [`acquire_many_async`](Semaphore::acquire_many_async).
///
/// ```
/// let sem = corun::sync::Semaphore::new(2);
/// let fut: corun::sync::Acquire<'_> = sem.acquire_many_async(2);
/// let permit = futures::executor::block_on(fut).unwrap();
/// assert_eq!(permit.num_permits(), 2);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    op: AcquireOp<'a>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let op = &mut self.op;
        op.poll(Some(cx.waker()), "corun::sync::Acquire::poll")
            .map(|r| {
                r.map(|()| SemaphorePermit {
                    sem: op.sem,
                    n: op.n,
                })
            })
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("permits", &self.op.n)
            .field("queued", &self.op.key.is_some())
            .finish()
    }
}

/// Why [`Semaphore::acquire`] returned no permit.
///
/// ```
/// let ex = corun::Executor::new();
/// let sem = corun::sync::Semaphore::new(0);
/// sem.close();
/// let err = ex.block_on(|| sem.acquire().unwrap_err());
/// assert!(err.is_closed());
/// assert_eq!(err.to_string(), "semaphore closed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(AcquireErrorKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AcquireErrorKind {
    Closed,
    Unwinding,
}

impl AcquireError {
    pub(crate) fn closed() -> Self {
        AcquireError(AcquireErrorKind::Closed)
    }

    pub(crate) fn unwinding() -> Self {
        AcquireError(AcquireErrorKind::Unwinding)
    }

    /// The semaphore was closed (rather than the task being unable to wait
    /// because it is unwinding).
    pub fn is_closed(&self) -> bool {
        self.0 == AcquireErrorKind::Closed
    }
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            AcquireErrorKind::Closed => f.write_str("semaphore closed"),
            AcquireErrorKind::Unwinding => {
                f.write_str("cannot wait for a permit while the task is unwinding")
            }
        }
    }
}

impl std::error::Error for AcquireError {}

/// Why [`Semaphore::try_acquire`] returned no permit.
///
/// ```
/// use corun::sync::{Semaphore, TryAcquireError};
///
/// let sem = Semaphore::new(0);
/// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// sem.close();
/// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// Not enough permits are free, or others are waiting first.
    NoPermits,
    /// The semaphore was closed.
    Closed,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::NoPermits => f.write_str("no permits available"),
            TryAcquireError::Closed => f.write_str("semaphore closed"),
        }
    }
}

impl std::error::Error for TryAcquireError {}
