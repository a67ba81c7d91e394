//! The wait of the channels whose wakes hand nothing over (`watch`,
//! `broadcast`): a woken waiter looks at its condition again, so a waiter
//! that leaves owes nothing to anyone; and the sender and receiver counts
//! whose last member wakes the other side.

use crate::executor::{register_caller, WaitQueue};
use std::cell::Cell;
use std::task::{Poll, Waker};

/// Counts one more sender or receiver.
pub(crate) fn arrive(count: &Cell<usize>) {
    count.set(count.get() + 1);
}

/// Counts one fewer sender or receiver; the last to go wakes `others`, the
/// other side's waiters, since the channel is closed for them now.
pub(crate) fn depart(count: &Cell<usize>, others: &WaitQueue) {
    count.set(count.get() - 1);
    if count.get() == 0 {
        others.wake_all();
    }
}

/// A wait on one of a channel's queues that looks at its condition again
/// whenever it is woken; it leaves the queue when dropped.
pub(crate) struct Wait<'a> {
    queue: &'a WaitQueue,
    key: Option<u64>,
}

impl<'a> Wait<'a> {
    pub(crate) fn new(queue: &'a WaitQueue) -> Self {
        Wait { queue, key: None }
    }

    /// Whether it is registered in its queue now.
    pub(crate) fn is_queued(&self) -> bool {
        self.key.is_some()
    }

    /// See [`poll_wait`].
    pub(crate) fn poll<R>(
        &mut self,
        ready: Option<R>,
        waker: Option<&Waker>,
        what: &str,
    ) -> Poll<R> {
        poll_wait(self.queue, &mut self.key, ready, waker, what)
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        leave(self.queue, &mut self.key);
    }
}

/// One look at a wait's condition: `ready` (what the wait ends with now,
/// if anything) ends it and takes its registration `key` out of `queue`;
/// otherwise the caller is registered (the future's waker, or the running
/// stackful task, panicking outside one with a message naming `what`).
pub(crate) fn poll_wait<R>(
    queue: &WaitQueue,
    key: &mut Option<u64>,
    ready: Option<R>,
    waker: Option<&Waker>,
    what: &str,
) -> Poll<R> {
    match ready {
        Some(done) => {
            leave(queue, key);
            Poll::Ready(done)
        }
        None => {
            register_caller(queue, key, waker, what);
            Poll::Pending
        }
    }
}

/// Takes the registration `key` out of `queue`, if any: a wake here hands
/// nothing over, so nothing is owed to anyone.
pub(crate) fn leave(queue: &WaitQueue, key: &mut Option<u64>) {
    if let Some(key) = key.take() {
        queue.remove(key);
    }
}
