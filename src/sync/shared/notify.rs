//! Wake-ups without data, shared between threads, runtime workers and tasks
//! of any executor: tokio's `Notify`, `Send + Sync`.
//!
//! Rules (tokio's, and the executor-local
//! [`sync::Notify`](crate::sync::Notify)'s but for rule 2):
//! 1. `notify_one` hands a notification to the oldest waiter
//!    (`notify_last`: to the newest); with no waiter, it stores one permit
//!    (at most one: further calls while it is stored do nothing), which the
//!    next wait takes at once.
//! 2. `notify_waiters` releases every waiter waiting at that moment and
//!    stores nothing. A [`Notified`] future counts as waiting from the
//!    moment it is made, polled or not (tokio's rule, so that "make the
//!    future, check the condition, await" misses nothing); the executor-local
//!    `Notify` counts it only once polled.
//! 3. A waiter that leaves without using a `notify_one` or `notify_last`
//!    notification (cancelled, timed out, its future dropped) passes it on
//!    as the same call would: to the next waiter, or back as the stored
//!    permit. None is lost.
//! 4. Wakers are woken after the lock is let go.
//! 5. A task that is unwinding never waits: its wait returns at once
//!    (having taken the permit if one was stored).

use crate::loom::{lock, AtomicUsize, Mutex, Ordering};
use crate::sync::wait_here;
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Wakes waiting tasks and threads, one or all, without passing data:
/// tokio's `Notify` for every worker of a [`Runtime`](crate::Runtime) and
/// plain threads at once; [`sync::Notify`](crate::sync::Notify) is the one
/// for a single executor.
///
/// [`wait`](Notify::wait) suspends a stackful task (only it), blocks a
/// plain thread, and [`notified_async`](Notify::notified_async) is the
/// future for async code. A [`notify_one`](Notify::notify_one) that comes
/// before anyone waits is stored as a permit, so it is not lost.
///
/// ```
/// use corun::sync::shared::Notify;
/// use std::sync::Arc;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let (ping, pong) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
/// let workers: Vec<_> = (0..2)
///     .map(|worker| {
///         let (ping, pong) = (ping.clone(), pong.clone());
///         rt.spawn_on(worker, move || {
///             ping.wait(); // this task suspends; its worker runs others
///             pong.notify_one();
///             "woken"
///         })
///     })
///     .collect();
/// for _ in 0..2 {
///     ping.notify_one(); // from this plain thread: one worker's task goes on
///     pong.wait(); // this thread blocks until that task answers
/// }
/// for w in workers {
///     assert_eq!(w.join()?, "woken");
/// }
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub struct Notify {
    /// How many `notify_waiters` calls so far: a `Notified` reads it when
    /// made, without the lock, to see a call that came before its first
    /// poll (rule 2). Written only under the lock.
    waiters_calls: AtomicUsize,
    state: Mutex<State>,
}

struct State {
    permit: bool,
    /// Waiting, oldest first. No waker yet for a future that was enabled
    /// but not polled.
    waiting: VecDeque<(u64, Option<Waker>)>,
    /// Waiters taken out of `waiting` by a notification, and how, that
    /// have not polled since (rule 3 needs the how).
    notified: SmallVec<[(u64, Wake); 4]>,
    next_key: u64,
}

/// Where in the queue a single notification goes: `notify_one`'s to the
/// oldest, `notify_last`'s to the newest (and so does one passed on).
#[derive(Clone, Copy)]
enum End {
    Oldest,
    Newest,
}

/// Which call released a waiter.
#[derive(Clone, Copy)]
enum Wake {
    One(End),
    /// `notify_waiters`: not passed on, it was for those waiting then.
    All,
}

