//! Waking tasks from anywhere: the `Send` half of an executor.
//!
//! A `Waker` may be called from any thread, so it cannot touch the
//! executor's `Rc`s. It pushes the task's address onto a lock-free queue and
//! follows the idle handshake (`idle.rs`); the executor drains the queue on
//! its own thread.

use super::idle::{AfterNotify, IdleWord};
use concurrent_queue::ConcurrentQueue;
use std::sync::Arc;
use std::task::Wake;

/// Identifies a task across threads: its table slot and its unique id (the
/// id guards against a slot reused by a later task).
pub(crate) type RemoteKey = (usize, u64);

/// The state an executor shares with other threads.
pub(crate) struct Remote {
    queue: ConcurrentQueue<RemoteKey>,
    pub(crate) idle: IdleWord,
    unblock: mio::Waker,
}

impl Remote {
    pub(crate) fn new(unblock: mio::Waker) -> Self {
        Remote {
            queue: ConcurrentQueue::unbounded(),
            idle: IdleWord::new(),
            unblock,
        }
    }

    pub(crate) fn push(&self, key: RemoteKey) {
        // An unbounded queue only refuses when closed, which never happens.
        let _ = self.queue.push(key);
        if self.idle.transition_notify() == AfterNotify::Unblock {
            // A failed wake can only mean the poller is gone: nothing to wake.
            let _ = self.unblock.wake();
        }
    }

    pub(crate) fn pop(&self) -> Option<RemoteKey> {
        self.queue.pop().ok()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// The data behind a task's `Waker`.
pub(crate) struct TaskWaker {
    pub(crate) remote: Arc<Remote>,
    pub(crate) key: RemoteKey,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.remote.push(self.key);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.remote.push(self.key);
    }
}
