//! `Pool`: Python's `multiprocessing.Pool` on the runtime's workers,
//! without processes and without pickling: `map`, `imap`, `apply_async`,
//! `close`/`join`/`terminate`.
//!
//! Files: `map` (ordered, chunked maps), `chunks` (how a map cuts its
//! items), `assembly` (how its results are put back together), `imap` (lazy iterators),
//! `async_result`, `tracker` (outstanding jobs, for `join` and
//! `terminate`).

mod assembly;
mod async_result;
mod chunks;
mod imap;
mod imap_chunked;
mod map;
mod tracker;

pub use async_result::{AsyncResult, GetTimeoutError};
pub use imap::{Imap, ImapUnordered};
pub use imap_chunked::{Chunks, ImapChunked};

use super::{BuildError, JoinHandle, Runtime, RuntimeBuilder, Shared};
use crate::loom::{Arc, AtomicBool, Ordering};
use crate::sync::wait_here;
use std::fmt;
use std::future::poll_fn;
use std::panic::Location;
use tracker::{JobGuard, Tracker};

/// Why a job submitted after `terminate` never ran.
const TERMINATED: &str = "the pool was terminated: the job was never started";

/// A pool of workers for CPU-bound jobs: `multiprocessing.Pool`'s shape.
///
/// `Send + Sync` (share it in an `Arc`). Every method works from a plain
/// thread, which blocks, and from a corun task, where only that task
/// suspends, including a task on one of the pool's own workers.
///
/// ```
/// let pool = corun::Pool::new(2)?;
/// let squares: Vec<u64> = pool.map(0..10u64, |x| x * x);
/// assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
/// let ar = pool.apply_async(|| "done");
/// assert_eq!(ar.get()?, "done");
/// pool.close();
/// pool.join();
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
///
/// A job's panic is its own error in [`AsyncResult::get`] and
/// [`try_map`](Pool::try_map), is re-raised by [`map`](Pool::map) after the
/// other jobs finished, and by [`imap`](Pool::imap) when the iteration
/// reaches that result (as Python's: the jobs in flight go on); the pool
/// keeps working either way.
///
/// **Dropping a pool** made by [`Pool::new`] or [`Pool::builder`] ends it
/// as Python's `with Pool() as p:` does (`terminate`): jobs not yet
/// started never run, and running ones are cancelled at their next wait.
/// To let every submitted job finish first, as `concurrent.futures`'
/// `with` block does, call [`close`](Pool::close) and [`join`](Pool::join)
/// before it goes. A pool from [`Runtime::pool`](crate::Runtime::pool)
/// shares its runtime's workers and ends with the runtime.
pub struct Pool {
    /// The runtime this pool made itself (`Pool::new`), if any.
    owned: Option<Runtime>,
    shared: Arc<Shared>,
    tracker: Arc<Tracker>,
    closed: AtomicBool,
}

/// Configures a [`Pool`]: its workers and an initializer run on each.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let started = Arc::new(AtomicUsize::new(0));
/// let s = started.clone();
/// let pool = corun::Pool::builder()
///     .workers(2)
///     .initializer(move |_worker| {
///         s.fetch_add(1, Ordering::SeqCst);
///     })
///     .build()?;
/// assert_eq!(started.load(Ordering::SeqCst), 2); // before any job
/// assert_eq!(pool.map(1..=3, |x: i32| -x), [-1, -2, -3]);
/// # Ok::<(), corun::runtime::BuildError>(())
/// ```
pub struct PoolBuilder {
    runtime: RuntimeBuilder,
    initializer: Option<Box<dyn Fn(usize) + Send + Sync>>,
}

impl PoolBuilder {
    /// The number of workers (default: the available cores).
    pub fn workers(mut self, n: usize) -> Self {
        self.runtime = self.runtime.workers(n);
        self
    }

    /// Whether to pin each worker to a core (default `true`, as for
    /// [`Runtime`]). `false` leaves them to the OS scheduler, which may
    /// move a worker off a core another process keeps busy.
    pub fn pin_cores(mut self, pin: bool) -> Self {
        self.runtime = self.runtime.pin_cores(pin);
        self
    }

