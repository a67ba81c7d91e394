//! A stackful task: a closure that runs on its own stack, mapped when the
//! executor first runs it (`spawn`).

use super::join_error::JoinError;
use super::join_slot::{JoinSlot, Joinable};
use super::remote::Remote;
use super::task::{Header, Ran, Task, TaskRef, Turns};
use super::task_body::{
    close_body, run_body_then, start_body, waited, TaskGenerator, TaskStep, WaitingBody,
};
use crate::generator::StackConfig;
use crate::loom::Arc;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A closure that runs on its own stack once the executor first runs it.
///
/// Its stage is two cells, not one `RefCell` of an enum: spawned but never
/// run (`unstarted` holds the closure), waiting after its first run
/// (`running` holds the generator), or finished (both empty). A turn takes
/// what it runs out of its cell and puts a waiting generator back, so the
/// wake of a waiting task, the usual turn, costs a load and two stores,
/// with no borrow flag and no tag to test. While the body runs both cells
/// are empty; nothing looks at them then (only this task's own turns do).
pub(crate) struct StackfulTask<F, T> {
    header: Header,
    slot: JoinSlot<T>,
    /// Boxed: a generator is 120 bytes, and most tasks never hold one (a
    /// task that ends in its first run keeps its generator on the
    /// executor's stack), so 100,000 unstarted or finished tasks take that
    /// much less memory. The box's block comes from the generator layer's
    /// per-thread cache, not from `malloc` (`PooledGenerator`).
    running: Cell<Option<WaitingBody<T>>>,
    unstarted: Cell<Option<(F, StackConfig)>>,
}

impl<F, T> StackfulTask<F, T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    pub(crate) fn new(header: Header, body: F, stack: StackConfig) -> Self {
        StackfulTask {
            header,
            slot: JoinSlot::new(),
            running: Cell::new(None),
            unstarted: Cell::new(Some((body, stack))),
        }
    }

    /// A task whose stack is mapped now (`try_spawn`).
    pub(crate) fn with_generator(header: Header, generator: TaskGenerator<'static, T>) -> Self {
        StackfulTask {
            header,
            slot: JoinSlot::new(),
            running: Cell::new(Some(WaitingBody::new(generator))),
            unstarted: Cell::new(None),
        }
    }

    fn finish(&self, outcome: Result<T, JoinError>) -> Ran {
        self.slot.complete(outcome);
        Ran::Done
    }

    /// Puts back the generator of a body that waits. The cell is empty:
    /// its generator was taken for this turn, and nothing else fills it.
    #[inline(always)]
    fn keep_waiting(&self, generator: WaitingBody<T>) {
        let old = self.running.replace(Some(generator));
        debug_assert!(old.is_none(), "a task's generator was put back twice");
        // Empty, so nothing to drop: forgetting it spares the test.
        std::mem::forget(old);
    }

    /// The first run (or a turn of a finished task, which does nothing):
    /// the stack is taken now, and the generator stays a local of this
    /// call unless the body waits. A task that ends in its first run (most
    /// short ones) never moves a generator in and out of its cell.
    ///
    /// Out of line: the turn that wakes a waiting task, the usual one,
    /// keeps a small frame around its switch. The closure is taken here,
    /// not in the turn: moving it out of its cell there would cost every
    /// turn that much more.
    #[inline(never)]
    fn run_first(&self) -> Ran {
        let Some((body, stack)) = self.unstarted.take() else {
            return Ran::Done;
        };
        let mut generator = match stack.try_build(move |_| body()) {
            Ok(generator) => generator,
            Err(e) => return self.finish(Err(JoinError::no_stack(e))),
        };
        match start_body(&mut generator) {
            TaskStep::Waiting(kind) => {
                self.keep_waiting(WaitingBody::new(generator));
                waited(kind)
            }
            // The finished generator is dropped in place when this returns:
            // moved out to be dropped first, it would be copied.
            TaskStep::Returned(value) => self.finish(Ok(value)),
            TaskStep::Panicked(payload) => self.finish(Err(JoinError::panicked(payload))),
        }
    }
}

impl<F, T> Task for StackfulTask<F, T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    #[inline(always)]
    fn header(&self) -> &Header {
        &self.header
    }

    fn run_turn(&self, me: &TaskRef, turns: &Turns) {
        turns.run_turn_of(self, me);
    }

    #[inline(always)]
    fn run(&self, _remote: &Arc<Remote>) -> Ran {
        // A wake, the usual turn of a task that waits, tested alone: one
        // test of the generator's pointer.
        if let Some(mut generator) = self.running.take() {
            // What the turn did meets as a `Ran` in a register, not as a
            // step in memory: each arm answers for itself.
            let ran = run_body_then(&mut generator, waited, |step| match step {
                TaskStep::Waiting(kind) => waited(kind),
                TaskStep::Returned(value) => self.finish(Ok(value)),
                TaskStep::Panicked(payload) => self.finish(Err(JoinError::panicked(payload))),
            });
            if ran == Ran::Done {
                drop(generator);
            } else {
                self.keep_waiting(generator);
            }
            return ran;
        }
        self.run_first()
    }

    fn abandon(&self) -> bool {
        self.abandon_body()
    }

    #[inline(never)]
    fn cancel_now(&self) -> Ran {
        let outcome = if let Some(mut generator) = self.running.take() {
            match close_body(&self.header, &mut generator) {
                TaskStep::Waiting(kind) => {
                    self.keep_waiting(generator);
                    return TaskStep::<T>::Waiting(kind).ran();
                }
                TaskStep::Returned(value) => Ok(value),
                TaskStep::Panicked(payload) => Err(payload),
            }
        } else if let Some((body, _)) = self.unstarted.take() {
            catch_unwind(AssertUnwindSafe(move || drop(body))).map(|()| None)
        } else {
            return Ran::Done;
        };
        match outcome {
            Ok(Some(value)) => self.finish(Ok(value)),
            Ok(None) => self.finish(Err(JoinError::cancelled())),
            Err(payload) => self.finish(Err(JoinError::panicked(payload))),
        }
    }
}

impl<F, T> StackfulTask<F, T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    fn abandon_body(&self) -> bool {
        let Some(mut generator) = self.running.take() else {
            return false;
        };
        generator.abandon();
        drop(generator);
        self.finish(Err(JoinError::cancelled()));
        true
    }
}

impl<F, T> Joinable<T> for StackfulTask<F, T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    fn slot(&self) -> &JoinSlot<T> {
        &self.slot
    }
}
