//! The per-core runtime: N worker threads, each (optionally) pinned to a
//! core and owning one [`Executor`](crate::Executor); `Send` closures travel
//! to a worker through its inbox and become tasks there, which never move
//! again, so thread-locals and `Rc` inside a task stay sound.
//!
//! ```
//! let rt = corun::Runtime::builder().workers(2).build()?;
//! let h = rt.spawn(|| {
//!     // A task: it may wait (sleep, channels, joins) without blocking
//!     // its worker, and hold `!Send` data across those waits.
//!     let local = std::rc::Rc::new(20);
//!     corun::sleep(std::time::Duration::from_millis(1));
//!     *local + 1
//! });
//! assert_eq!(h.join()?, 21);
//! let each: Vec<usize> = rt.run_on_all(|worker| worker * 10);
//! assert_eq!(each, [0, 10]);
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! Files, lowest first: `inbox` (the cross-thread job queue),
//! `completion` (cross-thread join state), `worker` (what a worker shares,
//! a task's life on it), `placement`, `dispatch` (the dispatcher task:
//! starting, taking unstarted jobs from busy workers, closing), `thread`
//! (the worker thread), `current` (which worker and task runs the caller:
//! `worker_index`), `stall` (stall warnings),
//! `join_handle`, `builder`, `shutdown` (starting and stopping the
//! threads), and `pool` on top.

mod builder;
mod completion;
mod current;
mod dispatch;
mod inbox;
mod join_handle;
mod join_set;
mod placement;
mod pool;
mod shutdown;
mod stall;
mod thread;
mod worker;

pub use builder::{BuildError, RuntimeBuilder};
pub use current::worker_index;
pub use join_handle::JoinHandle;
pub use join_set::JoinSet;
pub use placement::Placement;
pub use pool::{
    AsyncResult, Chunks, GetTimeoutError, Imap, ImapChunked, ImapUnordered, Pool, PoolBuilder,
};
pub use stall::StallReport;

use crate::executor::JoinError;
use crate::loom::{Arc, Condvar, Mutex};
use completion::Completion;
use placement::Placer;
use std::fmt;
use std::panic::Location;
use worker::{Finish, WorkerShared};

/// N worker threads, each owning one executor; see the [module
/// docs](crate::runtime).
///
/// Dropping the runtime cancels every task still alive (each unwinds, so
/// its destructors run) and joins the threads; [`shutdown_timeout`]
/// first lets them finish for a while.
///
/// [`shutdown_timeout`]: Runtime::shutdown_timeout
pub struct Runtime {
    pub(crate) shared: Arc<Shared>,
    threads: Mutex<shutdown::Threads>,
    /// Signalled once the threads are joined, for a second `shutdown_timeout`.
    threads_joined: Condvar,
    pinned: Vec<Option<usize>>,
    monitor: Mutex<Option<stall::Monitor>>,
}

/// What every handle that spawns on the runtime shares (the runtime, its
/// pools).
pub(crate) struct Shared {
    id: u64,
    workers: Vec<Arc<WorkerShared>>,
    placement: Placer,
}

/// A spawn refused because the runtime is shutting down; the closure is
/// handed back.
pub struct SpawnError<F>(pub F);

impl<F> SpawnError<F> {
    /// The closure that was not spawned.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpawnError(..)")
    }
}

impl<F> fmt::Display for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("corun: the runtime is shutting down and takes no new tasks")
    }
}

impl<F> std::error::Error for SpawnError<F> {}

const REFUSED: &str = "the runtime is shutting down: the task was never started";

impl Shared {
    pub(crate) fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Pushes `body` to `worker`, or hands it back when closing.
    pub(crate) fn try_spawn_to<F, T>(
        &self,
        worker: usize,
        body: F,
        location: &'static Location<'static>,
        stealable: bool,
    ) -> Result<JoinHandle<T>, F>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let target = &self.workers[worker];
        let completion = Arc::new(Completion::new());
        let finish = Finish::enter(completion.clone(), target.clone());
        let job = |(body, finish)| worker::job(body, finish, location, stealable);
        match target.inbox.push((body, finish), job) {
            Ok(()) => {
                if stealable {
                    dispatch::nudge_idle(&self.workers, worker);
                }
                Ok(JoinHandle::new(completion, worker))
            }
            Err((body, finish)) => {
                finish
                    .completion
                    .complete(Err(JoinError::cancelled_because(REFUSED)));
                Err(body)
            }
        }
    }

    /// Pushes `body` to `worker`; when closing, a handle whose join says so.
    pub(crate) fn spawn_to<F, T>(
        &self,
        worker: usize,
        body: F,
        location: &'static Location<'static>,
        stealable: bool,
    ) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.try_spawn_to(worker, body, location, stealable)
            .unwrap_or_else(|body| {
                drop(body);
                JoinHandle::never_started(REFUSED, worker)
            })
    }

    pub(crate) fn pick_worker(&self) -> usize {
        self.placement.pick(&self.workers)
    }

    #[track_caller]
    pub(crate) fn check_worker(&self, worker: usize, what: &str) {
        let n = self.workers.len();
        assert!(
            worker < n,
            "{what}: worker index {worker} is out of range: this runtime has {n} worker{} \
             (indices 0..{n})",
            if n == 1 { "" } else { "s" }
        );
    }
}

impl Runtime {
    /// A runtime with one worker per available core, each pinned to its
    /// core.
    ///
    /// # Errors
    ///
    /// If the OS refuses a thread or an event queue.
    pub fn new() -> Result<Runtime, BuildError> {
        Self::builder().build()
    }

