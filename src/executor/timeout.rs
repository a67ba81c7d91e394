//! `timeout`: run a closure in the current task for at most a while
//! (Python's `asyncio.wait_for`), and its error, `Elapsed`.

use super::context::{current_core, current_task};
use super::suspend::suspend_as;
use super::task_body::{run_body, TaskGenerator, TaskStep};
use super::time_control::now as clock_now;
use super::timer::TimerGuard;
use super::wait_queue::Waiter;
use std::fmt;
use std::time::{Duration, Instant};

/// The error of [`timeout`]: the deadline passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl Elapsed {
    pub(crate) fn new() -> Self {
        Elapsed(())
    }
}

impl From<Elapsed> for std::io::Error {
    /// `ErrorKind::TimedOut`, as tokio's: so `corun::timeout(d, || s.read(..))??`
    /// works in a function that returns `io::Result`.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::time::Duration;
    ///
    /// fn read_soon(s: &corun::net::TcpStream) -> std::io::Result<usize> {
    ///     let mut buf = [0; 16];
    ///     corun::timeout(Duration::from_millis(10), || (&*s).read(&mut buf))?
    /// }
    ///
    /// let ex = corun::Executor::new();
    /// let kind = ex.block_on(|| {
    ///     let listener = corun::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let s = corun::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     read_soon(&s).unwrap_err().kind() // the peer never writes
    /// });
    /// assert_eq!(kind, std::io::ErrorKind::TimedOut);
    /// ```
    fn from(elapsed: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed)
    }
}

/// Runs `body` in the current task, but for at most `duration`: if the time
/// runs out while `body` waits, `body` unwinds from where it waits (its
/// destructors run) and `Err(Elapsed)` is returned. Python's
/// `asyncio.wait_for`. `body` may borrow the caller's locals; timeouts nest.
///
/// # Panics
///
/// Outside a task. A panic in `body` propagates.
///
/// ```
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let mut steps = 0;
/// let r = ex.block_on(|| {
///     corun::timeout(Duration::from_millis(20), || loop {
///         steps += 1;
///         corun::sleep(Duration::from_millis(1));
///     })
/// });
/// assert!(r.is_err());
/// assert!(steps > 1);
/// ```
pub fn timeout<T>(duration: Duration, body: impl FnOnce() -> T) -> Result<T, Elapsed> {
    // A duration too long for the clock is no deadline at all.
    run_until(clock_now().checked_add(duration), "corun::timeout", body)
}

/// [`timeout`] with a deadline instead of a duration (tokio's
/// `timeout_at`): several steps can share one deadline. A deadline that
/// has passed still lets `body` run until its first wait.
///
/// # Panics
///
/// Outside a task. A panic in `body` propagates.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let ex = corun::Executor::new();
/// let deadline = Instant::now() + Duration::from_millis(5);
/// let steps = ex.block_on(|| {
///     let mut steps = 0;
///     while corun::time::timeout_at(deadline, || corun::sleep(Duration::from_millis(1))).is_ok() {
///         steps += 1;
///     }
///     steps
/// });
/// assert!(steps < 5); // every step had what was left of the same deadline
/// ```
pub fn timeout_at<T>(deadline: Instant, body: impl FnOnce() -> T) -> Result<T, Elapsed> {
    run_until(Some(deadline), "corun::time::timeout_at", body)
}

fn run_until<T>(
    deadline: Option<Instant>,
    what: &'static str,
    body: impl FnOnce() -> T,
) -> Result<T, Elapsed> {
    let core = current_core(what);
    let task = current_task(what);
    let mut generator: TaskGenerator<'_, T> = core.stack.build(|_| body());
    let _entry = deadline.map(|d| TimerGuard {
        timers: &core.timers,
        key: core.timers.insert(d, Waiter::Task(task.clone())),
    });
    let expired = || deadline.is_some_and(|d| core.clock.now() >= d);
    loop {
        // A yield inside the body is passed on as a yield, so the task is
        // queued again rather than left waiting for a wake that never comes.
        let kind = match run_body(&mut generator) {
            TaskStep::Returned(value) => return Ok(value),
            TaskStep::Panicked(payload) => std::panic::resume_unwind(payload),
            TaskStep::Waiting(kind) => kind,
        };
        if expired() || suspend_as(what, kind).is_err() || expired() {
            generator.close();
            return Err(Elapsed(()));
        }
    }
}
