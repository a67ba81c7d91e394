//! `RuntimeBuilder`: how many workers, pinned or not, their tasks' stack
//! size; and `BuildError`, why a runtime could not be made.

use super::placement::Placement;
use super::stall::{OnStall, StallReport};
use super::Runtime;
use std::fmt;
use std::time::Duration;

/// Configures a [`Runtime`].
///
/// ```
/// let rt = corun::Runtime::builder()
///     .workers(2)
///     .pin_cores(false)
///     .stack_size(64 * 1024)
///     .build()?;
/// assert_eq!(rt.workers(), 2);
/// # Ok::<(), corun::runtime::BuildError>(())
/// ```
#[derive(Clone)]
pub struct RuntimeBuilder {
    pub(crate) workers: Option<usize>,
    pub(crate) pin_cores: bool,
    /// The cores to pin to, if not one per available core.
    pub(crate) cores: Option<Vec<usize>>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) spin_before_park: Duration,
    pub(crate) stall_warning: Option<Duration>,
    pub(crate) on_stall: Option<OnStall>,
    pub(crate) placement: Placement,
    pub(crate) start_paused: bool,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder {
            workers: None,
            pin_cores: true,
            cores: None,
            stack_size: None,
            spin_before_park: Duration::ZERO,
            stall_warning: None,
            on_stall: None,
            placement: Placement::LeastLoaded,
            start_paused: false,
        }
    }
}

impl fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("workers", &self.workers)
            .field("pin_cores", &self.pin_cores)
            .field("cores", &self.cores)
            .field("stack_size", &self.stack_size)
            .field("spin_before_park", &self.spin_before_park)
            .field("stall_warning", &self.stall_warning)
            .field("on_stall", &self.on_stall.is_some())
            .field("placement", &self.placement)
            .field("start_paused", &self.start_paused)
            .finish()
    }
}

impl RuntimeBuilder {
    /// The number of worker threads (default: the available cores, as
    /// `std::thread::available_parallelism` counts them). Zero is an error
    /// from [`build`](RuntimeBuilder::build).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// Whether to pin worker `i` to core `i` (modulo the cores there are);
    /// default `true`. A worker the OS refuses to pin still runs, unpinned:
    /// [`Runtime::pinned_cores`] says which were pinned, and a line on
    /// stderr says which were refused.
    pub fn pin_cores(mut self, pin: bool) -> Self {
        self.pin_cores = pin;
        self
    }

    /// Pins worker `i` to core `cores[i % cores.len()]` (the OS's core
    /// numbers) instead of one per available core; implies
    /// `pin_cores(true)`. An empty list pins nothing. As with `pin_cores`,
    /// a worker whose core the OS refuses (one that does not exist, or is
    /// outside this process's CPU set) still runs, unpinned, and
    /// [`Runtime::pinned_cores`] says so:
    ///
    /// ```
    /// // Core 1023: one this machine does not have (refused, said on stderr).
    /// let rt = corun::Runtime::builder().workers(1).pin_to([1023]).build()?;
    /// assert_eq!(rt.pinned_cores(), [None]);
    /// assert_eq!(rt.spawn(|| 7).join()?, 7); // it runs all the same
    /// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    /// ```
    pub fn pin_to(mut self, cores: impl IntoIterator<Item = usize>) -> Self {
        self.pin_cores = true;
        self.cores = Some(cores.into_iter().collect());
        self
    }

    /// The usable stack size of each task, in bytes (default
    /// [`DEFAULT_STACK_SIZE`](crate::DEFAULT_STACK_SIZE)).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// How long each worker polls without sleeping before its thread
    /// sleeps in the OS (default zero): see
    /// [`ExecutorBuilder::spin_before_park`](crate::ExecutorBuilder::spin_before_park).
    /// Workers that own their cores and serve sockets or cross-core
    /// messages answer sooner, at the price of CPU time spent polling.
    pub fn spin_before_park(mut self, spin: Duration) -> Self {
        self.spin_before_park = spin;
        self
    }