impl State {
    /// Hands one notification to the oldest or newest waiter, or stores
    /// the permit (rule 1); returns the waker to wake outside the lock
    /// (rule 4).
    fn notify(&mut self, end: End) -> Option<Waker> {
        let next = match end {
            End::Oldest => self.waiting.pop_front(),
            End::Newest => self.waiting.pop_back(),
        };
        match next {
            Some((key, waker)) => {
                self.notified.push((key, Wake::One(end)));
                waker
            }
            None => {
                self.permit = true;
                None
            }
        }
    }

    fn take_notified(&mut self, key: u64) -> Option<Wake> {
        let i = self.notified.iter().position(|(k, _)| *k == key)?;
        Some(self.notified.swap_remove(i).1)
    }
}

impl Notify {
    /// A `Notify` with no stored permit.
    pub fn new() -> Self {
        Notify {
            waiters_calls: AtomicUsize::new(0),
            state: Mutex::new(State {
                permit: false,
                waiting: VecDeque::new(),
                notified: SmallVec::new(),
                next_key: 0,
            }),
        }
    }

    /// Wakes the waiter that has waited longest, or stores the permit if
    /// none waits (rule 1).
    pub fn notify_one(&self) {
        let waker = lock(&self.state).notify(End::Oldest);
        // The broken variant the loom model must reject: the notification
        // is handed to the waiter, but the waiter is never woken.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("notify_one") {
            return;
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes the waiter that began to wait last, or stores the permit if
    /// none waits (rule 1): tokio's `notify_last`.
    pub fn notify_last(&self) {
        let waker = lock(&self.state).notify(End::Newest);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Releases every waiter waiting now, and every [`Notified`] made
    /// before this call; stores no permit (rule 2).
    pub fn notify_waiters(&self) {
        let wakers: SmallVec<[Waker; 4]> = {
            let mut state = lock(&self.state);
            self.waiters_calls.fetch_add(1, Ordering::Release);
            let state = &mut *state;
            let released = state.waiting.drain(..).filter_map(|(key, waker)| {
                state.notified.push((key, Wake::All));
                waker
            });
            released.collect()
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Waits for a notification: a stackful task suspends, a plain thread
    /// blocks; returns at once if a permit is stored, and takes it.
    ///
    /// ```
    /// let n = corun::sync::shared::Notify::new();
    /// n.notify_one(); // no one waits: the permit is stored
    /// n.wait(); // takes it without waiting
    /// ```
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use [`notified_async`](Notify::notified_async).
    #[track_caller]
    pub fn wait(&self) {
        // Unwinding: returns at once (rule 5).
        let _ = wait_here::wait(self.notified(), "shared::Notify::wait");
    }

    /// [`wait`](Notify::wait) for at most `limit`; whether a notification
    /// (or the stored permit) came in time. One that comes too late is not
    /// lost: it goes to the next waiter, or is stored (rule 3).
    ///
    /// ```
    /// let n = corun::sync::shared::Notify::new();
    /// assert!(!n.wait_timeout(std::time::Duration::from_millis(1)));
    /// n.notify_one();
    /// assert!(n.wait_timeout(std::time::Duration::from_millis(1)));
    /// ```
    #[track_caller]
    pub fn wait_timeout(&self, limit: Duration) -> bool {
        matches!(
            wait_here::wait_timeout(self.notified(), limit, "shared::Notify::wait_timeout"),
            Ok(Some(()))
        )
    }

    /// A future of a notification, as tokio's `Notify::notified`: for
    /// future tasks and async code. It counts as waiting for
    /// [`notify_waiters`](Notify::notify_waiters) at once (rule 2), and
    /// takes its place in the queue for `notify_one` when first polled or
    /// [enabled](Notified::enable); dropping it leaves the queue, passing
    /// on a notification it did not use (rule 3).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let n = Arc::new(corun::sync::shared::Notify::new());
    /// let ex = corun::Executor::new();
    /// let n2 = n.clone();
    /// let h = ex.spawn_future(async move { n2.notified().await });
    /// let t = std::thread::spawn(move || n.notify_one()); // stored if early
    /// ex.block_on(|| h.join().unwrap());
    /// t.join().unwrap();
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            stage: Stage::Made {
                waiters_calls: self.waiters_calls.load(Ordering::Acquire),
            },
        }
    }

    /// The same future as [`notified`](Notify::notified), under the
    /// `*_async` name the other primitives' futures have.
    ///
    /// ```
    /// let n = corun::sync::shared::Notify::new();
    /// n.notify_one();
    /// futures::executor::block_on(n.notified_async()); // takes the permit
    /// ```
    pub fn notified_async(&self) -> Notified<'_> {
        self.notified()
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("shared::Notify")
            .field("permit", &state.permit)
            .field("waiting", &state.waiting.len())
            .finish()
    }
}

/// The future of [`Notify::notified`] (and
/// [`notified_async`](Notify::notified_async)).
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    stage: Stage,
}

