//! Waking tasks from anywhere: the `Send` half of an executor.
//!
//! A `Waker` may be called from any thread, so it cannot touch the
//! executor's `Rc`s. It pushes the task's address onto a lock-free queue and
//! follows the idle handshake (`idle.rs`); the executor drains the queue on
//! its own thread.

use super::idle::{AfterNotify, IdleWord};
use crate::loom::Arc;
use concurrent_queue::ConcurrentQueue;
use std::task::Wake;

/// The OS wake-up that unblocks an executor's driver: `mio::Waker`
/// normally, a loom condition variable in the models, so that they run the
/// shipped [`Remote`].
pub(crate) trait Unblock: Send + Sync {
    fn unblock(&self);
}

impl Unblock for mio::Waker {
    fn unblock(&self) {
        // A failed wake can only mean the poller is gone: nothing to wake.
        let _ = self.wake();
    }
}

/// Identifies a task across threads: its table slot and its unique id (the
/// id guards against a slot reused by a later task).
pub(crate) type RemoteKey = (usize, u64);

/// The state an executor shares with other threads.
pub(crate) struct Remote {
    queue: ConcurrentQueue<RemoteKey>,
    pub(crate) idle: IdleWord,
    unblock: Box<dyn Unblock>,
}

impl Remote {
    pub(crate) fn new(unblock: impl Unblock + 'static) -> Self {
        Remote {
            queue: ConcurrentQueue::unbounded(),
            idle: IdleWord::new(),
            unblock: Box::new(unblock),
        }
    }

    /// Rule 1 of `idle.rs`: push, then notify.
    pub(crate) fn push(&self, key: RemoteKey) {
        // The broken variant the loom model must reject: notify first,
        // then push, so an executor may drain, find nothing and block.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("remote_push") {
            if self.idle.transition_notify() == AfterNotify::Unblock {
                self.unblock.unblock();
            }
            let _ = self.queue.push(key);
            return;
        }
        // An unbounded queue only refuses when closed, which never happens.
        #[allow(unreachable_code)]
        let _ = self.queue.push(key);
        if self.idle.transition_notify() == AfterNotify::Unblock {
            self.unblock.unblock();
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

// std's `Arc` here: `Waker::from` needs it; what it guards (`Remote`) is
// the facade's.
impl Wake for TaskWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.remote.push(self.key);
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.remote.push(self.key);
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
