//! The concrete kinds of task: a closure on its own stack, a future, and the
//! placeholder for `block_on`'s closure (whose body lives in `block_on`).

use super::join::{JoinError, JoinSlot};
use super::task::{Header, Joinable, Ran, Task};
use crate::generator::{TaskClose, TaskStep};
use crate::{Generator, GeneratorBuilder};
use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A task body as a generator that never yields values.
pub(crate) type TaskGenerator<'a, T> = Generator<'a, Infallible, (), T>;

enum Stage<F, T> {
    /// Spawned but never run: no stack yet.
    Unstarted(F, GeneratorBuilder),
    Running(TaskGenerator<'static, T>),
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
    pub(crate) fn new(header: Header, body: F, stack: GeneratorBuilder) -> Self {
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
            stage: RefCell::new(Stage::Running(generator)),
        }
    }

    fn finish(&self, outcome: Result<T, JoinError>) -> Ran {
        self.slot.complete(outcome);
        Ran::Done
    }
}

impl<F, T> Task for StackfulTask<F, T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(&self) -> Ran {
        let mut stage = self.stage.borrow_mut();
        if matches!(*stage, Stage::Unstarted(..)) {
            let Stage::Unstarted(body, stack) = std::mem::replace(&mut *stage, Stage::Finished)
            else {
                unreachable!()
            };
            match stack.try_build(move |_| body()) {
                Ok(generator) => *stage = Stage::Running(generator),
                Err(e) => {
                    drop(stage);
                    return self.finish(Err(JoinError::no_stack(e)));
                }
            }
        }
        let Stage::Running(generator) = &mut *stage else {
            return Ran::Done;
        };
        match generator.run_task() {
            step @ TaskStep::Parked(_) => Ran::of(&step),
            TaskStep::Returned(value) => {
                *stage = Stage::Finished;
                drop(stage);
                self.finish(Ok(value))
            }
            TaskStep::Panicked(payload) => {
                *stage = Stage::Finished;
                drop(stage);
                self.finish(Err(JoinError::panicked(payload)))
            }
        }
    }

    fn cancel_now(&self) -> Ran {
        let mut stage = self.stage.borrow_mut();
        let taken = std::mem::replace(&mut *stage, Stage::Finished);
        let outcome = match taken {
            Stage::Finished => return Ran::Done,
            Stage::Unstarted(body, _) => {
                catch_unwind(AssertUnwindSafe(move || drop(body))).map(|()| None)
            }
            Stage::Running(mut generator) => match generator.close_task() {
                TaskClose::Ignored(kind) => {
                    // The body caught the unwind and waits again: it goes on
                    // as a live task (cancellation is a request).
                    self.header.cancel_requested.set(false);
                    *stage = Stage::Running(generator);
                    return Ran::of(&TaskStep::<T>::Parked(kind));
                }
                // A body that caught the unwind and returned suppressed
                // the cancellation, as an asyncio task may.
                TaskClose::Closed(value) => Ok(value),
                TaskClose::Panicked(payload) => Err(payload),
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

/// A future polled by the executor: no stack of its own.
pub(crate) struct FutureTask<Fut: Future> {
    header: Header,
    slot: JoinSlot<Fut::Output>,
    future: RefCell<Option<Pin<Box<Fut>>>>,
    core: std::rc::Weak<super::core::Core>,
}

impl<Fut: Future + 'static> FutureTask<Fut> {
    pub(crate) fn new(header: Header, future: Fut, core: &std::rc::Rc<super::core::Core>) -> Self {
        FutureTask {
            header,
            slot: JoinSlot::new(),
            future: RefCell::new(Some(Box::pin(future))),
            core: std::rc::Rc::downgrade(core),
        }
    }
}

impl<Fut: Future + 'static> Task for FutureTask<Fut> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(&self) -> Ran {
        let Some(core) = self.core.upgrade() else {
            return Ran::Done;
        };
        let waker = core.waker_for(&self.header);
        let mut cx = Context::from_waker(&waker);
        let mut slot = self.future.borrow_mut();
        let Some(future) = slot.as_mut() else {
            return Ran::Done;
        };
        let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
        let outcome = match polled {
            Ok(Poll::Pending) => return Ran::Parked,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(JoinError::panicked(payload)),
        };
        let finished = slot.take();
        drop(slot);
        // The future may own things whose destructors wake others.
        drop(finished);
        self.slot.complete(outcome);
        Ran::Done
    }

    fn cancel_now(&self) -> Ran {
        let future = self.future.borrow_mut().take();
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(future)));
        self.slot.complete(match dropped {
            Ok(()) => Err(JoinError::cancelled()),
            Err(payload) => Err(JoinError::panicked(payload)),
        });
        Ran::Done
    }
}

impl<Fut: Future + 'static> Joinable<Fut::Output> for FutureTask<Fut> {
    fn slot(&self) -> &JoinSlot<Fut::Output> {
        &self.slot
    }
}

/// Stands for a body that lives elsewhere (`block_on`'s closure, a scoped
/// task): the owner runs it; the executor only schedules and lists it.
pub(crate) struct ForeignTask {
    header: Header,
    /// For a scoped task: its index in the scope's table.
    scope_index: Option<usize>,
}

impl ForeignTask {
    pub(crate) fn new(header: Header) -> Self {
        ForeignTask {
            header,
            scope_index: None,
        }
    }

    pub(crate) fn scoped(header: Header, index: usize) -> Self {
        ForeignTask {
            header,
            scope_index: Some(index),
        }
    }
}

impl Task for ForeignTask {
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(&self) -> Ran {
        // Never run by the executor: its owner pops it and runs the body.
        Ran::Parked
    }

    fn cancel_now(&self) -> Ran {
        // Executor teardown: the owner's own unwinding closes the body.
        Ran::Done
    }

    fn scope_index(&self) -> Option<usize> {
        self.scope_index
    }
}
