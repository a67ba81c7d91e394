//! A future task: a `Future` polled by the executor, with no stack of its
//! own (`spawn_future`).

use super::join_error::JoinError;
use super::join_slot::{JoinSlot, Joinable};
use super::remote::Remote;
use super::task::{Header, Ran, Task, TaskRef, Turns};
use crate::loom::Arc;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future polled by the executor: no stack of its own.
pub(crate) struct FutureTask<Fut: Future> {
    header: Header,
    slot: JoinSlot<Fut::Output>,
    future: RefCell<Option<Pin<Box<Fut>>>>,
}

impl<Fut: Future + 'static> FutureTask<Fut> {
    pub(crate) fn new(header: Header, future: Fut) -> Self {
        FutureTask {
            header,
            slot: JoinSlot::new(),
            future: RefCell::new(Some(Box::pin(future))),
        }
    }
}

impl<Fut: Future + 'static> Task for FutureTask<Fut> {
    #[inline(always)]
    fn header(&self) -> &Header {
        &self.header
    }

    fn run_turn(&self, me: &TaskRef, turns: &Turns) {
        turns.run_turn_of(self, me);
    }

    fn run(&self, remote: &Arc<Remote>) -> Ran {
        let waker = self.header.waker(remote);
        let mut cx = Context::from_waker(&waker);
        let mut slot = self.future.borrow_mut();
        let Some(future) = slot.as_mut() else {
            return Ran::Done;
        };
        // What `tasks()` and a deadlock report show while it waits: the
        // future's type names the code it runs (an async block's names its
        // function), unless the poll names its wait (an I/O operation).
        self.header.blocked_on.set(std::any::type_name::<Fut>());
        let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
        let outcome = match polled {
            Ok(Poll::Pending) => return Ran::Waiting,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(JoinError::panicked(payload)),
        };
        let finished = slot.take();
        drop(slot);
        // The future may own things whose destructors wake others (so the
        // borrow ends first), or panic: a panic there is the task's, as
        // one in a stackful body's locals is, and must not escape into
        // whichever `block_on` runs this turn.
        // (After a poll that panicked, that first panic is the one kept.)
        let outcome = match catch_unwind(AssertUnwindSafe(move || drop(finished))) {
            Err(payload) if outcome.is_ok() => Err(JoinError::panicked(payload)),
            _ => outcome,
        };
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
