//! A counting semaphore shared between threads, runtime workers and tasks
//! of any executor: tokio's `Semaphore`, `Send + Sync`.
//!
//! Rules (as the executor-local one's):
//! 1. Waiters queue in arrival order, each for its own number of permits;
//!    freed permits go to the oldest waiter as soon as enough are free,
//!    handed over under the lock, so a newcomer never takes them first
//!    (`try_acquire` fails while anyone waits).
//! 2. The oldest waiter blocks those behind it, even ones that would fit.
//! 3. A waiter that leaves (cancelled, timed out, its future dropped) after
//!    permits were handed to it gives them back, and they go on to the next.
//! 4. `close` fails every waiter and every later acquire; permits already
//!    held stay valid.
//! 5. Wakers are woken after the lock is let go, so a waker that runs code
//!    (or takes a lock of its own) cannot deadlock with the semaphore.
//! 6. The free permits and two flags (closed; someone waits) live in one
//!    atomic word, so an acquire or release that meets no waiter is one
//!    compare-and-swap, with no lock. The "someone waits" flag is set and
//!    cleared only under the lock, exactly while the queue is not empty;
//!    a fast release or acquire that finds it set takes the lock instead,
//!    and one whose swap raced with the setting fails its swap (the word
//!    changed) and looks again. So nobody takes permits past a waiter
//!    (rule 1), and no permit is released past one unseen.

use crate::loom::{lock, AtomicUsize, Mutex, Ordering};
use crate::sync::wait_here;
use crate::sync::{AcquireError, TryAcquireError};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A counting semaphore for any thread or task: tokio's `Semaphore`, to
/// bound work across every worker of a [`Runtime`](crate::Runtime) (say,
/// connections to a database) where [`sync::Semaphore`](crate::sync::Semaphore)
/// bounds it within one executor.
///
/// `acquire` suspends a stackful task (only it), blocks a plain thread, and
/// `acquire_async` is the future for async code.
///
/// ```
/// use corun::sync::shared::Semaphore;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let db = Arc::new(Semaphore::new(2)); // two connections for every worker
/// let busy = Arc::new(AtomicUsize::new(0));
/// let jobs: Vec<_> = (0..8)
///     .map(|_| {
///         let (db, busy) = (db.clone(), busy.clone());
///         rt.spawn(move || {
///             let _conn = db.acquire().unwrap();
///             assert!(busy.fetch_add(1, Ordering::SeqCst) < 2);
///             corun::sleep(std::time::Duration::from_millis(1));
///             busy.fetch_sub(1, Ordering::SeqCst);
///         })
///     })
///     .collect();
/// for job in jobs {
///     job.join()?;
/// }
/// assert_eq!(db.available_permits(), 2);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct Semaphore {
    /// Free permits, shifted left by [`SHIFT`], and the flags [`CLOSED`]
    /// and [`QUEUED`] (rule 6).
    word: AtomicUsize,
    state: Mutex<State>,
}

/// `close` was called (rule 4).
const CLOSED: usize = 1;
/// The queue of waiters is not empty; set and cleared under the lock.
const QUEUED: usize = 2;
const SHIFT: u32 = 2;

struct State {
    /// Waiting for permits, oldest first (rules 1 and 2).
    waiting: VecDeque<Waiting>,
    /// Waiters whose permits were handed over and who have not polled
    /// since (rule 1).
    granted: SmallVec<[u64; 4]>,
    next_key: u64,
}

struct Waiting {
    key: u64,
    n: usize,
    waker: Waker,
}

type Wakers = SmallVec<[Waker; 2]>;

