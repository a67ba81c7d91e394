//! A task's wait for I/O readiness on a reactor record (`reactor.rs`),
//! and how `crate::io` finds the running executor's reactor. The rules are
//! the reactor's; this is rule 5: every wait is held by guards, so a task
//! cancelled, timed out or dropped while it waits leaves the record's
//! queue and its timer, and no stale wake reaches it.

use super::call_on_drop::CallOnDrop;
use super::context::{current_core, current_task, suspend_current, try_current_core};
use super::reactor::{Direction, Reactor, Source};
use super::time_control::now as clock_now;
use super::timer::TimerGuard;
use super::wait_queue::Waiter;
use std::time::Instant;

/// Runs `f` with the reactor of the executor running on this thread.
pub(crate) fn with_current<R>(f: impl FnOnce(&Reactor) -> R) -> Option<R> {
    try_current_core().map(|core| f(&core.reactor))
}

/// Notes that the running task (a future task polling an I/O future)
/// waits on `what`, for `tasks()` and deadlock reports, in place of its
/// future's type name.
pub(crate) fn note_waiting_on(what: &'static str) {
    if let Some(core) = try_current_core() {
        core.set_blocked_on(what);
    }
}

/// Whether a task (stackful or future) is running on this thread, so a wait
/// suspends it instead of blocking the thread.
pub(crate) fn in_task() -> bool {
    try_current_core().is_some_and(|core| core.current_task().is_some())
}

/// How a stackful task's wait for readiness ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// An event (or a local wake) came: try the operation again.
    Ready,
    /// The deadline passed first.
    TimedOut,
    /// The task is unwinding and cannot suspend.
    Unwinding,
}

/// Suspends the running stackful task until `dir` of `source` is woken or
/// `deadline` passes; `reason` shows in `Executor::tasks` (rule 5).
///
/// # Panics
///
/// Outside a task, or in a future task (no stack to suspend).
pub(crate) fn wait(
    source: &Source,
    dir: Direction,
    deadline: Option<Instant>,
    reason: &'static str,
) -> Waited {
    let core = current_core(reason);
    let task = current_task(reason);
    let queue = source.queue(dir);
    let key = queue.push(Waiter::Task(task.clone()), ());
    let _entry = CallOnDrop(|| queue.remove(key));
    let _counted = source.count_wait();
    let _timer = deadline.map(|d| TimerGuard {
        timers: &core.timers,
        key: core.timers.insert(d, Waiter::Task(task.clone())),
    });
    loop {
        if suspend_current(reason).is_err() {
            return Waited::Unwinding;
        }
        if !queue.contains(key) {
            return Waited::Ready;
        }
        if deadline.is_some_and(|d| clock_now() >= d) {
            return Waited::TimedOut;
        }
    }
}