    /// The stack size of each job's task.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.runtime = self.runtime.stack_size(bytes);
        self
    }

    /// Pins worker `i` to core `cores[i % cores.len()]`: see
    /// [`RuntimeBuilder::pin_to`] (a refused core leaves its worker
    /// running unpinned, said on stderr).
    pub fn pin_to(mut self, cores: impl IntoIterator<Item = usize>) -> Self {
        self.runtime = self.runtime.pin_to(cores);
        self
    }

    /// How long each worker polls before its thread sleeps: see
    /// [`RuntimeBuilder::spin_before_park`].
    pub fn spin_before_park(mut self, spin: std::time::Duration) -> Self {
        self.runtime = self.runtime.spin_before_park(spin);
        self
    }

    /// Reports every job that holds its worker longer than `threshold`
    /// without waiting: see [`RuntimeBuilder::stall_warning`]. A job that
    /// never waits holds its worker for its whole run, so this names the
    /// jobs that take longer than `threshold`:
    ///
    /// ```
    /// use std::sync::{mpsc, Mutex};
    /// use std::time::{Duration, Instant};
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let tx = Mutex::new(tx);
    /// let pool = corun::Pool::builder()
    ///     .workers(1)
    ///     .stall_warning(Duration::from_millis(20))
    ///     .on_stall(move |report| tx.lock().unwrap().send(report.worker).unwrap())
    ///     .build()?;
    /// let slow = pool.apply_async(|| {
    ///     let start = Instant::now();
    ///     while start.elapsed() < Duration::from_millis(200) {} // never waits
    /// });
    /// assert_eq!(rx.recv().unwrap(), 0); // the worker it held
    /// slow.get()?;
    /// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    /// ```
    pub fn stall_warning(mut self, threshold: std::time::Duration) -> Self {
        self.runtime = self.runtime.stall_warning(threshold);
        self
    }

    /// Where [`stall_warning`](PoolBuilder::stall_warning) reports go: see
    /// [`RuntimeBuilder::on_stall`].
    pub fn on_stall(
        mut self,
        report: impl Fn(&super::StallReport) + Send + Sync + 'static,
    ) -> Self {
        self.runtime = self.runtime.on_stall(report);
        self
    }

    /// Runs `init(worker)` once on every worker, before any job: Python's
    /// `Pool(initializer=...)`, for per-worker state in thread-locals.
    pub fn initializer(mut self, init: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.initializer = Some(Box::new(init));
        self
    }

    /// Starts the workers and runs the initializer on each.
    ///
    /// # Errors
    ///
    /// As [`RuntimeBuilder::build`]: zero workers, or the OS refused.
    ///
    /// # Panics
    ///
    /// A panic of the initializer is re-raised here.
    pub fn build(self) -> Result<Pool, BuildError> {
        let runtime = self.runtime.build()?;
        if let Some(init) = self.initializer {
            runtime.run_on_all(init);
        }
        Ok(Pool::with(Some(runtime), None))
    }
}

/// A pool builder with every setting of a runtime builder (placement
/// included), for what [`PoolBuilder`] does not forward itself.
///
/// ```
/// use corun::runtime::Placement;
///
/// let settings = corun::Runtime::builder().workers(2).placement(Placement::RoundRobin);
/// let pool = corun::runtime::PoolBuilder::from(settings).build()?;
/// assert_eq!(pool.workers(), 2);
/// # Ok::<(), corun::runtime::BuildError>(())
/// ```
impl From<RuntimeBuilder> for PoolBuilder {
    fn from(runtime: RuntimeBuilder) -> Self {
        PoolBuilder {
            runtime,
            initializer: None,
        }
    }
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("runtime", &self.runtime)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}

impl Runtime {
    /// A pool whose jobs run on this runtime's workers. The runtime stays
    /// the owner of its threads: once it is dropped, the pool's jobs are
    /// refused (their results say so).
    pub fn pool(&self) -> Pool {
        Pool::with(None, Some(self.shared.clone()))
    }
}

/// A job's closure and its share of the job's count. A struct, not two
/// captures of one closure, so that the order is sure: a job dropped unrun
/// drops its closure (and what it captured) first, and only then leaves
/// the count, so `Pool::join` never returns while a closure lives.
struct HeldJob<F> {
    job: F,
    _guard: Arc<JobGuard>,
}

impl Pool {
    /// A pool of `workers` workers, each pinned to a core (see
    /// [`PoolBuilder::pin_cores`]).
    ///
    /// # Errors
    ///
    /// [`BuildError::NoWorkers`] for zero; [`BuildError::Io`] if the OS
    /// refused a thread.
    pub fn new(workers: usize) -> Result<Pool, BuildError> {
        Pool::builder().workers(workers).build()
    }

    /// A builder, for an initializer and the runtime's settings.
    pub fn builder() -> PoolBuilder {
        PoolBuilder::from(Runtime::builder())
    }

    fn with(owned: Option<Runtime>, shared: Option<Arc<Shared>>) -> Pool {
        let shared = match (&owned, shared) {
            (Some(runtime), _) => runtime.shared.clone(),
            (None, Some(shared)) => shared,
            (None, None) => unreachable!("a pool has a runtime"),
        };
        Pool {
            owned,
            shared,
            tracker: Arc::new(Tracker::default()),
            closed: AtomicBool::new(false),
        }
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.shared.workers()
    }

    #[track_caller]
    fn check_open(&self, what: &str) {
        assert!(
            !self.is_closed(),
            "{what} called after Pool::close (or terminate): a closed pool takes no new jobs; \
             submit before closing, or make a new Pool"
        );
    }

