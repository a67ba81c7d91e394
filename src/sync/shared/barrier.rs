//! A barrier shared between threads, runtime workers and tasks of any
//! executor: Python's `threading.Barrier` (and `multiprocessing`'s),
//! tokio's `Barrier`, `Send + Sync`. The rules are the executor-local
//! [`sync::Barrier`](crate::sync::Barrier)'s:
//! 1. A round passes when its `parties`-th waiter arrives; every waiter of
//!    the round returns, and the barrier is ready for the next round.
//! 2. Indices are handed out as the round passes, in arrival order, so
//!    they are always `0..parties`; the last to arrive is the leader.
//! 3. A waiter that leaves before its round passes (cancelled, timed out,
//!    its future dropped) no longer counts.
//! 4. `abort` fails every waiter and every later wait until `reset`;
//!    `reset` fails the current waiters and mends the barrier.
//! 5. A task that is unwinding never waits: its wait fails, and it leaves
//!    the round (unless its arrival passed it).
//! 6. Wakers are woken after the lock is let go.

use crate::loom::{lock, Mutex};
use crate::sync::wait_here;
use crate::sync::{BarrierError, BarrierWaitResult};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// `parties` threads or tasks wait for each other, round after round:
/// Python's `threading.Barrier` for the workers of a
/// [`Runtime`](crate::Runtime) and plain threads at once.
///
/// ```
/// use corun::sync::shared::Barrier;
/// use std::sync::Arc;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let phase = Arc::new(Barrier::new(3)); // two workers and this thread
/// let workers: Vec<_> = (0..2)
///     .map(|w| {
///         let phase = phase.clone();
///         rt.spawn_on(w, move || phase.wait().unwrap().is_leader())
///     })
///     .collect();
/// let mut leaders = phase.wait()?.is_leader() as u32;
/// for w in workers {
///     leaders += w.join()? as u32;
/// }
/// assert_eq!(leaders, 1); // one leader a round
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
}

struct State {
    broken: bool,
    /// The round's waiters, in arrival order.
    waiting: Vec<(u64, Waker)>,
    /// Released waiters that have not polled since, with their outcome.
    released: Vec<(u64, Result<BarrierWaitResult, BarrierError>)>,
    next_key: u64,
}

type Wakers = Vec<Waker>;

impl State {
    /// Releases every waiter with `outcome(index)`; returns their wakers,
    /// to wake outside the lock (rule 6).
    fn release_all(
        &mut self,
        mut outcome: impl FnMut(usize) -> Result<BarrierWaitResult, BarrierError>,
    ) -> Wakers {
        let waiting = std::mem::take(&mut self.waiting);
        let mut wakers = Vec::with_capacity(waiting.len());
        for (index, (key, waker)) in waiting.into_iter().enumerate() {
            self.released.push((key, outcome(index)));
            wakers.push(waker);
        }
        wakers
    }

    fn take_released(&mut self, key: u64) -> Option<Result<BarrierWaitResult, BarrierError>> {
        let i = self.released.iter().position(|(k, _)| *k == key)?;
        Some(self.released.swap_remove(i).1)
    }
}

fn wake_all(wakers: Wakers) {
    wakers.into_iter().for_each(Waker::wake);
}

impl Barrier {
    /// A barrier for rounds of `parties`.
    ///
    /// # Panics
    ///
    /// If `parties` is 0.
    pub fn new(parties: usize) -> Self {
        assert!(
            parties > 0,
            "corun::sync::shared::Barrier::new(0): a barrier needs at least one party"
        );
        Barrier {
            parties,
            state: Mutex::new(State {
                broken: false,
                waiting: Vec::new(),
                released: Vec::new(),
                next_key: 0,
            }),
        }
    }

    /// How many waiters a round needs.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many wait in the current round now.
    pub fn n_waiting(&self) -> usize {
        lock(&self.state).waiting.len()
    }

    /// Whether the barrier is broken (aborted, not reset since).
    pub fn is_broken(&self) -> bool {
        lock(&self.state).broken
    }