impl State {
    fn take_granted(&mut self, key: u64) -> bool {
        match self.granted.iter().position(|&k| k == key) {
            Some(i) => {
                self.granted.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

fn wake_all(wakers: Wakers) {
    wakers.into_iter().for_each(Waker::wake);
}

impl Semaphore {
    /// The most permits a semaphore can hold (tokio's `MAX_PERMITS` is
    /// smaller still): the count shares its word with two flags.
    pub const MAX_PERMITS: usize = usize::MAX >> SHIFT;

    /// A semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`MAX_PERMITS`](Semaphore::MAX_PERMITS).
    pub fn new(permits: usize) -> Self {
        assert!(
            permits <= Self::MAX_PERMITS,
            "shared::Semaphore::new: at most Semaphore::MAX_PERMITS ({}) permits, not {permits}",
            Self::MAX_PERMITS
        );
        Semaphore {
            word: AtomicUsize::new(permits << SHIFT),
            state: Mutex::new(State {
                waiting: VecDeque::new(),
                granted: SmallVec::new(),
                next_key: 0,
            }),
        }
    }

    /// How many permits are free now (a snapshot: other threads take and
    /// return them meanwhile).
    pub fn available_permits(&self) -> usize {
        self.word.load(Ordering::Acquire) >> SHIFT
    }

    /// Adds `n` permits; they go to waiters first, in arrival order.
    ///
    /// # Panics
    ///
    /// If the count would pass [`MAX_PERMITS`](Semaphore::MAX_PERMITS).
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        if n > 0 {
            self.release(n);
        }
    }

    /// Closes the semaphore (rule 4): every waiting and later acquire fails.
    pub fn close(&self) {
        let wakers: Wakers = {
            let mut state = lock(&self.state);
            self.word.fetch_or(CLOSED, Ordering::AcqRel);
            let wakers = state.waiting.drain(..).map(|w| w.waker).collect();
            self.word.fetch_and(!QUEUED, Ordering::AcqRel);
            wakers
        };
        wake_all(wakers);
    }

    /// Whether [`close`](Semaphore::close) was called.
    pub fn is_closed(&self) -> bool {
        self.word.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Takes `n` permits if that many are free and no one waits; never
    /// waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.take_now(n).map(|()| SemaphorePermit { sem: self, n })
    }

    /// [`try_acquire_many`](Semaphore::try_acquire_many) of one permit.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits at once if free and nobody waits ahead (rules 1
    /// and 6): one compare-and-swap, with or without the lock held.
    fn take_now(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut word = self.word.load(Ordering::Acquire);
        loop {
            if word & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if word & QUEUED != 0 || word >> SHIFT < n {
                return Err(TryAcquireError::NoPermits);
            }
            match self.word.compare_exchange_weak(
                word,
                word - (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => word = now,
            }
        }
    }

    /// Hands free permits to the oldest waiters that fit (rules 1 and 2),
    /// and lowers [`QUEUED`] once none is left; returns their wakers, to
    /// wake outside the lock (rule 5). Only with the lock held (`state`).
    fn grant(&self, state: &mut State) -> Wakers {
        let mut wakers = Wakers::new();
        while let Some(front) = state.waiting.front() {
            let n = front.n;
            // Only the lock's holder takes permits while QUEUED is up, so
            // what it sees free stays free, but fast releases still add.
            if self.word.load(Ordering::Acquire) >> SHIFT < n {
                break;
            }
            self.word.fetch_sub(n << SHIFT, Ordering::AcqRel);
            let w = state.waiting.pop_front().expect("just seen");
            state.granted.push(w.key);
            // The broken variant the loom model must reject: the permits
            // are handed over but their waiter is never woken.
            #[cfg(corun_loom_mutant)]
            if crate::loom::mutant("semaphore_grant") {
                continue;
            }
            wakers.push(w.waker);
        }
        if state.waiting.is_empty() {
            self.word.fetch_and(!QUEUED, Ordering::AcqRel);
        }
        wakers
    }

    /// Waits for `n` permits and takes them: a stackful task suspends, a
    /// plain thread blocks. Waiters are served in arrival order.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is or gets closed, or if the task
    /// is unwinding and would have to wait.
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use [`acquire_many_async`](Semaphore::acquire_many_async).
    #[track_caller]
    pub fn acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.wait_for(n, "shared::Semaphore::acquire")
            .map(|()| SemaphorePermit { sem: self, n })
    }

    /// [`acquire_many`](Semaphore::acquire_many) of one permit.
    #[track_caller]
    pub fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1)
    }

    /// [`acquire_many`](Semaphore::acquire_many) whose permits hold an
    /// `Arc` of the semaphore instead of a borrow, so they can move into a
    /// `'static` task or thread (tokio's `acquire_many_owned`).
    #[track_caller]
    pub fn acquire_many_owned(
        self: &Arc<Self>,
        n: usize,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.wait_for(n, "shared::Semaphore::acquire_owned")
            .map(|()| OwnedSemaphorePermit {
                sem: self.clone(),
                n,
            })
    }

    /// [`acquire_many_owned`](Semaphore::acquire_many_owned) of one permit.
    #[track_caller]
    pub fn acquire_owned(self: &Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1)
    }

