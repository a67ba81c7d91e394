//! One worker: a thread that owns an `Executor` and runs a dispatcher task
//! which turns the jobs of its inbox into tasks, until the runtime closes.
//!
//! The life of a runtime task, in order:
//! 1. `Runtime::spawn` counts it in the worker's load and pushes a job (the
//!    closure, with a [`Finish`] guard) into the worker's inbox.
//! 2. A dispatcher starts the job (`dispatch.rs`: its own worker's, or an
//!    idle worker's that took it; the load moves along): the closure
//!    becomes a local stackful task there, and a small future task (the
//!    watcher) waits for its local `JoinHandle`, forwarding cancel requests
//!    to it. From then on the task never moves.
//! 3. The watcher stores the outcome in the shared completion; the guard
//!    then leaves the load (the last one wakes the dispatcher). A job or watcher dropped unrun (shutdown) stores
//!    "cancelled" through the same guard, so every handle learns its end.
//! 4. Closing: the dispatcher starts the jobs already pushed, then waits
//!    until its load is zero or the deadline passes, and returns; dropping
//!    the executor then cancels what is left (destructors run).

use super::completion::Completion;
use super::inbox::{Inbox, Job};
use crate::executor::JoinError;
use crate::loom::{Arc, AtomicBool, AtomicUsize, Ordering};
use std::cell::Cell;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// `(runtime id, worker index)` on a worker thread.
    static WORKER: Cell<Option<(u64, usize)>> = const { Cell::new(None) };
}

/// The index of the runtime worker running the caller, or `None` outside
/// any runtime worker.
///
/// ```
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// assert_eq!(rt.spawn_on(1, corun::worker_index).join()?, Some(1));
/// assert_eq!(corun::worker_index(), None);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn worker_index() -> Option<usize> {
    WORKER.with(|w| w.get()).map(|(_, index)| index)
}

/// The runtime id of the worker running the caller.
pub(crate) fn current_runtime() -> Option<u64> {
    WORKER.with(|w| w.get()).map(|(id, _)| id)
}

/// What a worker shares with the threads that give it work.
pub(crate) struct WorkerShared {
    pub(crate) inbox: Inbox,
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
        {
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
}

impl<T> Finish<T> {
    /// Step 1: counts the task in `worker`'s load.
    pub(crate) fn enter(completion: Arc<Completion<T>>, worker: Arc<WorkerShared>) -> Self {
        worker.load.fetch_add(1, Ordering::AcqRel);
        Finish { completion, worker }
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
        if finish.completion.cancel_requested() {
            // Cancelled before it started: it never runs.
            drop(body);
            finish.completion.complete(Err(JoinError::cancelled()));
            return;
        }
        let local = crate::executor::hooks::spawn_at(body, location);
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
    local: crate::executor::JoinHandle<T>,
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
                this.finish.completion.complete(outcome);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// How a worker thread starts: its runtime, its index, its settings.
pub(crate) struct WorkerStart {
    pub(crate) runtime_id: u64,
    pub(crate) index: usize,
    /// Every worker's shared state, this one's at `index`.
    pub(crate) workers: Vec<Arc<WorkerShared>>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) core: Option<core_affinity::CoreId>,
    /// The turn clock of stall warnings, if they are on.
    pub(crate) clock: Option<Arc<crate::executor::turn_clock::TurnClock>>,
}

/// The worker thread's body. `started` gets whether pinning worked (or why
/// the executor could not be made) before any job runs.
pub(crate) fn run(start: WorkerStart, started: std::sync::mpsc::Sender<std::io::Result<bool>>) {
    WORKER.with(|w| w.set(Some((start.runtime_id, start.index))));
    let pinned = start.core.is_some_and(core_affinity::set_for_current);
    let mut builder = crate::Executor::builder();
    if let Some(bytes) = start.stack_size {
        builder = builder.stack_size(bytes);
    }
    let executor = match builder.try_build() {
        Ok(executor) => executor,
        Err(e) => {
            let _ = started.send(Err(e));
            return;
        }
    };
    let _ = started.send(Ok(pinned));
    drop(started);
    let clock = start.clock;
    executor.block_on(|| {
        if let Some(clock) = clock {
            crate::executor::hooks::install_turn_clock(clock);
        }
        super::dispatch::dispatch(start.index, &start.workers)
    });
    // Step 4: unwinds every task still alive; their guards store the rest.
    drop(executor);
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
