//! A worker's inbox: the closures other threads send it, and the one waker
//! of the worker's dispatcher task that drains it. Also the word a closing
//! runtime sets. This is the only place the inbox's lock is taken.
//!
//! Rules:
//! 1. A sender pushes a job under the lock, and only while the inbox is
//!    open; a refused job is handed back (the runtime is shutting down).
//!    After unlocking, it wakes the dispatcher's waker if one was left.
//! 2. The dispatcher, under the same lock, takes every job at once, or
//!    leaves its waker when there are none. Since both steps take the lock,
//!    a push either lands before the dispatcher looks (it takes the job) or
//!    after it left its waker (the sender takes the waker and wakes it): no
//!    job waits unseen.
//! 3. Closing sets the deadline under the lock and wakes the dispatcher.
//!    Jobs pushed before that are still handed out; then the dispatcher
//!    learns the deadline.
//! 5. Jobs are taken one at a time. A job marked stealable (it has not
//!    started, so it has no stack and nothing `!Send` yet) may be taken by
//!    another worker's dispatcher instead (`steal`), under the same lock,
//!    so each job is taken exactly once.
//! 4. `wake` (for the runtime's other signals: "your last task ended",
//!    "a busy worker has a job you could take") sets a flag and takes the
//!    waker under the lock too, so a dispatcher that left its waker and
//!    then re-checks its condition misses nothing.

use crate::loom::{lock, Mutex};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

struct State<J> {
    jobs: VecDeque<J>,
    waker: Option<Waker>,
    closing: Option<Instant>,
    /// `wake` was called: the dispatcher should look around (rule 4).
    nudged: bool,
}

/// What the dispatcher learns from [`Inbox::poll_wait`].
pub(crate) enum Wake {
    /// A job is there to take, or it was nudged to look for one elsewhere
    /// (or for its load to have drained).
    Look,
    /// The runtime is closing and no job is left: finish by then.
    Closing(Instant),
}

/// One worker's inbox of jobs `J` (the runtime's `worker::Job`).
pub(crate) struct Inbox<J> {
    state: Mutex<State<J>>,
}

impl<J> Inbox<J> {
    pub(crate) fn new() -> Self {
        Inbox {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                waker: None,
                closing: None,
                nudged: false,
            }),
        }
    }

    /// Rule 1: pushes the job `make` makes of `parts`, or refuses when the
    /// inbox is closing and hands `parts` back, unmade.
    pub(crate) fn push<P>(&self, parts: P, make: impl FnOnce(P) -> J) -> Result<(), P> {
        // The broken variant the loom model must reject: the waker is taken
        // (and woken) before the job is pushed, in two critical sections.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("inbox_push") {
            wake_taken(lock(&self.state).waker.take());
            let mut state = lock(&self.state);
            if state.closing.is_some() {
                return Err(parts);
            }
            state.jobs.push_back(make(parts));
            return Ok(());
        }
        #[allow(unreachable_code)]
        let waker = {
            let mut state = lock(&self.state);
            if state.closing.is_some() {
                return Err(parts);
            }
            state.jobs.push_back(make(parts));
            state.waker.take()
        };
        wake_taken(waker);
        Ok(())
    }

    /// Rule 5: the oldest job, for the inbox's own worker.
    pub(crate) fn take(&self) -> Option<J> {
        lock(&self.state).jobs.pop_front()
    }

    /// Rule 5: the oldest job another worker may take (`stealable`), for
    /// that worker.
    pub(crate) fn steal(&self, stealable: impl Fn(&J) -> bool) -> Option<J> {
        let mut state = lock(&self.state);
        let i = state.jobs.iter().position(stealable)?;
        state.jobs.remove(i)
    }

    /// Whether a job another worker may take waits here.
    pub(crate) fn has_stealable(&self, stealable: impl Fn(&J) -> bool) -> bool {
        lock(&self.state).jobs.iter().any(stealable)
    }

    /// Rule 2, for the dispatcher: ready when a job is there or the runtime
    /// closes; otherwise its waker is left.
    pub(crate) fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<Wake> {
        let mut state = lock(&self.state);
        if !state.jobs.is_empty() || std::mem::take(&mut state.nudged) {
            return Poll::Ready(Wake::Look);
        }
        if let Some(deadline) = state.closing {
            return Poll::Ready(Wake::Closing(deadline));
        }
        Self::leave_waker(&mut state, cx);
        Poll::Pending
    }

    /// Whether jobs wait.
    pub(crate) fn has_jobs(&self) -> bool {
        !lock(&self.state).jobs.is_empty()
    }

    /// Leaves the dispatcher's waker (rule 4); the caller re-checks its
    /// condition afterwards.
    pub(crate) fn register(&self, cx: &mut Context<'_>) {
        Self::leave_waker(&mut lock(&self.state), cx);
    }

    fn leave_waker(state: &mut State<J>, cx: &mut Context<'_>) {
        match &mut state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
    }

    /// Rule 4.
    pub(crate) fn wake(&self) {
        let waker = {
            let mut state = lock(&self.state);
            state.nudged = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Rule 3. The first deadline wins: a later, longer one cannot extend it.
    pub(crate) fn close(&self, deadline: Instant) {
        let waker = {
            let mut state = lock(&self.state);
            let closing = state.closing.get_or_insert(deadline);
            *closing = (*closing).min(deadline);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The earliest deadline any close asked for, once closing.
    pub(crate) fn closing_deadline(&self) -> Option<Instant> {
        lock(&self.state).closing
    }

    /// Jobs still waiting, taken out (to drop them after the worker died).
    pub(crate) fn take_all(&self) -> VecDeque<J> {
        std::mem::take(&mut lock(&self.state).jobs)
    }
}

fn wake_taken(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