    #[track_caller]
    fn wait_for(&self, n: usize, reason: &'static str) -> Result<(), AcquireError> {
        match self.take_now(n) {
            Ok(()) => return Ok(()),
            Err(TryAcquireError::Closed) => return Err(AcquireError::closed()),
            Err(TryAcquireError::NoPermits) => {}
        }
        let acquire = Acquire {
            sem: self,
            n,
            key: None,
        };
        wait_here::wait(acquire, reason)
            .unwrap_or(Err(AcquireError::unwinding()))
            // The caller builds the permit it returns (borrowed or owned).
            .map(SemaphorePermit::forget)
    }

    /// A future of `n` permits, for async code and future tasks; the rules
    /// of [`acquire_many`](Semaphore::acquire_many) apply. Its place in the
    /// queue is taken when first polled; dropping it leaves the queue.
    pub fn acquire_many_async(&self, n: usize) -> Acquire<'_> {
        Acquire {
            sem: self,
            n,
            key: None,
        }
    }

    /// [`acquire_many_async`](Semaphore::acquire_many_async) of one permit.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let sem = Arc::new(corun::sync::shared::Semaphore::new(1));
    /// let ex = corun::Executor::new();
    /// let s = sem.clone();
    /// let h = ex.spawn_future(async move { s.acquire_async().await.unwrap().num_permits() });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), 1);
    /// ```
    pub fn acquire_async(&self) -> Acquire<'_> {
        self.acquire_many_async(1)
    }

    /// Gives `n` permits back (rule 6): one compare-and-swap while nobody
    /// waits, else through the lock to the waiters.
    #[track_caller]
    fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut word = self.word.load(Ordering::Acquire);
        loop {
            // The broken variant the loom model must reject: a release
            // that adds its permits past a waiter, which then sleeps on.
            #[cfg(corun_loom_mutant)]
            let queued = word & QUEUED != 0 && !crate::loom::mutant("semaphore_fast_release");
            #[cfg(not(corun_loom_mutant))]
            let queued = word & QUEUED != 0;
            if queued {
                return self.release_to_waiters(n);
            }
            match self.word.compare_exchange_weak(
                word,
                added(word, n),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(now) => word = now,
            }
        }
    }

    #[cold]
    #[track_caller]
    fn release_to_waiters(&self, n: usize) {
        let wakers = {
            let mut state = lock(&self.state);
            let mut word = self.word.load(Ordering::Acquire);
            while let Err(now) = self.word.compare_exchange_weak(
                word,
                added(word, n),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                word = now;
            }
            self.grant(&mut state)
        };
        wake_all(wakers);
    }
}

