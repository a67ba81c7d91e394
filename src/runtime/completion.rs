//! Cross-thread join completion: where a runtime task's outcome waits for
//! its `Send` handle, and how a cancel request travels the other way. This
//! is the only place its lock is taken.
//!
//! Rules:
//! 1. The outcome is stored exactly once (`complete`); a second store is
//!    ignored, so a drop guard may always try ("cancelled" if nothing else
//!    came first). Storing wakes every waiter's waker, taken under the
//!    lock: a shared `AsyncResult` may have many waiters at once.
//! 2. A waiter polls under the lock: it takes (or sees) the outcome, or
//!    leaves its waker beside the others'. Both under one lock, so a store
//!    either comes before the poll (which sees it) or after the waker was
//!    left (and wakes it).
//! 3. A cancel request sets a flag under the lock and wakes the worker-side
//!    watcher's waker; the watcher polls the flag under the same lock
//!    (rule 2's argument again). A request after the outcome does nothing.
//! 4. A request before the job started stores "cancelled" at once, so its
//!    handle need not wait until a dispatcher reaches the job in a busy
//!    inbox; the job, when reached, finds the flag (`mark_started`, under
//!    the same lock) and drops its closure unrun.
//! 5. `then_after`'s hook runs after the outcome is stored and the waiters
//!    woken (at once if it is stored already): a pool's count of
//!    outstanding jobs drops there, so `Pool::join` never returns before
//!    the results it waited for are there.

use super::super::JoinError;
use super::current::{current_identity, TaskIdentity};
use crate::loom::{lock, Mutex};
use std::task::{Context, Poll, Waker};

enum Outcome<T> {
    Pending,
    Ready(Result<T, JoinError>),
    Taken,
}

struct State<T> {
    outcome: Outcome<T>,
    /// Everyone waiting for the outcome, each once (rule 2).
    joiners: Vec<Waker>,
    cancel: bool,
    /// The job became a task (rule 4).
    started: bool,
    watcher: Option<Waker>,
    /// Runs once the outcome is stored and the waiters woken (rule 5).
    then: Option<Box<dyn FnOnce() + Send>>,
    /// The task the job became, once it started.
    runner: Option<TaskIdentity>,
}

/// The state a runtime task and its handle share.
pub(crate) struct Completion<T> {
    state: Mutex<State<T>>,
}

fn keep(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        slot => *slot = Some(cx.waker().clone()),
    }
}

/// Adds the poller's waker to `waiters` unless it is there already (a
/// waiter polled again).
fn keep_among(waiters: &mut Vec<Waker>, cx: &Context<'_>) {
    if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
        waiters.push(cx.waker().clone());
    }
}

/// Rules 1 and 5, outside the lock: the outcome is stored; its waiters
/// wake, then the hook runs.
fn announce(joiners: Vec<Waker>, then: Option<Box<dyn FnOnce() + Send>>) {
    for waker in joiners {
        waker.wake();
    }
    if let Some(then) = then {
        then();
    }
}

impl<T> Completion<T> {
    pub(crate) fn new() -> Self {
        Completion {
            state: Mutex::new(State {
                outcome: Outcome::Pending,
                joiners: Vec::new(),
                cancel: false,
                started: false,
                watcher: None,
                then: None,
                runner: None,
            }),
        }
    }