#[derive(Clone, Copy)]
enum Stage {
    /// Not in the queue yet; the `notify_waiters` count when it was made
    /// (rule 2).
    Made { waiters_calls: usize },
    /// In the queue (or notified), under this key.
    Queued { key: u64 },
    /// Notified, and it has said so.
    Done,
}

impl Notified<'_> {
    /// Takes this future's place in the queue now, without polling it, so
    /// that a `notify_one` from here on reaches it (tokio's
    /// `Notified::enable`); whether it is notified already, as a poll would
    /// be ready (a stored permit is taken then). Once it is in the queue,
    /// calling this again only says whether it is notified.
    ///
    /// ```
    /// let n = corun::sync::shared::Notify::new();
    /// let mut fut = n.notified();
    /// assert!(!fut.enable()); // queued: no waker yet, but counted
    /// n.notify_one(); // handed to `fut`, not stored
    /// assert!(fut.enable());
    /// futures::executor::block_on(fut);
    /// assert!(!n.wait_timeout(std::time::Duration::from_millis(1)));
    /// ```
    pub fn enable(&mut self) -> bool {
        self.poll_with(None).is_ready()
    }

    fn poll_with(&mut self, waker: Option<&Waker>) -> Poll<()> {
        let notify = self.notify;
        let mut state = lock(&notify.state);
        match self.stage {
            Stage::Done => Poll::Ready(()),
            Stage::Made { waiters_calls } => {
                let missed = notify.waiters_calls.load(Ordering::Acquire) != waiters_calls;
                if missed || std::mem::take(&mut state.permit) {
                    self.stage = Stage::Done;
                    return Poll::Ready(());
                }
                let key = state.next_key;
                state.next_key += 1;
                state.waiting.push_back((key, waker.cloned()));
                self.stage = Stage::Queued { key };
                Poll::Pending
            }
            Stage::Queued { key } => {
                if state.take_notified(key).is_some() {
                    self.stage = Stage::Done;
                    return Poll::Ready(());
                }
                let Some(new) = waker else {
                    return Poll::Pending;
                };
                if let Some((_, slot)) = state.waiting.iter_mut().find(|(k, _)| *k == key) {
                    match slot {
                        Some(old) if old.will_wake(new) => {}
                        Some(old) => old.clone_from(new),
                        None => *slot = Some(new.clone()),
                    }
                }
                Poll::Pending
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_with(Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Stage::Queued { key } = self.stage else {
            return;
        };
        let waker = {
            let mut state = lock(&self.notify.state);
            match state.take_notified(key) {
                // Rule 3: what it did not use goes on, as the same call.
                Some(Wake::One(end)) => state.notify(end),
                Some(Wake::All) => None,
                None => {
                    state.waiting.retain(|(k, _)| *k != key);
                    None
                }
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::Notified")
            .field("queued", &matches!(self.stage, Stage::Queued { .. }))
            .finish()
    }
}

#[cfg(all(test, loom))]
#[path = "notify_loom_tests.rs"]
mod loom_tests;