/// `word` with `n` more free permits.
///
/// # Panics
///
/// If the count would pass [`Semaphore::MAX_PERMITS`].
#[track_caller]
fn added(word: usize, n: usize) -> usize {
    match (word >> SHIFT).checked_add(n) {
        Some(permits) if permits <= Semaphore::MAX_PERMITS => word + (n << SHIFT),
        _ => panic!(
            "shared::Semaphore::add_permits: more than Semaphore::MAX_PERMITS ({}) permits",
            Semaphore::MAX_PERMITS
        ),
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiting = lock(&self.state).waiting.len();
        f.debug_struct("shared::Semaphore")
            .field("permits", &self.available_permits())
            .field("waiting", &waiting)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Semaphore::acquire_many_async`].
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    sem: &'a Semaphore,
    n: usize,
    /// Its place in the queue, once it waits.
    key: Option<u64>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (sem, n) = (self.sem, self.n);
        if self.key.is_none() {
            // The lock-free try first (rule 6).
            match sem.take_now(n) {
                Ok(()) => return Poll::Ready(Ok(SemaphorePermit { sem, n })),
                Err(TryAcquireError::Closed) => return Poll::Ready(Err(AcquireError::closed())),
                Err(TryAcquireError::NoPermits) => {}
            }
        }
        let mut state = lock(&sem.state);
        let Some(key) = self.key else {
            match sem.take_now(n) {
                Ok(()) => return Poll::Ready(Ok(SemaphorePermit { sem, n })),
                Err(TryAcquireError::Closed) => return Poll::Ready(Err(AcquireError::closed())),
                Err(TryAcquireError::NoPermits) => {}
            }
            let key = state.next_key;
            state.next_key += 1;
            state.waiting.push_back(Waiting {
                key,
                n,
                waker: cx.waker().clone(),
            });
            sem.word.fetch_or(QUEUED, Ordering::AcqRel);
            // A fast release may have added permits after the look above
            // but before QUEUED went up: serve them now (rule 6).
            let wakers = sem.grant(&mut state);
            if state.take_granted(key) {
                drop(state);
                wake_all(wakers);
                return Poll::Ready(Ok(SemaphorePermit { sem, n }));
            }
            self.key = Some(key);
            drop(state);
            wake_all(wakers);
            return Poll::Pending;
        };
        if state.take_granted(key) {
            self.key = None;
            return Poll::Ready(Ok(SemaphorePermit { sem, n }));
        }
        match state.waiting.iter_mut().find(|w| w.key == key) {
            Some(w) => {
                if !w.waker.will_wake(cx.waker()) {
                    w.waker.clone_from(cx.waker());
                }
                Poll::Pending
            }
            // Neither waiting nor granted: `close` took it out (rule 4).
            None => {
                self.key = None;
                Poll::Ready(Err(AcquireError::closed()))
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let wakers = {
            let mut state = lock(&self.sem.state);
            if state.take_granted(key) {
                // Rule 3: what was handed to it goes on.
                self.sem.word.fetch_add(self.n << SHIFT, Ordering::AcqRel);
            } else if let Some(i) = state.waiting.iter().position(|w| w.key == key) {
                // Its leaving may let the ones behind it fit (rule 2).
                state.waiting.remove(i);
            }
            self.sem.grant(&mut state)
        };
        wake_all(wakers);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::Acquire")
            .field("permits", &self.n)
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// Permits taken from a [`Semaphore`]; they go back when this is dropped.
#[must_use = "the permits go back as soon as the SemaphorePermit is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    n: usize,
}

impl<'a> SemaphorePermit<'a> {
    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.n
    }

    /// Moves `n` of these permits into a permit of their own, or `None` if
    /// this holds fewer than `n` (tokio's `split`). Nothing goes back to the
    /// semaphore meanwhile, so no waiter can slip in between.
    ///
    /// ```
    /// let sem = corun::sync::shared::Semaphore::new(3);
    /// let mut all = sem.try_acquire_many(3).unwrap();
    /// let one = all.split(1).unwrap();
    /// assert!(all.split(5).is_none());
    /// drop(all); // two go back; `one` keeps its own
    /// assert_eq!((sem.available_permits(), one.num_permits()), (2, 1));
    /// ```
    pub fn split(&mut self, n: usize) -> Option<SemaphorePermit<'a>> {
        self.n = self.n.checked_sub(n)?;
        Some(SemaphorePermit { sem: self.sem, n })
    }

    /// Keeps the permits for good: the semaphore has that many fewer.
    pub fn forget(mut self) {
        self.n = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.n);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::SemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}

/// Permits that keep their [`Semaphore`] alive, for `'static` tasks and
/// threads; they go back when this is dropped.
#[must_use = "the permits go back as soon as the OwnedSemaphorePermit is dropped"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    n: usize,
}

impl OwnedSemaphorePermit {
    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.n
    }

    /// [`SemaphorePermit::split`] for owned permits: `n` of these in a
    /// permit of their own, or `None` if this holds fewer.
    pub fn split(&mut self, n: usize) -> Option<OwnedSemaphorePermit> {
        self.n = self.n.checked_sub(n)?;
        Some(OwnedSemaphorePermit {
            sem: self.sem.clone(),
            n,
        })
    }

    /// Keeps the permits for good: the semaphore has that many fewer.
    pub fn forget(mut self) {
        self.n = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release(self.n);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::OwnedSemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}
