//! Suspending the running task: the executor's side of a generator's wait
//! (`crate::generator::suspend_innermost`), with the panic a future task
//! gets, since it has no stack to suspend.

use super::task::TaskRef;
use crate::generator::{suspend_innermost, SuspendError, WaitKind};

/// Suspends `task`, the running one, until it is woken; `reason` shows in
/// `tasks()` meanwhile. `Err` means it could not wait (it is unwinding):
/// the caller should return at once.
///
/// # Panics
///
/// In a future task (`spawn_future`), naming `reason`.
#[inline(always)]
pub(crate) fn suspend_task(task: &TaskRef, reason: &'static str) -> Result<(), SuspendError> {
    task.header().blocked_on.set(reason);
    suspend_as(reason, WaitKind::Blocked)
}

/// Suspends the innermost coroutine for `kind`; `what` names the caller in
/// the panic a future task gets.
#[inline(always)]
pub(crate) fn suspend_as(what: &str, kind: WaitKind) -> Result<(), SuspendError> {
    match suspend_innermost(kind) {
        Err(SuspendError::NotInCoroutine) => in_future_task(what),
        other => other,
    }
}

#[cold]
fn in_future_task(what: &str) -> ! {
    panic!(
        "{what}: this blocking wait was called from a future task (spawn_future) or outside \
         any coroutine; a future task has no stack to suspend. In async code use the async \
         form: the same method with _async (recv_async, send_async, lock_async, \
         acquire_async, read_async, wait_async, changed_async, ...), sleep_future for \
         sleep, notified() for Notify, .await on a JoinHandle, yield_now_future, \
         Interval::tick_async, timeout_future for timeout; what has none (scope) belongs \
         in a stackful task (spawn)"
    )
}
