//! The state a watch channel's senders and receivers share.

use super::error::RecvError;
use crate::executor::WaitQueue;
use std::cell::{Cell, RefCell, RefMut};

pub(super) struct Shared<T> {
    pub(super) value: RefCell<T>,
    /// Bumped by every store (rule 1); starts at 0 for the initial value.
    pub(super) version: Cell<u64>,
    pub(super) senders: Cell<usize>,
    pub(super) receivers: Cell<usize>,
    /// Receivers waiting for a change (or for the last sender to go).
    pub(super) changes: WaitQueue,
    /// Senders waiting for the last receiver to go.
    pub(super) closed: WaitQueue,
}

impl<T> Shared<T> {
    pub(super) fn new(init: T) -> Self {
        Shared {
            value: RefCell::new(init),
            version: Cell::new(0),
            senders: Cell::new(1),
            // Counted as each receiver is made.
            receivers: Cell::new(0),
            changes: WaitQueue::new(),
            closed: WaitQueue::new(),
        }
    }

    /// Whether every sender is gone.
    pub(super) fn sender_gone(&self) -> bool {
        self.senders.get() == 0
    }

    /// What a wait for a change by a receiver that has seen `seen` ends
    /// with now, if anything (rule 4): an unseen value first (and marks it
    /// seen), then the closed error.
    pub(super) fn check_changed(&self, seen: &mut u64) -> Option<Result<(), RecvError>> {
        let version = self.version.get();
        if *seen != version {
            *seen = version;
            return Some(Ok(()));
        }
        self.sender_gone().then(|| Err(RecvError::closed()))
    }

    /// The value, for a sender to store into (rule 5).
    ///
    /// # Panics
    ///
    /// If a `Ref` to the value is alive, with a message naming `what` and
    /// saying what to change.
    #[track_caller]
    pub(super) fn value_mut(&self, what: &str) -> RefMut<'_, T> {
        match self.value.try_borrow_mut() {
            Ok(value) => value,
            Err(_) => held_ref(what),
        }
    }

    /// Makes a new version visible and wakes every receiver waiting for
    /// one (rule 3); the value's borrow is already released, since a woken
    /// future's waker may run any code, a `borrow` of this channel
    /// included.
    pub(super) fn publish(&self) {
        self.version.set(self.version.get() + 1);
        self.changes.wake_all();
    }
}

#[cold]
#[track_caller]
fn held_ref(what: &str) -> ! {
    panic!(
        "{what}: the watch channel's value is still borrowed: drop the Ref returned by \
         watch::Receiver::borrow (or borrow_and_update, wait_for, Sender::borrow) before the \
         sender sends; a Ref must not be held across a wait"
    )
}
