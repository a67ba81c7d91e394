//! Hand-off wait queues: the engine under the semaphore, the mutex, the
//! channels' receivers and `Notify`.
//!
//! The executor's `WaitList` wakes a waiter and lets it look again; whoever
//! runs first may take what the wake was for. These primitives promise FIFO
//! order with no barging, so the waker instead *hands* the thing over — a
//! permit, a value, a notification — by writing an outcome into the
//! waiter's entry before waking it. Rules:
//!
//! 1. A waiter pushes an entry (its [`Waiter`] and what it waits for), then
//!    parks. Single-threaded: nothing can run between the two, so no
//!    wake-up is lost.
//! 2. Completing an entry moves it from *waiting* to *done* with its
//!    outcome, then wakes the waiter. Entries are completed oldest first.
//! 3. The waiter takes its outcome when it runs again. A wake with no
//!    outcome (a spurious one) leaves it waiting.
//! 4. A waiter that leaves early (cancelled, timed out, its future dropped)
//!    cancels its entry: if still waiting, the entry goes; if an outcome
//!    was handed to it, the outcome comes back to the primitive, which passes
//!    it on (to the next waiter, or back into its store), so nothing is
//!    stranded.

use crate::executor::wait::Waiter;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::task::{Poll, Waker};

/// A FIFO of waiters, each waiting with data `D` for an outcome `O`.
pub(crate) struct WaitQueue<D, O> {
    inner: RefCell<Inner<D, O>>,
}

struct Inner<D, O> {
    // Keys ascend from front to back: found by binary search.
    waiting: VecDeque<(u64, Waiter, D)>,
    // Usually 0 or 1 entries: found by linear search.
    done: Vec<(u64, O)>,
    next_key: u64,
}

/// Where a waiter's entry stands, as its owner sees it.
pub(crate) enum Entry<O> {
    /// Still in the queue.
    Waiting,
    /// Completed with this outcome (now removed).
    Done(O),
}

/// What cancelling an entry found.
pub(crate) enum Cancelled<O> {
    /// It was still waiting; now removed.
    Waiting,
    /// An outcome had been handed to it but not taken: pass it on.
    Unused(O),
}

impl<D, O> WaitQueue<D, O> {
    pub(crate) fn new() -> Self {
        WaitQueue {
            inner: RefCell::new(Inner {
                waiting: VecDeque::new(),
                done: Vec::new(),
                next_key: 0,
            }),
        }
    }

    /// Adds a waiter at the back (rule 1); returns its key.
    pub(crate) fn push(&self, waiter: Waiter, data: D) -> u64 {
        let mut inner = self.inner.borrow_mut();
        let key = inner.next_key;
        inner.next_key += 1;
        inner.waiting.push_back((key, waiter, data));
        key
    }

    /// Whether no one is waiting (completed entries not yet taken do not
    /// count).
    pub(crate) fn is_empty(&self) -> bool {
        self.inner.borrow().waiting.is_empty()
    }

    /// How many are waiting.
    pub(crate) fn len(&self) -> usize {
        self.inner.borrow().waiting.len()
    }

    /// The data of the oldest waiter.
    pub(crate) fn front(&self) -> Option<D>
    where
        D: Copy,
    {
        self.inner.borrow().waiting.front().map(|(_, _, d)| *d)
    }

    /// Hands `outcome` to the oldest waiter and wakes it (rule 2), or gives
    /// `outcome` back if no one waits.
    pub(crate) fn complete_front(&self, outcome: O) -> Result<(), O> {
        let waiter = {
            let mut inner = self.inner.borrow_mut();
            match inner.waiting.pop_front() {
                Some((key, waiter, _)) => {
                    inner.done.push((key, outcome));
                    waiter
                }
                None => return Err(outcome),
            }
        };
        // Woken outside the borrow: a foreign waker may run any code.
        waiter.wake();
        Ok(())
    }

    /// Hands an outcome to every waiter and wakes them all, oldest first.
    pub(crate) fn complete_all(&self, mut outcome: impl FnMut() -> O) {
        let woken: Vec<Waiter> = {
            let mut inner = self.inner.borrow_mut();
            let waiting = std::mem::take(&mut inner.waiting);
            waiting
                .into_iter()
                .map(|(key, waiter, _)| {
                    inner.done.push((key, outcome()));
                    waiter
                })
                .collect()
        };
        for waiter in woken {
            waiter.wake();
        }
    }

    /// Takes `key`'s outcome if it has one (rule 3); if it still waits and
    /// `waker` is given, makes sure that waker is the one woken.
    pub(crate) fn take(&self, key: u64, waker: Option<&Waker>) -> Entry<O> {
        let mut inner = self.inner.borrow_mut();
        if let Some(i) = inner.done.iter().position(|(k, _)| *k == key) {
            return Entry::Done(inner.done.swap_remove(i).1);
        }
        let i = inner.waiting.binary_search_by_key(&key, |e| e.0);
        if let (Some(waker), Ok(i)) = (waker, i) {
            let Some((_, Waiter::Waker(w), _)) = inner.waiting.get_mut(i) else {
                return Entry::Waiting;
            };
            if !w.will_wake(waker) {
                w.clone_from(waker);
            }
        }
        Entry::Waiting
    }

    /// Removes `key` (rule 4) and says what it held.
    pub(crate) fn cancel(&self, key: u64) -> Cancelled<O> {
        let mut inner = self.inner.borrow_mut();
        match inner.done.iter().position(|(k, _)| *k == key) {
            Some(i) => Cancelled::Unused(inner.done.swap_remove(i).1),
            None => {
                let removed = match inner.waiting.binary_search_by_key(&key, |e| e.0) {
                    Ok(i) => inner.waiting.remove(i),
                    Err(_) => None,
                };
                drop(inner);
                // The waiter (a task reference or a waker) is dropped
                // outside the borrow.
                drop(removed);
                Cancelled::Waiting
            }
        }
    }
}

/// The waiter to register for the caller: the future's waker if polled as a
/// future, else the running stackful task (panicking outside one, with a
/// message naming `what`).
pub(crate) fn waiter_for(waker: Option<&Waker>, what: &str) -> Waiter {
    match waker {
        Some(waker) => Waiter::Waker(waker.clone()),
        None => Waiter::Task(crate::executor::current_task(what)),
    }
}

/// The task could not wait: it is unwinding (cancelled, timed out, closed,
/// or panicking), and a destructor asked to wait.
#[derive(Debug)]
pub(crate) struct Unwinding;

/// Drives `poll` to completion in the running stackful task, parking it
/// between polls (`poll` gets no waker: it registers the task itself).
/// Shows `reason` in `Executor::tasks` while parked.
///
/// # Panics
///
/// In a future task (`spawn_future`), which has no stack to suspend (the
/// executor's `park` says so, naming `reason`).
pub(crate) fn block<T>(
    reason: &'static str,
    mut poll: impl FnMut() -> Poll<T>,
) -> Result<T, Unwinding> {
    loop {
        if let Poll::Ready(value) = poll() {
            return Ok(value);
        }
        if crate::executor::park(reason).is_err() {
            return Err(Unwinding);
        }
    }
}
