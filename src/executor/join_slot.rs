//! The slot a task's outcome lands in, and who waits for it: what a
//! `JoinHandle` reads.
//!
//! A task has at most one joiner: its handle is not `Clone`, and joining
//! consumes it (a handle polled as a future registers its waker in the
//! same place, replacing its last one). So the slot keeps one waiter, not a
//! queue: a join registers with a store and is woken with a take.

use super::join_error::JoinError;
use super::task::Task;
use super::wait_queue::Waiter;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Waker;

enum SlotState<T> {
    Pending,
    Ready(Result<T, JoinError>),
    Taken,
}

/// Where a task's outcome waits for its `JoinHandle`.
pub(crate) struct JoinSlot<T> {
    /// A `Cell`, not a `RefCell`: every access moves the state out or in
    /// whole (no borrow is ever held), which spares a borrow flag's test
    /// and two stores on each store and take of an outcome.
    state: Cell<SlotState<T>>,
    /// Who waits for the outcome, if anyone: woken when it lands, it looks
    /// again.
    joiner: Cell<Option<Waiter>>,
    /// The task's handle is gone: nobody will take the outcome.
    detached: Cell<bool>,
}

/// A task with a typed join slot, as its `JoinHandle` sees it.
pub(crate) trait Joinable<T>: Task {
    fn slot(&self) -> &JoinSlot<T>;
}

/// A join slot whose value type is erased: for reporting failures.
pub(crate) trait FailSlot {
    fn fail(&self, error: JoinError);
}

impl<T> FailSlot for JoinSlot<T> {
    /// Stores `error` unless the body already stored its own outcome (a
    /// scoped task that caught its cancellation and returned a value).
    fn fail(&self, error: JoinError) {
        if self.peek(|state| matches!(state, SlotState::Pending)) {
            self.complete(Err(error));
        }
    }
}

impl<T> JoinSlot<T> {
    pub(crate) fn new() -> Self {
        JoinSlot {
            state: Cell::new(SlotState::Pending),
            joiner: Cell::new(None),
            detached: Cell::new(false),
        }
    }

    /// Stores the outcome and wakes every joiner; with no handle left, the
    /// outcome is dropped at once instead.
    pub(crate) fn complete(&self, outcome: Result<T, JoinError>) {
        if self.detached.get() {
            self.state.set(SlotState::Taken);
            drop_unclaimed(outcome);
            return;
        }
        self.state.set(SlotState::Ready(outcome));
        if let Some(joiner) = self.joiner.take() {
            joiner.wake();
        }
    }

    /// Makes `joiner` the one woken when the outcome lands.
    #[inline]
    pub(crate) fn set_joiner(&self, joiner: Waiter) {
        // The one replaced, if any, is dropped outside any borrow: a
        // foreign waker's drop may run any code.
        drop(self.joiner.replace(Some(joiner)));
    }

    /// Makes the waker of a handle polled as a future the one woken,
    /// keeping the registration when it would wake the same task.
    pub(crate) fn set_joiner_waker(&self, waker: &Waker, what: &str) {
        match self.joiner.take() {
            Some(Waiter::Waker(w)) if w.will_wake(waker) => self.set_joiner(Waiter::Waker(w)),
            old => {
                drop(old);
                self.set_joiner(super::waiting::waiter_for(Some(waker), what));
            }
        }
    }

    /// Nobody waits any more (the joiner left, or its handle is gone).
    #[inline]
    pub(crate) fn clear_joiner(&self) {
        drop(self.joiner.take());
    }

    /// The handle is gone: nobody waits any more, and the outcome is
    /// nobody's ([`clear_joiner`](Self::clear_joiner), then
    /// [`detach`](Self::detach)).
    #[inline]
    pub(crate) fn release_handle(&self) {
        self.clear_joiner();
        self.detach();
    }

    /// The handle is dropped: an outcome already there, or one that comes
    /// later, is dropped without reaching anyone.
    pub(crate) fn detach(&self) {
        self.detached.set(true);
        // Usually the outcome was joined, or is still to come: no take.
        if self.is_ready() {
            if let Some(outcome) = self.take() {
                drop_unclaimed(outcome);
            }
        }
    }

    /// Takes the outcome if it is there.
    pub(crate) fn take(&self) -> Option<Result<T, JoinError>> {
        match self.state.replace(SlotState::Taken) {
            SlotState::Ready(outcome) => Some(outcome),
            other => {
                self.put_back(other);
                None
            }
        }
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.peek(|state| matches!(state, SlotState::Ready(_)))
    }

    /// What `look` says of the state, which stays as it was.
    fn peek(&self, look: impl FnOnce(&SlotState<T>) -> bool) -> bool {
        let state = self.state.replace(SlotState::Taken);
        let answer = look(&state);
        self.put_back(state);
        answer
    }

    /// Puts back a state moved out with `Taken` left in its place.
    #[inline(always)]
    fn put_back(&self, state: SlotState<T>) {
        // What it replaces is the `Taken` just left there: nothing to drop,
        // and forgetting it spares the test.
        std::mem::forget(self.state.replace(state));
    }
}

/// Drops an outcome nobody will take. Its `Drop` runs wherever the task
/// ended or its handle was dropped, often in the executor's loop or an
/// unrelated `block_on`: a panic there is caught and reported instead of
/// escaping into code that has nothing to do with the task (as tokio does).
fn drop_unclaimed<T>(outcome: Result<T, JoinError>) {
    if catch_unwind(AssertUnwindSafe(move || drop(outcome))).is_err() {
        eprintln!(
            "corun: dropping the output of a task whose JoinHandle was dropped panicked; \
             that panic is discarded"
        );
    }
}
