//! What one worker shares with the threads that give it work (its inbox and
//! load), and the life of a runtime task on it: the job, the `Finish`
//! guard, the watcher. The thread itself is in `thread.rs`, the dispatcher
//! task in `dispatch.rs`.
//!
//! The life of a runtime task, in order:
//! 1. `Runtime::spawn` counts it in the worker's load and pushes a job (the
//!    closure, with a [`Finish`] guard) into the worker's inbox.
//! 2. A dispatcher starts the job (`dispatch.rs`: its own worker's, or an
//!    idle worker's that took it; the load moves along): the closure
//!    becomes a local stackful task there, and a small future task (the
//!    watcher) waits for its local `JoinHandle`, forwarding cancel requests
//!    to it. From then on the task never moves.
//! 3. The watcher leaves the load (the last one wakes the dispatcher), then
//!    stores the outcome in the shared completion, so a `join` that returns
//!    finds the task no longer counted. A job or
//!    watcher dropped unrun (shutdown) stores "cancelled" through the same
//!    guard, so every handle learns its end.
//! 4. Closing: the dispatcher starts the jobs already pushed, then waits
//!    until its load is zero or the deadline passes, and returns; dropping
//!    the executor then cancels what is left (destructors run).

use super::completion::Completion;
use super::inbox::Inbox;
use crate::executor::JoinError;
use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Starts a task on the worker that runs it, given that worker's shared
/// state (which may not be the one it was pushed to).
pub(crate) type Start = Box<dyn FnOnce(&Arc<WorkerShared>) + Send>;

/// A job of an inbox: how to start it, and whether another worker may.
pub(crate) struct Job {
    pub(crate) start: Start,
    /// Whether an idle worker may take it (`spawn_on` jobs: never).
    pub(crate) stealable: bool,
}

/// What a worker shares with the threads that give it work.
pub(crate) struct WorkerShared {
    pub(crate) inbox: Inbox<Job>,
    /// Runtime tasks pushed to this worker (or taken by it) and not yet
    /// ended.
    load: AtomicUsize,
    /// The dispatcher sleeps with nothing else ready: a hint for spawners
    /// that an idle worker could take a job (see `dispatch.rs`).
    pub(crate) idle: AtomicBool,
}

impl WorkerShared {
    pub(crate) fn new() -> Self {
        WorkerShared {
            inbox: Inbox::new(),
            load: AtomicUsize::new(0),
            idle: AtomicBool::new(false),
        }
    }

    pub(crate) fn load(&self) -> usize {
        self.load.load(Ordering::Acquire)
    }

    fn leave(&self) {
        // The broken variant the loom model must reject: the dispatcher is
        // woken before the count drops, so a closing dispatcher may read
        // the old count and sleep through the end.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("worker_leave") {
            let last = self.load.load(Ordering::Acquire) == 1;
            if last {
                self.inbox.wake();
            }
            self.load.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        // The count drops first, then the dispatcher is woken under the
        // inbox lock (rule 4 there): closing, it reads zero; running, its
        // worker may be idle now and look for a job to take
        // (`dispatch.rs`, rule 3).
        #[allow(unreachable_code)]
        if self.load.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inbox.wake();
        }
    }
}

/// Ends a runtime task's bookkeeping exactly once, however it ends: stores
/// `cancelled` if no outcome came, and leaves the worker's load.
pub(crate) struct Finish<T> {
    pub(crate) completion: Arc<Completion<T>>,
    worker: Arc<WorkerShared>,
    /// The outcome was stored and the load left already (`finish`).
    done: bool,
}

impl<T> Finish<T> {
    /// Step 1: counts the task in `worker`'s load.
    pub(crate) fn enter(completion: Arc<Completion<T>>, worker: Arc<WorkerShared>) -> Self {
        worker.load.fetch_add(1, Ordering::AcqRel);
        Finish {
            completion,
            worker,
            done: false,
        }
    }

    /// Step 3: leaves the load, then stores the outcome, so that whoever
    /// the outcome wakes (a `join` returning) finds the task no longer
    /// counted: placement then sees the worker as it is. (The dispatcher
    /// that waits for the load to reach zero runs on this same thread, so
    /// it cannot look between the two.)
    fn finish(&mut self, outcome: Result<T, JoinError>) {
        self.done = true;
        self.worker.leave();
        self.completion.complete(outcome);
    }

    /// An unstarted task taken by another worker: its load moves along.
    fn move_to(&mut self, worker: &Arc<WorkerShared>) {
        if !Arc::ptr_eq(&self.worker, worker) {
            worker.load.fetch_add(1, Ordering::AcqRel);
            std::mem::replace(&mut self.worker, worker.clone()).leave();
        }
    }
}

impl<T> Drop for Finish<T> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        self.completion.complete(Err(JoinError::cancelled_because(
            "its runtime shut down before it finished",
        )));
        self.worker.leave();
    }
}

/// Step 2: the job that turns `body` into a task on the worker running it;
/// `stealable` if another worker may take it before it starts.
pub(crate) fn job<F, T>(
    body: F,
    finish: Finish<T>,
    location: &'static Location<'static>,
    stealable: bool,
) -> Job
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut finish = finish;
    let start = move |here: &Arc<WorkerShared>| {
        finish.move_to(here);
        if !finish.completion.mark_started() {
            // Cancelled before it started: it never runs (its handle knew
            // at once, `completion.rs` rule 4).
            drop(body);
            return;
        }
        // Checked again at the task's first turn: a cancel that comes after
        // the job was taken but before the task ran (it waited in the run
        // queue behind others) must still keep the body from running.
        let completion = finish.completion.clone();
        let unless_cancelled = move || (!completion.cancel_requested()).then(body);
        let local = crate::executor::hooks::spawn_at(unless_cancelled, location);
        if let Some((runtime, worker)) = super::current::current_worker() {
            finish
                .completion
                .set_runner((runtime, worker, local.id().0));
        }
        drop(crate::executor::spawn_future(Watcher {
            local,
            finish,
            cancel_sent: false,
        }));
    };
    Job {
        start: Box::new(start),
        stealable,
    }
}

/// Step 3: waits for the local task and forwards cancel requests to it.
struct Watcher<T> {
    /// `None` if the body was cancelled before its first turn.
    local: crate::executor::JoinHandle<Option<T>>,
    finish: Finish<T>,
    cancel_sent: bool,
}

impl<T> Future for Watcher<T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if !this.cancel_sent && this.finish.completion.poll_cancel(cx) {
            this.local.cancel();
            this.cancel_sent = true;
        }
        match Pin::new(&mut this.local).poll(cx) {
            Poll::Ready(outcome) => {
                let outcome = outcome.and_then(|ran| ran.ok_or_else(JoinError::cancelled));
                this.finish.finish(outcome);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Waits until the worker's load is zero: the dispatcher's closing phase
/// (the waker is left first, then the count read; see `leave`).
pub(crate) fn poll_drained(shared: &WorkerShared, cx: &mut Context<'_>) -> Poll<()> {
    shared.inbox.register(cx);
    if shared.load() == 0 {
        Poll::Ready(())
    } else {
        Poll::Pending
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
