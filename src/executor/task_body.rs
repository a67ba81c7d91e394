//! A task's body as a generator, and the step that runs it: the one place
//! the executor turns what a generator step produced into what the
//! scheduler does next.

use super::task::{Header, Ran};
use crate::generator::{Generator, Payload, PooledGenerator, Step, TaskClose, WaitKind};
use std::convert::Infallible;

/// A task body as a generator that never yields values.
pub(crate) type TaskGenerator<'a, T> = Generator<'a, Infallible, (), T>;

/// A waiting task's body, kept in its cell between turns.
pub(crate) type WaitingBody<T> = PooledGenerator<'static, Infallible, (), T>;

/// What one run of a task body produced.
pub(crate) enum TaskStep<R> {
    /// The body waits; run it again when it is woken (or at once, for
    /// [`WaitKind::Yielded`]).
    Waiting(WaitKind),
    Returned(R),
    Panicked(Payload),
}

impl<R> TaskStep<R> {
    /// How the step ended, for the scheduler.
    #[inline(always)]
    pub(crate) fn ran(&self) -> Ran {
        match self {
            TaskStep::Waiting(WaitKind::Blocked) => Ran::Waiting,
            TaskStep::Waiting(WaitKind::Yielded) => Ran::Yielded,
            TaskStep::Returned(_) | TaskStep::Panicked(_) => Ran::Done,
        }
    }
}

/// How a turn that ended in a wait went, for the scheduler.
#[inline(always)]
pub(crate) fn waited(kind: WaitKind) -> Ran {
    match kind {
        WaitKind::Blocked => Ran::Waiting,
        WaitKind::Yielded => Ran::Yielded,
    }
}

/// Starts a task's body, or wakes it after a wait, and runs it until it
/// waits again or ends.
#[inline(always)]
pub(crate) fn run_body<T>(body: &mut TaskGenerator<'_, T>) -> TaskStep<T> {
    match body.step_returning_waits() {
        Step::Waiting(kind) => TaskStep::Waiting(kind),
        Step::Returned(value) => TaskStep::Returned(value),
        Step::Panicked(payload) => TaskStep::Panicked(payload),
        Step::Yielded(never) => match never {},
    }
}

/// [`run_body`], handing a wait to `waiting` and an end to `ended`, each
/// called in its own arm (see `Generator::step_returning_waits_then`).
#[inline(always)]
pub(crate) fn run_body_then<T, X>(
    body: &mut TaskGenerator<'_, T>,
    waiting: impl FnOnce(WaitKind) -> X,
    ended: impl FnOnce(TaskStep<T>) -> X,
) -> X {
    body.step_returning_waits_then(waiting, |step| {
        ended(match step {
            Step::Waiting(kind) => TaskStep::Waiting(kind),
            Step::Returned(value) => TaskStep::Returned(value),
            Step::Panicked(payload) => TaskStep::Panicked(payload),
            Step::Yielded(never) => match never {},
        })
    })
}

/// [`run_body`] for a body that has not started yet (the first run of a
/// task whose generator was just built): its switch is a start's, with no
/// test for a wake.
#[inline(always)]
pub(crate) fn start_body<T>(body: &mut TaskGenerator<'_, T>) -> TaskStep<T> {
    match body.start_returning_waits() {
        Step::Waiting(kind) => TaskStep::Waiting(kind),
        Step::Returned(value) => TaskStep::Returned(value),
        Step::Panicked(payload) => TaskStep::Panicked(payload),
        Step::Yielded(never) => match never {},
    }
}

/// Closes a task's body for a cancellation: it unwinds from where it waits,
/// and its waits are its own (never passed on to whoever runs the
/// executor).
///
/// - `Returned(Some(value))`: the body caught the unwind and returned, which
///   suppresses the cancellation (asyncio's rule).
/// - `Returned(None)`: it unwound (or never started): it was cancelled.
/// - `Waiting(kind)`: it caught the unwind and waits again; it lives on, and
///   its cancellation request is withdrawn so the wait is not cut short.
/// - `Panicked`: a destructor panicked while it unwound.
pub(crate) fn close_body<T>(
    header: &Header,
    body: &mut TaskGenerator<'_, T>,
) -> TaskStep<Option<T>> {
    match body.close_task() {
        TaskClose::Closed(value) => TaskStep::Returned(value),
        TaskClose::Ignored(kind) => {
            header.cancel_requested.set(false);
            TaskStep::Waiting(kind)
        }
        TaskClose::Panicked(payload) => TaskStep::Panicked(payload),
    }
}