    /// The pool's waiting calls have no async form: in a future task, which
    /// cannot suspend, they would block the worker's thread (and perhaps
    /// the very jobs they wait for), so they refuse at once.
    #[track_caller]
    fn check_can_wait(&self, what: &str) {
        if crate::executor::hooks::in_future_task() {
            panic!(
                "{what} called from a future task (spawn_future), which has no stack to \
                 suspend: the pool's waiting calls have no async form; call it from a \
                 stackful task (corun::spawn, Runtime::spawn) or a plain thread, or use \
                 apply_async and AsyncResult::get_async"
            );
        }
    }

    /// Spawns one job on the worker the runtime's placement picks
    /// (least-loaded by default), counted by the tracker.
    pub(crate) fn submit<F, T>(&self, job: F, location: &'static Location<'static>) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let worker = self.shared.pick_worker();
        let Some(guard) = Tracker::enter(&self.tracker) else {
            // Terminated: a map or imap under way submits no more.
            drop(job);
            return JoinHandle::never_started(TERMINATED, worker);
        };
        let id = guard.id();
        // The job leaves the count once both its outcome is stored (so
        // `join` finds every result there) and its closure is gone (run, or
        // dropped unrun after a cancel), whichever comes last.
        let guard = Arc::new(guard);
        let held = HeldJob {
            job,
            _guard: guard.clone(),
        };
        let job = move || {
            let HeldJob { job, _guard } = held;
            job()
        };
        let handle = self.shared.spawn_to(worker, job, location, true);
        let completion = handle.completion().clone();
        completion.then_after(move || drop(guard));
        self.tracker.file(
            id,
            tracker::Canceller {
                cancel: std::sync::Arc::new({
                    let completion = completion.clone();
                    move || completion.request_cancel()
                }),
                runs_the_caller: std::sync::Arc::new(move || completion.runs_the_caller()),
            },
        );
        handle
    }

    /// Runs `job` on a worker; its result comes back through the
    /// [`AsyncResult`]. Python's `apply_async`.
    ///
    /// # Panics
    ///
    /// After [`close`](Pool::close) or [`terminate`](Pool::terminate).
    #[track_caller]
    pub fn apply_async<F, T>(&self, job: F) -> AsyncResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.check_open("Pool::apply_async");
        let handle = self.submit(job, Location::caller());
        AsyncResult::new(handle.completion().clone())
    }

    /// Runs `job` on a worker and waits for its value: Python's `apply`.
    ///
    /// # Panics
    ///
    /// After `close`; a panic of the job is re-raised here.
    #[track_caller]
    pub fn apply<F, T>(&self, job: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.check_open("Pool::apply");
        self.check_can_wait("Pool::apply");
        if super::in_unwinding_task() {
            return job();
        }
        super::unwrap_outcome(self.submit(job, Location::caller()).join(), "Pool::apply")
    }

    /// Takes no new jobs from now on; those submitted still run. Python's
    /// `close`. A `map` or `imap` called before goes on to its end, as in
    /// Python, where it is one submission; [`join`](Pool::join) waits for
    /// the jobs submitted by the time it is called.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether [`close`](Pool::close) or [`terminate`](Pool::terminate)
    /// was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Waits until every job submitted has ended. Python's `join`: call
    /// [`close`](Pool::close) first.
    ///
    /// # Panics
    ///
    /// If the pool was not closed, and if called from one of the pool's
    /// own jobs (it would wait for itself).
    #[track_caller]
    pub fn join(&self) {
        self.check_can_wait("Pool::join");
        assert!(
            self.is_closed(),
            "Pool::join called before Pool::close: close the pool first, as Python's \
             Pool.join requires (otherwise new jobs could keep it waiting forever)"
        );
        assert!(
            !self.tracker.runs_the_caller(),
            "Pool::join called from one of the pool's own jobs: it would wait for itself \
             forever; join from the code that submitted the jobs"
        );
        let _ = wait_here::wait(poll_fn(|cx| self.tracker.poll_idle(cx)), "Pool::join");
    }

    /// Closes the pool and cancels every job not yet ended: unstarted ones
    /// never run, started ones unwind at their next wait. A `map` under
    /// way submits no more jobs: the rest of its items come back cancelled
    /// (`map` re-raises that, `try_map` returns it per item). An `imap`
    /// under way takes no more items from its source: the jobs it had in
    /// flight come back (a result that was ready as it is, the others
    /// cancelled), then it ends. Python's `terminate` (which can only kill
    /// whole processes).
    pub fn terminate(&self) {
        self.close();
        self.tracker.cancel_all();
    }

    /// Jobs submitted and not yet ended.
    pub fn outstanding(&self) -> usize {
        self.tracker.outstanding()
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers())
            .field("closed", &self.is_closed())
            .field("outstanding", &self.outstanding())
            .field("owns_runtime", &self.owned.is_some())
            .finish()
    }
}

/// Auto traits that must hold, checked at compile time.
#[allow(dead_code)]
fn _auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Pool>();
    send_sync::<AsyncResult<u8>>();
    send_sync::<GetTimeoutError>();
}