    /// Starts every worker with its clock paused, for tests: see
    /// [`corun::time::pause`](crate::time::pause). Each worker's clock is
    /// its own, and jumps to that worker's next timer when none of its
    /// tasks is ready; a value one worker waits for from another still
    /// takes real time.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = corun::Runtime::builder().workers(2).start_paused(true).build()?;
    /// let slept = rt.run_on_all(|_| {
    ///     let start = corun::time::now();
    ///     corun::sleep(Duration::from_secs(24 * 3600)); // no real day passes
    ///     corun::time::now() - start
    /// });
    /// assert_eq!(slept, [Duration::from_secs(24 * 3600); 2]);
    /// # Ok::<(), corun::runtime::BuildError>(())
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.start_paused = paused;
        self
    }

    /// How `spawn` picks a worker (default [`Placement::LeastLoaded`]).
    pub fn placement(mut self, how: Placement) -> Self {
        self.placement = how;
        self
    }

    /// Reports every task that holds its worker longer than `threshold`
    /// without waiting (a CPU-bound loop starves the other tasks of its
    /// worker): its id, its worker and where it was spawned, once per such
    /// turn, on stderr unless [`on_stall`](RuntimeBuilder::on_stall) gives a
    /// callback. A monitor thread checks about four times per `threshold`;
    /// each task switch then costs two uncontended lock round trips more.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::{Duration, Instant};
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let tx = std::sync::Mutex::new(tx);
    /// let rt = corun::Runtime::builder()
    ///     .workers(1)
    ///     .stall_warning(Duration::from_millis(20))
    ///     .on_stall(move |report| tx.lock().unwrap().send(report.clone()).unwrap())
    ///     .build()?;
    /// let h = rt.spawn(|| {
    ///     let start = Instant::now();
    ///     while start.elapsed() < Duration::from_millis(200) {} // never waits
    /// });
    /// let report = rx.recv().unwrap();
    /// assert_eq!(report.worker, 0);
    /// assert!(report.held_for >= Duration::from_millis(20));
    /// h.join()?;
    /// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    /// ```
    pub fn stall_warning(mut self, threshold: Duration) -> Self {
        self.stall_warning = Some(threshold);
        self
    }

    /// Where [`stall_warning`](RuntimeBuilder::stall_warning) reports go
    /// (default: a line on stderr). Called on the monitor thread; a panic
    /// in it is caught there, and later stalls are still reported.
    pub fn on_stall(mut self, report: impl Fn(&StallReport) + Send + Sync + 'static) -> Self {
        self.on_stall = Some(std::sync::Arc::new(report));
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoWorkers`] for zero workers; [`BuildError::Io`] if a
    /// thread or an executor's event queue could not be made.
    pub fn build(self) -> Result<Runtime, BuildError> {
        Runtime::start(self)
    }
}

/// Why a [`Runtime`] or [`Pool`](crate::Pool) could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// Zero workers were asked for: a runtime needs at least one.
    NoWorkers,
    /// The OS refused a worker thread or its event queue.
    Io(std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoWorkers => f.write_str(
                "corun: a runtime or pool needs at least one worker: ask for n >= 1 \
                 (Pool::new(n), or workers(n) on a builder), or leave workers out of a \
                 builder for one per core",
            ),
            BuildError::Io(e) => write!(f, "corun: could not start a runtime worker: {e}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io(e) => Some(e),
            BuildError::NoWorkers => None,
        }
    }
}

impl From<std::io::Error> for BuildError {
    fn from(e: std::io::Error) -> Self {
        BuildError::Io(e)
    }
}

impl From<BuildError> for std::io::Error {
    /// The OS's error as it was, or `InvalidInput` for zero workers: so
    /// `Runtime::new()?` works in a function that returns `io::Result`, as
    /// tokio's does.
    ///
    /// ```
    /// fn start() -> std::io::Result<corun::Runtime> {
    ///     Ok(corun::Runtime::builder().workers(1).build()?)
    /// }
    /// assert!(start().is_ok());
    /// let zero = corun::Pool::builder().workers(0).build().map(drop);
    /// assert_eq!(std::io::Error::from(zero.unwrap_err()).kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::Io(e) => e,
            no_workers => std::io::Error::new(std::io::ErrorKind::InvalidInput, no_workers),
        }
    }
}