    /// Arrives and waits for the round: a stackful task suspends, a plain
    /// thread blocks; the last to arrive returns at once, as the leader.
    ///
    /// # Errors
    ///
    /// [`BarrierError`]: broken if the barrier is or gets aborted or reset
    /// meanwhile; or the task is unwinding and would have to wait (rule 5).
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`): use
    /// [`wait_async`](Barrier::wait_async).
    #[track_caller]
    pub fn wait(&self) -> Result<BarrierWaitResult, BarrierError> {
        wait_here::wait(self.wait_async(), "shared::Barrier::wait")
            .unwrap_or(Err(BarrierError::unwinding()))
    }

    /// [`wait`](Barrier::wait) for at most `limit` (Python's
    /// `wait(timeout)`): past it, this waiter leaves its round and gets an
    /// error that [`is_timed_out`](BarrierError::is_timed_out); the
    /// barrier is not broken (unlike Python's), the round waits for
    /// another party instead.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let b = corun::sync::shared::Barrier::new(2);
    /// let e = b.wait_timeout(Duration::from_millis(1)).unwrap_err();
    /// assert!(e.is_timed_out());
    /// assert_eq!(b.n_waiting(), 0); // it left its round
    /// ```
    ///
    /// # Panics
    ///
    /// As [`wait`](Barrier::wait).
    #[track_caller]
    pub fn wait_timeout(&self, limit: Duration) -> Result<BarrierWaitResult, BarrierError> {
        match wait_here::wait_timeout(self.wait_async(), limit, "shared::Barrier::wait_timeout") {
            Ok(Some(result)) => result,
            Ok(None) => Err(BarrierError::timed_out()),
            Err(_unwinding) => Err(BarrierError::unwinding()),
        }
    }

    /// A future of [`wait`](Barrier::wait); it arrives when first polled,
    /// and dropping it before the round passes leaves the round.
    pub fn wait_async(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
        }
    }

    /// Breaks the barrier (rule 4): every waiter, and every wait until
    /// [`reset`](Barrier::reset), fails.
    pub fn abort(&self) {
        let wakers = {
            let mut state = lock(&self.state);
            state.broken = true;
            state.release_all(|_| Err(BarrierError::broken()))
        };
        wake_all(wakers);
    }

    /// Fails the current waiters and mends the barrier (rule 4).
    pub fn reset(&self) {
        let wakers = {
            let mut state = lock(&self.state);
            state.broken = false;
            state.release_all(|_| Err(BarrierError::broken()))
        };
        wake_all(wakers);
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("shared::Barrier")
            .field("parties", &self.parties)
            .field("waiting", &state.waiting.len())
            .field("broken", &state.broken)
            .finish()
    }
}

/// The future of [`Barrier::wait_async`].
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<u64>,
}

impl Future for BarrierWait<'_> {
    type Output = Result<BarrierWaitResult, BarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let barrier = self.barrier;
        let mut state = lock(&barrier.state);
        let Some(key) = self.key else {
            if state.broken {
                return Poll::Ready(Err(BarrierError::broken()));
            }
            let index = state.waiting.len();
            if index + 1 < barrier.parties {
                let key = state.next_key;
                state.next_key += 1;
                state.waiting.push((key, cx.waker().clone()));
                self.key = Some(key);
                return Poll::Pending;
            }
            let wakers = state.release_all(|i| Ok(BarrierWaitResult::new(i, false)));
            drop(state);
            // The broken variant the loom model must reject: the round
            // passes, but the ones waiting in it are not told.
            #[cfg(corun_loom_mutant)]
            if crate::loom::mutant("barrier_pass") {
                return Poll::Ready(Ok(BarrierWaitResult::new(index, true)));
            }
            wake_all(wakers);
            return Poll::Ready(Ok(BarrierWaitResult::new(index, true)));
        };
        if let Some(outcome) = state.take_released(key) {
            self.key = None;
            return Poll::Ready(outcome);
        }
        if let Some((_, waker)) = state.waiting.iter_mut().find(|(k, _)| *k == key) {
            if !waker.will_wake(cx.waker()) {
                waker.clone_from(cx.waker());
            }
        }
        Poll::Pending
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Still waiting: it leaves the round (rule 3). Released: its
            // round is over, and nothing is owed to anyone.
            let mut state = lock(&self.barrier.state);
            state.waiting.retain(|(k, _)| *k != key);
            let _ = state.take_released(key);
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::BarrierWait")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
