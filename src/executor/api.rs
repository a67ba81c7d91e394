//! The free functions a task calls: they find the running task themselves.

use super::context::{current_core, current_task};
use super::join::JoinHandle;
use super::kinds::{FutureTask, StackfulTask};
use super::task::{Header, TaskKind, TaskRef};
use super::timer::TimerGuard;
use super::wait::Waiter;
use crate::generator::{ParkError, TaskStep, WaitKind};
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::core::Core;

pub(crate) fn spawn_on<F, T>(
    core: &Rc<Core>,
    body: F,
    location: &'static Location<'static>,
) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let header = Header::new(
        core.next_id(),
        TaskKind::Stackful,
        location,
        core.queue.clone(),
    );
    let task = Rc::new(StackfulTask::new(header, body, core.stack.clone()));
    enqueue(core, task.clone());
    JoinHandle::new(task)
}

pub(crate) fn spawn_future_on<Fut>(
    core: &Rc<Core>,
    future: Fut,
    location: &'static Location<'static>,
) -> JoinHandle<Fut::Output>
where
    Fut: Future + 'static,
{
    let header = Header::new(
        core.next_id(),
        TaskKind::Future,
        location,
        core.queue.clone(),
    );
    let task = Rc::new(FutureTask::new(header, future, core));
    enqueue(core, task.clone());
    JoinHandle::new(task)
}

pub(crate) fn enqueue(core: &Core, task: TaskRef) {
    core.register(&task);
    let home = task.header().home.clone();
    home.push(task);
}

/// Spawns `body` as a task on the running executor; see
/// [`Executor::spawn`](crate::Executor::spawn).
///
/// # Panics
///
/// Outside a running executor.
///
/// ```
/// let ex = corun::Executor::new();
/// let total = ex.block_on(|| {
///     let a = corun::spawn(|| 1);
///     let b = corun::spawn(|| 2);
///     a.join().unwrap() + b.join().unwrap()
/// });
/// assert_eq!(total, 3);
/// ```
#[track_caller]
pub fn spawn<F, T>(body: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    spawn_on(&current_core("corun::spawn"), body, Location::caller())
}

/// Spawns a `Future` as a task with no stack of its own on the running
/// executor; see [`Executor::spawn_future`](crate::Executor::spawn_future).
#[track_caller]
pub fn spawn_future<Fut>(future: Fut) -> JoinHandle<Fut::Output>
where
    Fut: Future + 'static,
{
    spawn_future_on(
        &current_core("corun::spawn_future"),
        future,
        Location::caller(),
    )
}

/// Suspends the task until it is woken. `reason` shows in `tasks()`.
pub(crate) fn park_task(task: &TaskRef, reason: Option<&'static str>) -> Result<(), ParkError> {
    if let Some(reason) = reason {
        task.header().blocked_on.set(reason);
    }
    super::context::park_as(reason.unwrap_or("corun::timeout"), WaitKind::Blocked)
}

/// Lets every other ready task run once, then goes on: Python's
/// `await asyncio.sleep(0)`.
///
/// # Panics
///
/// Outside a task.
///
/// ```
/// let ex = corun::Executor::new();
/// let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// let o = order.clone();
/// ex.block_on(move || {
///     let o2 = o.clone();
///     let h = corun::spawn(move || o2.borrow_mut().push("spawned"));
///     o.borrow_mut().push("before yield");
///     corun::yield_now();
///     o.borrow_mut().push("after yield");
///     h.join().unwrap();
/// });
/// assert_eq!(*order.borrow(), ["before yield", "spawned", "after yield"]);
/// ```
pub fn yield_now() {
    // The scheduler queues a yielded task again itself: no lookup here.
    if let Err(ParkError::NotInCoroutine) = crate::generator::park_current(WaitKind::Yielded) {
        current_task("corun::yield_now");
        super::context::park_as("corun::yield_now", WaitKind::Yielded).ok();
    }
}

/// Suspends the task for `duration`; other tasks run meanwhile.
///
/// # Panics
///
/// Outside a task. While the task is unwinding (a destructor run by
/// cancellation or executor shutdown), it returns at once instead.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let ex = corun::Executor::new();
/// let start = Instant::now();
/// ex.block_on(|| corun::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) {
    match Instant::now().checked_add(duration) {
        Some(deadline) => sleep_until_named(deadline, "corun::sleep"),
        None => sleep_until_forever(),
    }
}

fn sleep_until_forever() {
    let task = current_task("corun::sleep");
    while park_task(&task, Some("sleep (forever)")).is_ok() {}
}

