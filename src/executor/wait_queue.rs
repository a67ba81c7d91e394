//! The wait queue: who waits for something, in arrival order, and how each
//! is woken. Everything that makes tasks wait keeps one: every primitive of
//! `sync` (oneshot, `Event`, `WaitGroup`,
//! `Notify`, the semaphore, the mutex and the channels).
//!
//! A primitive uses it in one of two ways. Where a woken waiter looks at
//! its condition again (oneshot, events, wait groups), a wake just
//! removes the entry ([`WaitQueue::wake_all`]). Where the primitive promises
//! FIFO order with no barging (semaphores, channels, `Notify`), the waker
//! instead *hands* the thing over — a permit, a value, a notification — by
//! completing the waiter's entry with an outcome ([`WaitQueue::complete_front`]).
//!
//! Rules:
//! 1. A waiter pushes an entry (its [`Waiter`] and what it waits for), then
//!    suspends. Single-threaded: nothing can run between the two, so no
//!    wake-up is lost.
//! 2. A wake removes the entry it wakes; a waiter that finds its entry gone
//!    ([`WaitQueue::contains`] is false) was woken.
//! 3. Completing an entry moves it from *waiting* to *done* with its
//!    outcome, then wakes the waiter. Entries are completed oldest first.
//!    The waiter takes its outcome when it runs again; a wake with no
//!    outcome (a spurious one) leaves it waiting.
//! 4. A waiter that leaves early (cancelled, timed out, its future dropped)
//!    cancels its entry — a stackful task through a guard that cancels it on drop, so
//!    no stale wake reaches a task that no longer waits. If still waiting,
//!    the entry goes; if an outcome was handed to it, the outcome comes back
//!    to the primitive, which passes it on (to the next waiter, or back into
//!    its store), so nothing is stranded.
//! 5. A future polled again with another waker has its entry's waker
//!    replaced, so the latest waker is the one woken.
//! 6. Waiters are woken outside the queue's borrow: a foreign waker may run
//!    any code, this queue's included.

use super::task::{wake, TaskRef};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::task::Waker;

/// Something to wake: a stackful task, or a future's `Waker`.
pub(crate) enum Waiter {
    Task(TaskRef),
    Waker(Waker),
}

impl Waiter {
    #[inline]
    pub(crate) fn wake(self) {
        match self {
            Waiter::Task(task) => wake(&task),
            Waiter::Waker(waker) => waker.wake(),
        }
    }

    /// Rule 5: makes `waker` the one woken. A task kept in place of its own
    /// waker stays a task while it polls with that waker.
    fn refresh(&mut self, waker: &Waker) {
        match self {
            Waiter::Waker(w) => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
            }
            Waiter::Task(task) => {
                if !task.header().is_own_waker(waker) {
                    *self = Waiter::Waker(waker.clone());
                }
            }
        }
    }
}

/// A FIFO of waiters, each waiting with data `D` for an outcome `O` (both
/// `()` where a wake is all there is to it).
pub(crate) struct WaitQueue<D = (), O = ()> {
    inner: RefCell<Inner<D, O>>,
}

struct Inner<D, O> {
    // Keys only grow, so keys ascend from front to back: found by binary
    // search.
    waiting: Fifo<(u64, Waiter, D)>,
    // Usually 0 or 1 entries: found by linear search.
    done: Vec<(u64, O)>,
    next_key: u64,
}

impl<D, O> Inner<D, O> {
    fn position(&self, key: u64) -> Option<usize> {
        self.waiting.position_by_key(key, |e| e.0)
    }
}

/// A FIFO whose oldest entry lives inline: most queues (an uncontended lock,
/// a oneshot) never hold more than one waiter, and then a wait costs
/// no allocation. The rest is boxed, so the queue stays small. Invariant: `rest` is
/// empty whenever `first` is `None`; the order is `first`, then `rest`
/// front to back.
// One word for the rest (a `VecDeque` is four).
#[allow(clippy::box_collection)]
struct Fifo<T> {
    first: Option<T>,
    rest: Option<Box<VecDeque<T>>>,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            first: None,
            rest: None,
        }
    }
}

impl<T> Fifo<T> {
    fn push_back(&mut self, value: T) {
        match self.first {
            None => self.first = Some(value),
            Some(_) => self
                .rest
                .get_or_insert_with(Default::default)
                .push_back(value),
        }
    }

    fn pop_front(&mut self) -> Option<T> {
        let front = self.first.take();
        if front.is_some() {
            self.first = self.rest.as_mut().and_then(|rest| rest.pop_front());
        }
        front
    }

    fn pop_back(&mut self) -> Option<T> {
        match self.rest.as_mut().and_then(|rest| rest.pop_back()) {
            Some(back) => Some(back),
            None => self.first.take(),
        }
    }

    fn front(&self) -> Option<&T> {
        self.first.as_ref()
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.as_ref().map_or(0, |rest| rest.len())
    }

    /// The index of the entry whose key is `key`, keys ascending.
    fn position_by_key(&self, key: u64, key_of: impl Fn(&T) -> u64) -> Option<usize> {
        let first = self.first.as_ref()?;
        if key_of(first) == key {
            return Some(0);
        }
        self.rest
            .as_ref()?
            .binary_search_by_key(&key, key_of)
            .ok()
            .map(|i| i + 1)
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        match index {
            0 => self.first.as_mut(),
            i => self.rest.as_mut()?.get_mut(i - 1),
        }
    }

