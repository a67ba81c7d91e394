//! How a caller waits on a [`WaitQueue`]: as the running stackful task,
//! suspended between polls (`block`), or as a future's waker. The sync
//! primitives are built on these.

use super::context::{current_task_unless_unwinding, suspend_current, try_current_core};
use super::task::TaskRef;
use super::wait_queue::{WaitQueue, Waiter};
use std::task::{Poll, Waker};

/// The waiter to register for the caller: the future's waker if polled as a
/// future, else the running stackful task (panicking outside one, with a
/// message naming `what`).
pub(crate) fn waiter_for(waker: Option<&Waker>, what: &str) -> Waiter {
    match waker {
        Some(waker) => match own_task(waker) {
            // The poller is a task of this executor waiting with its own
            // waker: keep the task, not a clone of its waker, so that the
            // deadlock detector does not count this wait queue's entry as
            // a waker held outside the executor.
            Some(task) => Waiter::Task(task),
            None => Waiter::Waker(waker.clone()),
        },
        None => match current_task_unless_unwinding(what) {
            Some(task) => Waiter::Task(task),
            // An unwinding generator outside every task: the suspension
            // that follows fails (it cannot wait), and the entry goes.
            None => Waiter::Waker(futures::task::noop_waker()),
        },
    }
}

/// Registers the caller on `queue` (see [`waiter_for`]), or keeps its
/// registration `key` if it still waits.
/// The running task of this thread's executor, if `waker` is its own.
fn own_task(waker: &Waker) -> Option<TaskRef> {
    let task = try_current_core()?.current_task()?;
    task.header().is_own_waker(waker).then_some(task)
}

pub(crate) fn register_caller(
    queue: &WaitQueue,
    key: &mut Option<u64>,
    waker: Option<&Waker>,
    what: &str,
) {
    queue.register_or_refresh(key, waker, || waiter_for(waker, what));
}

/// The task could not wait: it is unwinding (cancelled, timed out, closed,
/// or panicking), and a destructor asked to wait.
#[derive(Debug)]
pub(crate) struct Unwinding;

/// Drives `poll` to completion in the running stackful task, suspending it
/// between polls (`poll` gets no waker: it registers the task itself).
/// Shows `reason` in `Executor::tasks` while suspended.
///
/// # Panics
///
/// In a future task (`spawn_future`), which has no stack to suspend (the
/// message names `reason`).
pub(crate) fn block<T>(
    reason: &'static str,
    mut poll: impl FnMut() -> Poll<T>,
) -> Result<T, Unwinding> {
    loop {
        if let Poll::Ready(value) = poll() {
            return Ok(value);
        }
        if suspend_current(reason).is_err() {
            return Err(Unwinding);
        }
    }
}