    /// A builder for the number of workers, pinning, and stack size.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.shared.workers()
    }

    /// For each worker, the core it is pinned to, or `None` if it was not
    /// pinned (not asked for, or refused by the OS).
    pub fn pinned_cores(&self) -> &[Option<usize>] {
        &self.pinned
    }

    /// Live runtime tasks on each worker, counting those not started yet:
    /// what placement reads.
    pub fn loads(&self) -> Vec<usize> {
        self.shared.workers.iter().map(|w| w.load()).collect()
    }

    /// Spawns `body` as a task on the least-loaded worker (fewest live
    /// tasks; see [`Placement`] for round-robin). The closure is `Send`; the task it becomes never leaves its
    /// worker, so it may hold `!Send` data across its waits.
    ///
    /// On a runtime that is shutting down the task never starts and its
    /// `join` says so ([`JoinError::is_cancelled`]);
    /// [`try_spawn`](Runtime::try_spawn) hands the closure back instead.
    ///
    /// ```
    /// let rt = corun::Runtime::builder().workers(2).build()?;
    /// let handles: Vec<_> = (0..4u64).map(|i| rt.spawn(move || i * i)).collect();
    /// let squares: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    /// assert_eq!(squares, [0, 1, 4, 9]);
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    pub fn spawn<F, T>(&self, body: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.shared
            .spawn_to(self.shared.pick_worker(), body, Location::caller(), true)
    }

    /// Spawns `body` as a task on worker `worker`, where it stays.
    ///
    /// # Panics
    ///
    /// If `worker` is not below [`workers`](Runtime::workers); the message
    /// names the number of workers.
    #[track_caller]
    pub fn spawn_on<F, T>(&self, worker: usize, body: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.shared.check_worker(worker, "Runtime::spawn_on");
        self.shared
            .spawn_to(worker, body, Location::caller(), false)
    }

    /// [`spawn`](Runtime::spawn), or the closure back in [`SpawnError`]
    /// when the runtime is shutting down.
    #[track_caller]
    pub fn try_spawn<F, T>(&self, body: F) -> Result<JoinHandle<T>, SpawnError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.shared
            .try_spawn_to(self.shared.pick_worker(), body, Location::caller(), true)
            .map_err(SpawnError)
    }

    /// [`spawn_on`](Runtime::spawn_on), or the closure back in
    /// [`SpawnError`] when the runtime is shutting down.
    ///
    /// # Panics
    ///
    /// If `worker` is out of range, as `spawn_on`.
    #[track_caller]
    pub fn try_spawn_on<F, T>(&self, worker: usize, body: F) -> Result<JoinHandle<T>, SpawnError<F>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.shared.check_worker(worker, "Runtime::try_spawn_on");
        self.shared
            .try_spawn_to(worker, body, Location::caller(), false)
            .map_err(SpawnError)
    }

    /// Runs `body` as a task on a worker and waits for its value: the
    /// calling thread blocks (a calling task suspends). Called from a task
    /// that is unwinding (a destructor run by a cancel or a panic), which
    /// cannot suspend, `body` runs right there, on the calling thread.
    ///
    /// # Panics
    ///
    /// A panic in `body` is re-raised here. If the task is cancelled (the
    /// runtime shut down first), this panics saying so.
    ///
    /// ```
    /// let rt = corun::Runtime::builder().workers(1).build()?;
    /// let v = rt.block_on(|| {
    ///     let h = corun::spawn(|| 2); // a local task, on the same worker
    ///     h.join().unwrap() * 21
    /// });
    /// assert_eq!(v, 42);
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    #[track_caller]
    pub fn block_on<F, T>(&self, body: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if in_unwinding_task() {
            return body();
        }
        unwrap_outcome(self.spawn(body).join(), "Runtime::block_on")
    }

    /// Runs `body(worker)` as a task on every worker and returns the
    /// results in worker order; blocks (or suspends a calling task) until
    /// all are done.
    ///
    /// # Panics
    ///
    /// After every task ended, re-raises the first (in worker order) panic.
    #[track_caller]
    pub fn run_on_all<F, T>(&self, body: F) -> Vec<T>
    where
        F: Fn(usize) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        let body = std::sync::Arc::new(body);
        let location = Location::caller();
        let handles: Vec<_> = (0..self.workers())
            .map(|i| {
                let body = body.clone();
                self.shared.spawn_to(i, move || body(i), location, false)
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(JoinHandle::join).collect();
        outcomes
            .into_iter()
            .map(|o| unwrap_outcome(o, "Runtime::run_on_all"))
            .collect()
    }
}

/// Whether the caller is a task (or a generator) that is unwinding: a
/// destructor run by a cancel, a timeout or a panic. It cannot suspend,
/// and a refusal (a panic) there would abort the process, so the blocking
/// calls that return a value (`block_on`, the pool's `map` and `apply`)
/// run their closures right there instead, on the calling thread.
pub(crate) fn in_unwinding_task() -> bool {
    crate::generator::innermost_is_unwinding()
}

/// The value of a task the caller waited for, or its panic re-raised.
#[track_caller]
pub(crate) fn unwrap_outcome<T>(outcome: Result<T, JoinError>, what: &str) -> T {
    match outcome {
        Ok(value) => value,
        Err(e) => match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => panic!("{what}: the task produced no value: {e}"),
        },
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers())
            .field("loads", &self.loads())
            .finish()
    }
}

/// Auto traits that must hold, checked at compile time.
#[allow(dead_code)]
fn _auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Runtime>();
    send::<JoinHandle<u8>>();
    send_sync::<JoinHandle<u8>>();
    send_sync::<BuildError>();
}