    fn remove(&mut self, index: usize) -> Option<T> {
        match index {
            0 => self.pop_front(),
            i => self.rest.as_mut()?.remove(i - 1),
        }
    }
}

impl<T> IntoIterator for Fifo<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<
        std::option::IntoIter<T>,
        std::iter::Flatten<std::option::IntoIter<VecDeque<T>>>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let rest = self.rest.map(|rest| *rest);
        self.first.into_iter().chain(rest.into_iter().flatten())
    }
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
    /// It was still waiting, or already woken; now removed.
    Waiting,
    /// An outcome had been handed to it but not taken: pass it on.
    Unused(O),
}

impl<D, O> Default for WaitQueue<D, O> {
    fn default() -> Self {
        WaitQueue::new()
    }
}

impl<D, O> WaitQueue<D, O> {
    pub(crate) fn new() -> Self {
        WaitQueue {
            inner: RefCell::new(Inner {
                waiting: Fifo::default(),
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

    /// Whether `key` is still waiting (rule 2).
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.inner.borrow().position(key).is_some()
    }

    /// Whether `key` is still waiting; if so and `waker` is given, makes it
    /// the one woken (rule 5). An entry made for a stackful task is no
    /// future's: `false` when a `waker` is given for it.
    pub(crate) fn refresh(&self, key: u64, waker: Option<&Waker>) -> bool {
        let mut inner = self.inner.borrow_mut();
        let Some(i) = inner.position(key) else {
            return false;
        };
        if let Some(waker) = waker {
            if let Some(entry) = inner.waiting.get_mut(i) {
                entry.1.refresh(waker);
            }
        }
        true
    }

    /// The data of the oldest waiter.
    pub(crate) fn front(&self) -> Option<D>
    where
        D: Copy,
    {
        self.inner.borrow().waiting.front().map(|(_, _, d)| *d)
    }

    /// Wakes every waiter, removing its entry (rule 2).
    pub(crate) fn wake_all(&self) {
        if self.inner.borrow().waiting.is_empty() {
            return;
        }
        // Taken apart rather than iterated as one chain: the usual queue
        // holds one waiter, and then a wake is one
        // `take` and one call. Waiters that arrive during the wakes stay
        // queued, as with a take of the whole queue.
        let (first, rest) = {
            let mut inner = self.inner.borrow_mut();
            (inner.waiting.first.take(), inner.waiting.rest.take())
        };
        if let Some((_, waiter, _)) = first {
            waiter.wake();
        }
        if let Some(rest) = rest {
            for (_, waiter, _) in *rest {
                waiter.wake();
            }
        }
    }

    /// Hands `outcome` to the oldest waiter and wakes it (rule 3), or gives
    /// `outcome` back if no one waits.
    pub(crate) fn complete_front(&self, outcome: O) -> Result<(), O> {
        self.complete_one(outcome, false)
    }

    /// [`complete_front`](Self::complete_front) for the newest waiter.
    pub(crate) fn complete_back(&self, outcome: O) -> Result<(), O> {
        self.complete_one(outcome, true)
    }

    fn complete_one(&self, outcome: O, newest: bool) -> Result<(), O> {
        let waiter = {
            let mut inner = self.inner.borrow_mut();
            let next = if newest {
                inner.waiting.pop_back()
            } else {
                inner.waiting.pop_front()
            };
            match next {
                Some((key, waiter, _)) => {
                    inner.done.push((key, outcome));
                    waiter
                }
                None => return Err(outcome),
            }
        };
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
    /// `waker` is given, makes sure that waker is the one woken (rule 5).
    pub(crate) fn take(&self, key: u64, waker: Option<&Waker>) -> Entry<O> {
        let mut inner = self.inner.borrow_mut();
        if let Some(i) = inner.done.iter().position(|(k, _)| *k == key) {
            return Entry::Done(inner.done.swap_remove(i).1);
        }
        if let (Some(waker), Some(i)) = (waker, inner.position(key)) {
            if let Some(entry) = inner.waiting.get_mut(i) {
                entry.1.refresh(waker);
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
                let removed = inner.position(key).and_then(|i| inner.waiting.remove(i));
                drop(inner);
                // The waiter (a task reference or a waker) is dropped
                // outside the borrow.
                drop(removed);
                Cancelled::Waiting
            }
        }
    }
}

impl WaitQueue {
    /// Keeps the registration `key` if it still waits (refreshing its
    /// waker, rule 5), or registers the waiter `waiter` makes and stores
    /// its key: the step a primitive whose waiters look again takes on
    /// every poll.
    pub(crate) fn register_or_refresh(
        &self,
        key: &mut Option<u64>,
        waker: Option<&Waker>,
        waiter: impl FnOnce() -> Waiter,
    ) {
        if let Some(k) = *key {
            if self.refresh(k, waker) {
                return;
            }
        }
        *key = Some(self.push(waiter(), ()));
    }

    /// Removes `key` from a queue whose wakes hand nothing over (rule 4).
    pub(crate) fn remove(&self, key: u64) {
        let _ = self.cancel(key);
    }
}