    /// Rule 1. Returns whether this call stored the outcome.
    pub(crate) fn complete(&self, outcome: Result<T, JoinError>) -> bool {
        // The broken variant the loom model must reject: the joiner is
        // woken before the outcome is stored, in two critical sections.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("completion") {
            let joiners = std::mem::take(&mut lock(&self.state).joiners);
            for waker in joiners {
                waker.wake();
            }
            let mut state = lock(&self.state);
            if !matches!(state.outcome, Outcome::Pending) {
                return false;
            }
            state.outcome = Outcome::Ready(outcome);
            return true;
        }
        #[allow(unreachable_code)]
        let (joiners, then) = {
            let mut state = lock(&self.state);
            if !matches!(state.outcome, Outcome::Pending) {
                return false;
            }
            state.outcome = Outcome::Ready(outcome);
            state.watcher = None;
            (std::mem::take(&mut state.joiners), state.then.take())
        };
        announce(joiners, then);
        true
    }

    /// Rule 5: runs `then` once the outcome is stored.
    pub(crate) fn then_after(&self, then: impl FnOnce() + Send + 'static) {
        let mut state = lock(&self.state);
        if matches!(state.outcome, Outcome::Pending) {
            state.then = Some(Box::new(then));
            return;
        }
        drop(state);
        then();
    }

    /// Rule 2.
    ///
    /// # Panics
    ///
    /// If the outcome was already taken (a handle polled after it returned
    /// `Ready`).
    pub(crate) fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut state = lock(&self.state);
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Ready(outcome) => Poll::Ready(outcome),
            Outcome::Pending => {
                state.outcome = Outcome::Pending;
                keep_among(&mut state.joiners, cx);
                Poll::Pending
            }
            Outcome::Taken => {
                drop(state);
                panic!("corun::runtime::JoinHandle polled after it returned the outcome")
            }
        }
    }

    /// Waits for the outcome without taking it (rule 2's waker).
    pub(crate) fn poll_finished(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.state);
        if matches!(state.outcome, Outcome::Pending) {
            // The broken variant the loom model must reject: one waker
            // slot, so a second waiter's waker replaces the first's.
            #[cfg(corun_loom_mutant)]
            if crate::loom::mutant("completion_one_waiter") {
                state.joiners.clear();
            }
            keep_among(&mut state.joiners, cx);
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }

    /// Takes the outcome if it is stored and not taken yet.
    pub(crate) fn take(&self) -> Option<Result<T, JoinError>> {
        let mut state = lock(&self.state);
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Ready(outcome) => Some(outcome),
            other => {
                state.outcome = other;
                None
            }
        }
    }

    /// Whether the outcome was stored and then taken.
    pub(crate) fn is_taken(&self) -> bool {
        matches!(lock(&self.state).outcome, Outcome::Taken)
    }

    /// Whether the task ended with a value (`None` while it runs, or once
    /// the outcome was taken).
    pub(crate) fn succeeded(&self) -> Option<bool> {
        match &lock(&self.state).outcome {
            Outcome::Ready(outcome) => Some(outcome.is_ok()),
            _ => None,
        }
    }

    /// Forgets the waiters' wakers: a runtime `JoinHandle`, its
    /// completion's only waiter, was dropped after it polled.
    pub(crate) fn forget_joiner(&self) {
        lock(&self.state).joiners.clear();
    }

    pub(crate) fn is_finished(&self) -> bool {
        !matches!(lock(&self.state).outcome, Outcome::Pending)
    }

    /// Rules 3 and 4, the handle's side.
    pub(crate) fn request_cancel(&self) {
        let (watcher, joiners, then) = {
            let mut state = lock(&self.state);
            if !matches!(state.outcome, Outcome::Pending) {
                return;
            }
            state.cancel = true;
            let (joiners, then) = if state.started {
                (Vec::new(), None)
            } else {
                state.outcome = Outcome::Ready(Err(JoinError::cancelled()));
                (std::mem::take(&mut state.joiners), state.then.take())
            };
            (state.watcher.take(), joiners, then)
        };
        if let Some(waker) = watcher {
            waker.wake();
        }
        announce(joiners, then);
    }

    /// Rule 4, the worker's side: the job is about to become a task;
    /// `false` if it was cancelled first (it must not run).
    pub(crate) fn mark_started(&self) -> bool {
        let mut state = lock(&self.state);
        state.started = !state.cancel;
        state.started
    }

    /// Rule 3, the worker's side: whether cancellation was requested; if
    /// not, the watcher's waker is left for the request.
    pub(crate) fn poll_cancel(&self, cx: &mut Context<'_>) -> bool {
        let mut state = lock(&self.state);
        if !state.cancel {
            keep(&mut state.watcher, cx);
        }
        state.cancel
    }

    /// Records the task the job became (on its worker, as it starts).
    pub(crate) fn set_runner(&self, runner: TaskIdentity) {
        lock(&self.state).runner = Some(runner);
    }

    /// Whether the caller is this completion's own task: waiting for it
    /// would wait forever.
    pub(crate) fn runs_the_caller(&self) -> bool {
        // Outside a runtime task the lock is not taken at all.
        current_identity().is_some_and(|me| lock(&self.state).runner == Some(me))
    }

    pub(crate) fn cancel_requested(&self) -> bool {
        lock(&self.state).cancel
    }
}

#[cfg(all(test, loom))]
mod loom_tests;

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::loom::lock;
    use crate::runtime::completion::Completion;
    use std::future::poll_fn;
    use std::time::Duration;

    // A plain thread waiting again and again on one shared result (an
    // `AsyncResult::wait_timeout` loop) leaves one waker, not one a call.
    #[test]
    fn repeated_timed_waits_from_one_thread_leave_one_waker() {
        let completion = Completion::<u32>::new();
        for _ in 0..100 {
            let waited = crate::sync::wait_here::wait_timeout(
                poll_fn(|cx| completion.poll_finished(cx)),
                Duration::ZERO,
                "test",
            );
            assert!(matches!(waited, Ok(None)));
        }
        assert_eq!(lock(&completion.state).joiners.len(), 1);
        assert!(completion.complete(Ok(1)));
        assert!(lock(&completion.state).joiners.is_empty());
    }
}
