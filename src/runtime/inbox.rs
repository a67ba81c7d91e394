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
//! 4. `wake` (for the runtime's other signals, such as "your last task
//!    ended") takes the waker under the lock too, so a dispatcher that left
//!    its waker and then re-checks its condition misses nothing.

use crate::loom::{lock, Mutex};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// A closure that starts a task on the worker that runs it.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    waker: Option<Waker>,
    closing: Option<Instant>,
}

/// What the dispatcher gets from [`Inbox::poll_take`].
pub(crate) enum Batch {
    /// Jobs to start, in the order they were pushed.
    Jobs(VecDeque<Job>),
    /// The runtime is closing: no more jobs will come; finish by then.
    Closing(Instant),
}

/// One worker's inbox.
#[derive(Default)]
pub(crate) struct Inbox {
    state: Mutex<State>,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Rule 1: pushes the job `make` makes of `parts`, or refuses when the
    /// inbox is closing and hands `parts` back, unmade.
    pub(crate) fn push<P>(&self, parts: P, make: impl FnOnce(P) -> Job) -> Result<(), P> {
        // The broken variant the loom model must reject: the waker is taken
        // (and woken) before the job is pushed, in two critical sections.
        #[cfg(corun_loom_mutant)]
        {
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

    /// Rule 2, for the dispatcher.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Batch> {
        let mut state = lock(&self.state);
        if !state.jobs.is_empty() {
            return Poll::Ready(Batch::Jobs(std::mem::take(&mut state.jobs)));
        }
        if let Some(deadline) = state.closing {
            return Poll::Ready(Batch::Closing(deadline));
        }
        Self::leave_waker(&mut state, cx);
        Poll::Pending
    }

    /// Leaves the dispatcher's waker (rule 4); the caller re-checks its
    /// condition afterwards.
    pub(crate) fn register(&self, cx: &mut Context<'_>) {
        Self::leave_waker(&mut lock(&self.state), cx);
    }

    fn leave_waker(state: &mut State, cx: &mut Context<'_>) {
        match &mut state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
    }

    /// Rule 4.
    pub(crate) fn wake(&self) {
        let waker = lock(&self.state).waker.take();
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

    /// Whether the runtime has started to close.
    pub(crate) fn is_closing(&self) -> bool {
        lock(&self.state).closing.is_some()
    }

    /// Jobs still waiting, taken out (to drop them after the worker died).
    pub(crate) fn take_all(&self) -> VecDeque<Job> {
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
