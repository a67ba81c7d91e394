//! An event flag shared between threads, runtime workers and tasks of any
//! executor: Python's `threading.Event` and `asyncio.Event` in one,
//! `Send + Sync`.
//!
//! Rules:
//! 1. `set` raises the flag and releases every waiter waiting at that
//!    moment: each returns, even if the flag is cleared again before it
//!    runs (Python's rule; each `set` starts a new generation, and a waiter
//!    released by one does not wait again).
//! 2. A wait while the flag is up returns at once.
//! 3. Wakers are woken after the lock is let go.
//! 4. A task that is unwinding never waits: its wait returns at once
//!    (check [`is_set`](Event::is_set) after).

use crate::loom::{lock, AtomicBool, Mutex, Ordering};
use crate::sync::wait_here;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A flag that tasks and threads wait for: Python's `threading.Event`
/// (and `asyncio.Event`), for every worker of a
/// [`Runtime`](crate::Runtime) at once; [`sync::Event`](crate::sync::Event)
/// is the one for a single executor. The usual use: telling every worker
/// to shut down.
///
/// ```
/// use corun::sync::shared::Event;
/// use std::sync::Arc;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let stop = Arc::new(Event::new());
/// let workers: Vec<_> = (0..2)
///     .map(|worker| {
///         let stop = stop.clone();
///         rt.spawn_on(worker, move || {
///             stop.wait(); // this task suspends; its worker runs others
///             "stopped"
///         })
///     })
///     .collect();
/// stop.set(); // from this plain thread
/// for w in workers {
///     assert_eq!(w.join()?, "stopped");
/// }
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct Event {
    /// Mirrors `state.set` for a wait or `is_set` that need not lock.
    flag: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    set: bool,
    /// Bumped by every `set` (rule 1).
    generation: u64,
    waiters: Vec<(u64, Waker)>,
    next_key: u64,
}

impl Event {
    /// An event whose flag is down.
    pub fn new() -> Self {
        Event {
            flag: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }
    }

    /// Raises the flag and releases every waiter (rule 1).
    pub fn set(&self) {
        let waiters = {
            let mut state = lock(&self.state);
            state.set = true;
            state.generation += 1;
            self.flag.store(true, Ordering::Release);
            std::mem::take(&mut state.waiters)
        };
        // The broken variant the loom model must reject: the flag goes up
        // but nobody who waits is told.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("event_set") {
            return;
        }
        for (_, waker) in waiters {
            waker.wake();
        }
    }

    /// Lowers the flag; later waits wait for the next [`set`](Event::set).
    pub fn clear(&self) {
        let mut state = lock(&self.state);
        state.set = false;
        self.flag.store(false, Ordering::Release);
    }

    /// Whether the flag is up.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Waits until the flag is up (or a `set` released this wait): a
    /// stackful task suspends, a plain thread blocks.
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use [`wait_async`](Event::wait_async).
    #[track_caller]
    pub fn wait(&self) {
        if self.is_set() {
            return;
        }
        // Unwinding: returns at once (rule 4).
        let _ = wait_here::wait(self.wait_async(), "shared::Event::wait");
    }

    /// [`wait`](Event::wait) for at most `limit`; whether the flag came up
    /// (or a `set` released this wait) in time: Python's
    /// `Event.wait(timeout)`.
    ///
    /// ```
    /// let stop = corun::sync::shared::Event::new();
    /// assert!(!stop.wait_timeout(std::time::Duration::from_millis(1)));
    /// stop.set();
    /// assert!(stop.wait_timeout(std::time::Duration::from_millis(1)));
    /// ```
    #[track_caller]
    pub fn wait_timeout(&self, limit: Duration) -> bool {
        if self.is_set() {
            return true;
        }
        matches!(
            wait_here::wait_timeout(self.wait_async(), limit, "shared::Event::wait_timeout"),
            Ok(Some(()))
        )
    }

    /// A future of [`wait`](Event::wait), for async code and future tasks.
    pub fn wait_async(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            entry: None,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("shared::Event")
            .field("set", &state.set)
            .field("waiting", &state.waiters.len())
            .finish()
    }
}

/// The future of [`Event::wait_async`].
#[must_use = "futures do nothing unless polled"]
pub struct EventWait<'a> {
    event: &'a Event,
    /// Its key among the waiters and the generation it waits in, once it
    /// waits.
    entry: Option<(u64, u64)>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let event = self.event;
        let mut state = lock(&event.state);
        let Some((key, generation)) = self.entry else {
            if state.set {
                return Poll::Ready(());
            }
            let key = state.next_key;
            state.next_key += 1;
            state.waiters.push((key, cx.waker().clone()));
            self.entry = Some((key, state.generation));
            return Poll::Pending;
        };
        if state.set || state.generation != generation {
            // A `set` released it (rule 1); it is out of the list already.
            self.entry = None;
            return Poll::Ready(());
        }
        if let Some((_, waker)) = state.waiters.iter_mut().find(|(k, _)| *k == key) {
            if !waker.will_wake(cx.waker()) {
                waker.clone_from(cx.waker());
            }
        }
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some((key, _)) = self.entry.take() {
            lock(&self.event.state).waiters.retain(|(k, _)| *k != key);
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::EventWait")
            .field("waiting", &self.entry.is_some())
            .finish()
    }
}
