//! What the cross-thread layers above (the runtime, `sync::mpsc`) need from
//! the executor, in one place: whether the caller can suspend, a wait on a
//! `Future` that reports an unwinding task instead of panicking, a spawn
//! that keeps the user's call site, and the turn clock of stall warnings.

use super::context::{park, try_current_core};
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

/// The running task is unwinding (cancelled, or its executor is being
/// dropped): it cannot wait any more.
#[derive(Debug)]
pub(crate) struct Unwinding;

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
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return Ok(value);
        }
        if park(reason).is_err() {
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
    super::api::spawn_on(
        &super::context::current_core("corun runtime"),
        body,
        location,
    )
}

/// Makes `executor` report its turns to `clock` (stall warnings).
pub(crate) fn install_turn_clock(
    executor: &super::Executor,
    clock: crate::loom::Arc<super::turn_clock::TurnClock>,
) {
    let _ = executor.core.turn_clock.set(clock);
}
