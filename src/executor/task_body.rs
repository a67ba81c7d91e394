//! A task's body as a generator, and the step that runs it: the one place
//! the executor turns what a generator step produced into what the
//! scheduler does next.

use super::task::Ran;
use crate::generator::{Generator, Payload, Step, WaitKind};
use std::convert::Infallible;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A task body as a generator that never yields values.
pub(crate) type TaskGenerator<'a, T> = Generator<'a, Infallible, (), T>;

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

/// Closes a task's body: it unwinds from where it waits. `None` if it
/// ignored the close (caught the unwind and waited again) and lives on;
/// `Some(Err)` with the payload of a destructor that panicked.
pub(crate) fn close_body<T>(body: &mut TaskGenerator<'_, T>) -> Option<Result<(), Payload>> {
    match catch_unwind(AssertUnwindSafe(|| body.try_close())) {
        Ok(Ok(())) => Some(Ok(())),
        Ok(Err(_ignored)) => None,
        Err(payload) => Some(Err(payload)),
    }
}
