//! Wait lists: who is waiting for something, in arrival order.
//!
//! Primitives where a woken waiter re-checks its condition (join, oneshot,
//! events, wait groups) keep one; those that hand a resource to a waiter
//! (semaphores, channels) use `sync::waiters`, which records the hand-off.
//! Rules:
//! 1. A waiter registers, then parks. Being single-threaded, nothing can
//!    wake it between the two steps, so no wake-up is lost.
//! 2. A wake removes the entry it wakes. A waiter that finds its entry gone
//!    was notified.
//! 3. Every registration is held by a [`WaitEntry`] guard. If the waiter is
//!    cancelled or times out, the guard removes the entry, so no stale wake
//!    reaches a task that no longer waits.
//! 4. Waiters are kept, and woken, in FIFO order.

use super::task::{wake, TaskRef};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::Waker;

/// Something to wake: a stackful task, or a future's `Waker`.
pub(crate) enum Waiter {
    Task(TaskRef),
    Waker(Waker),
}

impl Waiter {
    pub(crate) fn wake(self) {
        match self {
            Waiter::Task(task) => wake(&task),
            Waiter::Waker(waker) => waker.wake(),
        }
    }
}

/// A FIFO of waiters with removal by key. Keys only grow, so the queue is
/// sorted by key and a waiter is found by binary search.
#[derive(Default)]
pub(crate) struct WaitList {
    entries: RefCell<VecDeque<(u64, Waiter)>>,
    next_key: Cell<u64>,
}

impl WaitList {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a waiter at the back; returns its key.
    pub(crate) fn register(&self, waiter: Waiter) -> u64 {
        let key = self.next_key.get();
        self.next_key.set(key + 1);
        self.entries.borrow_mut().push_back((key, waiter));
        key
    }

    fn position(entries: &VecDeque<(u64, Waiter)>, key: u64) -> Option<usize> {
        entries.binary_search_by_key(&key, |(k, _)| *k).ok()
    }

    /// Registers a future's waker, or refreshes it if `key` is still waiting.
    /// Returns the key to keep.
    pub(crate) fn register_waker(&self, key: Option<u64>, waker: &Waker) -> u64 {
        if let Some(key) = key {
            let mut entries = self.entries.borrow_mut();
            if let Some(i) = Self::position(&entries, key) {
                if let (_, Waiter::Waker(w)) = &mut entries[i] {
                    if !w.will_wake(waker) {
                        w.clone_from(waker);
                    }
                    return key;
                }
            }
        }
        self.register(Waiter::Waker(waker.clone()))
    }

    /// Removes a waiter; `true` if it was still waiting (not yet notified).
    pub(crate) fn remove(&self, key: u64) -> bool {
        let removed = {
            let mut entries = self.entries.borrow_mut();
            Self::position(&entries, key).and_then(|i| entries.remove(i))
        };
        removed.is_some()
    }

    /// Whether `key` is still waiting.
    pub(crate) fn contains(&self, key: u64) -> bool {
        Self::position(&self.entries.borrow(), key).is_some()
    }

    /// Wakes every waiter.
    pub(crate) fn wake_all(&self) {
        if self.entries.borrow().is_empty() {
            return;
        }
        let all = std::mem::take(&mut *self.entries.borrow_mut());
        for (_, waiter) in all {
            waiter.wake();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.borrow().len()
    }
}

/// A registration of the current stackful task on a [`WaitList`]; removes
/// itself when dropped (rule 3).
pub(crate) struct WaitEntry<'l> {
    list: &'l WaitList,
    key: u64,
}

impl<'l> WaitEntry<'l> {
    /// Registers `task` on `list`.
    pub(crate) fn new(list: &'l WaitList, task: TaskRef) -> Self {
        let key = list.register(Waiter::Task(task));
        WaitEntry { list, key }
    }

    /// The entry's key in its list.
    pub(crate) fn key(&self) -> u64 {
        self.key
    }
}

impl Drop for WaitEntry<'_> {
    fn drop(&mut self) {
        self.list.remove(self.key);
    }
}
