//! One worker: a thread that owns an `Executor` and runs a dispatcher task
//! which turns the jobs of its inbox into tasks, until the runtime closes.
//!
//! The life of a runtime task, in order:
//! 1. `Runtime::spawn` counts it in the worker's load and pushes a job (the
//!    closure, with a [`Finish`] guard) into the worker's inbox.
//! 2. The dispatcher runs the job: the closure becomes a local stackful
//!    task, and a small future task (the watcher) waits for its local
//!    `JoinHandle`, forwarding cancel requests to it.
//! 3. The watcher stores the outcome in the shared completion; the guard
//!    then leaves the load. A job or watcher dropped unrun (shutdown) stores
//!    "cancelled" through the same guard, so every handle learns its end.
//! 4. Closing: the dispatcher starts the jobs already pushed, then waits
//!    until its load is zero or the deadline passes, and returns; dropping
//!    the executor then cancels what is left (destructors run).

use super::completion::Completion;
use super::inbox::{Batch, Inbox, Job};
use crate::executor::hooks::suspend_on;
use crate::executor::JoinError;
use crate::loom::{Arc, AtomicUsize, Ordering};
use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::panic::Location;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Instant;

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
    /// Runtime tasks pushed to this worker and not yet ended.
    load: AtomicUsize,
}

impl WorkerShared {
    pub(crate) fn new() -> Self {
        WorkerShared {
            inbox: Inbox::new(),
            load: AtomicUsize::new(0),
        }
    }

    pub(crate) fn load(&self) -> usize {
        self.load.load(Ordering::Acquire)
    }

    fn leave(&self) {
        // The broken variant the loom model must reject: "closing?" is read
        // before the count drops, so a close in between is never answered.
        #[cfg(corun_loom_mutant)]
        {
            let closing = self.inbox.is_closing();
            if self.load.fetch_sub(1, Ordering::AcqRel) == 1 && closing {
                self.inbox.wake();
            }
            return;
        }
        // The count drops first, then "closing?" is read under the inbox
        // lock: a close either came before that read (this wakes the
        // dispatcher) or after it (the dispatcher, closing, reads zero).
        #[allow(unreachable_code)]
        if self.load.fetch_sub(1, Ordering::AcqRel) == 1 && self.inbox.is_closing() {
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
}

impl<T> Drop for Finish<T> {
    fn drop(&mut self) {
        self.completion.complete(Err(JoinError::cancelled_because(
            "its runtime shut down before it finished",
        )));
        self.worker.leave();
    }
}

/// Step 2: the job that turns `body` into a task on the worker running it.
pub(crate) fn job<F, T>(body: F, finish: Finish<T>, location: &'static Location<'static>) -> Job
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Box::new(move || {
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
    })
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
    pub(crate) shared: Arc<WorkerShared>,
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
        dispatch(&start.shared)
    });
    // Step 4: unwinds every task still alive; their guards store the rest.
    drop(executor);
}

/// Waits until the worker's load is zero: the dispatcher's closing phase
/// (the waker is left first, then the count read; see `leave`).
fn poll_drained(shared: &WorkerShared, cx: &mut Context<'_>) -> Poll<()> {
    shared.inbox.register(cx);
    if shared.load() == 0 {
        Poll::Ready(())
    } else {
        Poll::Pending
    }
}

/// The dispatcher task: starts jobs until closing, then waits (until the
/// deadline) for this worker's tasks to end.
fn dispatch(shared: &WorkerShared) {
    let deadline = loop {
        let batch = suspend_on(
            pin!(poll_fn(|cx| shared.inbox.poll_take(cx))),
            "runtime inbox",
        );
        match batch {
            Ok(Batch::Jobs(jobs)) => {
                for job in jobs {
                    // A job only spawns; a panic there (a closure's drop,
                    // say) must not take the worker down.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                        eprintln!("corun: a runtime job panicked while its task was being started");
                    }
                }
            }
            Ok(Batch::Closing(deadline)) => break deadline,
            Err(_unwinding) => return,
        }
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if shared.load() == 0 || left.is_zero() {
            return;
        }
        let mut idle = pin!(poll_fn(|cx| poll_drained(shared, cx)));
        match crate::executor::timeout(left, || suspend_on(idle.as_mut(), "runtime shutdown")) {
            Ok(Ok(())) => {}
            // The deadline passed, or the dispatcher is being torn down.
            Err(_) | Ok(Err(_)) => return,
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
