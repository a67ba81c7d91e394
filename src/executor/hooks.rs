//! What the cross-thread layers above (the runtime, `sync::mpsc`) need from
//! the executor, in one place: whether the caller can suspend, a wait on a
//! `Future` that reports an unwinding task instead of panicking, a spawn
//! that keeps the user's call site, and the turn clock of stall warnings.

use super::context::{suspend_current, try_current_core};
use super::task::TaskKind;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Whether the caller runs in a stackful task (or a generator inside one),
/// so that a wait may suspend it instead of blocking the thread. A future
/// task (`spawn_future`) has no stack to suspend: there the answer is no.
pub(crate) fn can_suspend() -> bool {
    try_current_core()
        .and_then(|core| core.current_task())
        .is_some_and(|task| task.header().kind != TaskKind::Future)
}

/// Whether the caller runs in a future task (`spawn_future`): it has no
/// stack to suspend, and blocking its thread instead would stall every
/// other task of the executor, the one that would answer included.
pub(crate) fn in_future_task() -> bool {
    try_current_core()
        .and_then(|core| core.current_task())
        .is_some_and(|task| task.header().kind == TaskKind::Future)
}

/// The id of the task running on this thread, if any (unique within its
/// executor).
pub(crate) fn current_task_id() -> Option<u64> {
    try_current_core()
        .and_then(|core| core.current_task())
        .map(|task| task.header().id.0)
}

/// Who is running here: the thread, and the task if any (its executor's
/// address and its id, so that tasks of two executors on one thread
/// differ). For a lock that must know whether its holder calls again.
pub(crate) fn current_caller() -> (std::thread::ThreadId, Option<(usize, u64)>) {
    let task = try_current_core().and_then(|core| {
        let id = core.current_task()?.header().id.0;
        Some((std::rc::Rc::as_ptr(&core) as usize, id))
    });
    (std::thread::current().id(), task)
}

/// The running task is unwinding (cancelled, or its executor is being
/// dropped): it cannot wait any more.
#[derive(Debug)]
pub(crate) struct Unwinding;

/// How many times a cross-thread wait yields (letting every other ready
/// task run) and polls again before it suspends: the other thread's answer
/// often comes within a microsecond or two, and a suspension is paid for
/// with a cross-thread wake-up (a system call and tens of µs on this VM)
/// when the worker has gone to sleep meanwhile.
const YIELDS_BEFORE_SUSPENDING: u32 = 64;

/// Polls `future` in the current stackful task, suspending the task between
/// polls, as `await_` does; `Err(Unwinding)` when the task would have to wait
/// while unwinding. Call only where [`can_suspend`] said yes.
pub(crate) fn suspend_on<F: Future>(
    mut future: Pin<&mut F>,
    reason: &'static str,
) -> Result<F::Output, Unwinding> {
    let core = super::context::current_core("corun (a cross-thread wait)");
    let task = super::context::current_task("corun (a cross-thread wait)");
    let waker = core.waker_for(task.header());
    let mut cx = Context::from_waker(&waker);
    let mut yields = YIELDS_BEFORE_SUSPENDING;
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return Ok(value);
        }
        if yields > 0 {
            yields -= 1;
            // Returns at once while unwinding; the next park says so.
            super::yield_now();
            continue;
        }
        if suspend_current(reason).is_err() {
            return Err(Unwinding);
        }
    }
}

/// Spawns `body` on the running executor, recording `location` (the
/// runtime user's call site) as where it was spawned.
pub(crate) fn spawn_at<F, T>(
    body: F,
    location: &'static std::panic::Location<'static>,
) -> super::JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    super::spawn::spawn_on(
        &super::context::current_core("corun runtime"),
        body,
        location,
    )
}

/// Makes the running executor report its turns to `clock` (stall
/// warnings); called by a runtime worker's first task.
pub(crate) fn install_turn_clock(clock: crate::loom::Arc<super::turn_clock::TurnClock>) {
    if let Some(core) = try_current_core() {
        let _ = core.turn_clock.set(clock);
    }
}

/// Tasks ready to run on the running executor besides the caller: a
/// runtime worker starts a new job only when this is low, so that
/// unstarted jobs stay where an idle worker may take them.
pub(crate) fn ready_tasks() -> usize {
    try_current_core().map_or(0, |core| core.queue.len())
}

/// Live tasks on the running executor besides the caller (unstarted,
/// ready or suspended): a closing runtime worker lets these finish too,
/// the local tasks its runtime tasks spawned, before the deadline.
pub(crate) fn other_live_tasks() -> usize {
    try_current_core().map_or(0, |core| core.live_tasks().saturating_sub(1))
}