/// Suspends the task until `deadline`.
///
/// # Panics
///
/// Outside a task (see [`sleep`]).
pub fn sleep_until(deadline: Instant) {
    sleep_until_named(deadline, "corun::sleep_until");
}

fn sleep_until_named(deadline: Instant, what: &str) {
    let core = current_core(what);
    let task = current_task(what);
    while Instant::now() < deadline {
        let key = core.timers.insert(deadline, Waiter::Task(task.clone()));
        let _entry = TimerGuard {
            timers: &core.timers,
            key,
        };
        if park_task(&task, Some("sleep")).is_err() {
            return;
        }
    }
}

/// The error of [`timeout`]: the deadline passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

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
pub fn timeout<T>(duration: Duration, body: impl FnOnce() -> T) -> Result<T, super::Elapsed> {
    let core = current_core("corun::timeout");
    let task = current_task("corun::timeout");
    let deadline = Instant::now().checked_add(duration);
    let mut generator: super::kinds::TaskGenerator<'_, T> = core.stack.clone().build(|_| body());
    let _entry = deadline.map(|d| TimerGuard {
        timers: &core.timers,
        key: core.timers.insert(d, Waiter::Task(task.clone())),
    });
    let expired = || deadline.is_some_and(|d| Instant::now() >= d);
    loop {
        // A yield inside the body is passed on as a yield, so the task is
        // queued again rather than left waiting for a wake that never comes.
        let kind = match generator.run_task() {
            TaskStep::Returned(value) => return Ok(value),
            TaskStep::Panicked(payload) => std::panic::resume_unwind(payload),
            TaskStep::Parked(kind) => kind,
        };
        if expired() || super::context::park_as("corun::timeout", kind).is_err() || expired() {
            generator.close();
            return Err(Elapsed(()));
        }
    }
}

/// Waits for `future` to finish, suspending only this task, and returns its
/// output. Any `Future` works: from futures, tokio-free async libraries, or
/// corun's own `JoinHandle` and sync types.
///
/// # Panics
///
/// Outside a task, or while the task is unwinding (a future cannot be
/// waited for then).
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = futures::channel::oneshot::channel();
/// let v = ex.block_on(|| {
///     corun::spawn(move || tx.send(5).unwrap());
///     corun::await_(rx).unwrap()
/// });
/// assert_eq!(v, 5);
/// ```
pub fn await_<F: Future>(future: F) -> F::Output {
    let core = current_core("corun::await_");
    let task = current_task("corun::await_");
    let waker = core.waker_for(task.header());
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        if park_task(&task, Some("await_")).is_err() {
            panic!(
                "corun::await_ called while the task is unwinding: nothing can be waited for now"
            );
        }
    }
}

/// A clock that ticks every `period`; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    next: Instant,
    period: Duration,
}

/// A clock whose first tick is now and whose ticks come every `period`.
/// A tick that is late (the task was busy) fires at once, and the ticks it
/// made the task miss are skipped, so ticks never bunch up.
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let mut clock = corun::interval(Duration::from_millis(2));
///     let first = clock.tick();
///     let second = clock.tick();
///     assert!(second - first >= Duration::from_millis(2));
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "corun::interval: the period must not be zero"
    );
    Interval {
        next: Instant::now(),
        period,
    }
}

impl Interval {
    /// Waits for the next tick and returns when it was due.
    pub fn tick(&mut self) -> Instant {
        let due = self.next;
        sleep_until_named(due, "Interval::tick");
        let now = Instant::now();
        self.next = due + self.period;
        if self.next <= now {
            let behind = (now - self.next).as_nanos() / self.period.as_nanos() + 1;
            let skip = u32::try_from(behind).unwrap_or(u32::MAX);
            self.next += self.period.saturating_mul(skip);
        }
        due
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}

/// A `Future` that completes at a deadline: [`sleep`] for future tasks
/// (`spawn_future`) and async code run by corun.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    deadline: Instant,
    entry: Option<(Rc<Core>, super::timer::TimerKey)>,
}

/// A future that completes after `duration`; poll it on a corun executor.
///
/// ```
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let h = ex.spawn_future(async {
///     corun::sleep_future(Duration::from_millis(2)).await;
///     "slept"
/// });
/// assert_eq!(ex.block_on(|| h.join().unwrap()), "slept");
/// ```
pub fn sleep_future(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        entry: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((core, key)) = self.entry.take() {
            core.timers.remove(key);
        }
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let core = current_core("corun::Sleep::poll");
        let key = core
            .timers
            .insert(self.deadline, Waiter::Waker(cx.waker().clone()));
        self.entry = Some((core, key));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((core, key)) = self.entry.take() {
            core.timers.remove(key);
        }
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("tasks", &self.live_tasks())
            .finish()
    }
}
