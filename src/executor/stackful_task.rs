//! A stackful task: a closure that runs on its own stack, mapped when the
//! executor first runs it (`spawn`).

use super::join_error::JoinError;
use super::join_slot::{JoinSlot, Joinable};
use super::remote::Remote;
use super::task::{Header, Ran, Task, Turns};
use super::task_body::{close_body, run_body, TaskGenerator, TaskStep};
use crate::generator::StackConfig;
use crate::loom::Arc;
use std::cell::{RefCell, RefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

enum Stage<F, T> {
    /// Spawned but never run: no stack yet.
    Unstarted(F, StackConfig),
    /// Waiting, after its first run. Boxed: a generator is 120 bytes, and
    /// most cells never hold one (a task that ends in its first run keeps
    /// its generator on the executor's stack), so 100,000 unstarted or
    /// finished tasks take that much less memory.
    Running(Box<TaskGenerator<'static, T>>),
    Finished,
}

/// A closure that runs on its own stack once the executor first runs it.
pub(crate) struct StackfulTask<F, T> {
    header: Header,
    slot: JoinSlot<T>,
    stage: RefCell<Stage<F, T>>,
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
            stage: RefCell::new(Stage::Unstarted(body, stack)),
        }
    }

    /// A task whose stack is mapped now (`try_spawn`).
    pub(crate) fn with_generator(header: Header, generator: TaskGenerator<'static, T>) -> Self {
        StackfulTask {
            header,
            slot: JoinSlot::new(),
            stage: RefCell::new(Stage::Running(Box::new(generator))),
        }
    }

    fn finish(&self, outcome: Result<T, JoinError>) -> Ran {
        self.slot.complete(outcome);
        Ran::Done
    }

    /// The first run: the stack is taken now, and the generator stays a
    /// local of this call unless the body waits. A task that ends in its
    /// first run (most short ones) never moves a generator in and out of
    /// its cell. Out of line: the turn that wakes a waiting task, the
    /// usual one, keeps a small frame around its switch.
    #[inline(never)]
    fn run_first(&self, mut stage: RefMut<'_, Stage<F, T>>) -> Ran {
        let Stage::Unstarted(body, stack) = std::mem::replace(&mut *stage, Stage::Finished) else {
            unreachable!("run_first on a task that has started")
        };
        let mut generator = match stack.try_build(move |_| body()) {
            Ok(generator) => generator,
            Err(e) => {
                drop(stage);
                return self.finish(Err(JoinError::no_stack(e)));
            }
        };
        let step = run_body(&mut generator);
        if let TaskStep::Waiting(_) = step {
            *stage = Stage::Running(Box::new(generator));
            return step.ran();
        }
        self.after_step(stage, step)
    }

    /// Files what a run produced: a wait leaves the task as it is; an end
    /// releases the body and stores the outcome.
    #[inline(always)]
    fn after_step(&self, mut stage: RefMut<'_, Stage<F, T>>, step: TaskStep<T>) -> Ran {
        let outcome = match step {
            step @ TaskStep::Waiting(_) => return step.ran(),
            TaskStep::Returned(value) => Ok(value),
            TaskStep::Panicked(payload) => Err(JoinError::panicked(payload)),
        };
        *stage = Stage::Finished;
        drop(stage);
        self.finish(outcome)
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

    fn run_turn(self: Rc<Self>, turns: &Turns) {
        turns.run_turn_of(self);
    }

    #[inline(always)]
    fn run(&self, _remote: &Arc<Remote>) -> Ran {
        let mut stage = self.stage.borrow_mut();
        // A wake, the usual turn of a task that waits, tested alone: one
        // comparison of the stage's tag.
        if let Stage::Running(generator) = &mut *stage {
            let step = run_body(generator);
            return self.after_step(stage, step);
        }
        if let Stage::Unstarted(..) = &*stage {
            return self.run_first(stage);
        }
        Ran::Done
    }

    #[inline(never)]
    fn cancel_now(&self) -> Ran {
        let mut stage = self.stage.borrow_mut();
        let taken = std::mem::replace(&mut *stage, Stage::Finished);
        let outcome = match taken {
            Stage::Finished => return Ran::Done,
            Stage::Unstarted(body, _) => {
                catch_unwind(AssertUnwindSafe(move || drop(body))).map(|()| None)
            }
            Stage::Running(mut generator) => match close_body(&self.header, &mut generator) {
                TaskStep::Waiting(kind) => {
                    *stage = Stage::Running(generator);
                    return TaskStep::<T>::Waiting(kind).ran();
                }
                TaskStep::Returned(value) => Ok(value),
                TaskStep::Panicked(payload) => Err(payload),
            },
        };
        drop(stage);
        match outcome {
            Ok(Some(value)) => self.finish(Ok(value)),
            Ok(None) => self.finish(Err(JoinError::cancelled())),
            Err(payload) => self.finish(Err(JoinError::panicked(payload))),
        }
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
