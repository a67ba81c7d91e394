//! The state a cross-thread channel's senders and receiver share, behind one
//! lock from the facade. This is the only place that lock is taken.
//!
//! Rules:
//! 1. Room is taken as a *reservation* first (`poll_reserve`), then filled
//!    (`push_reserved`): a send is the two back to back; a `Sink` reserves in
//!    `poll_ready` and fills in `start_send`. `len + reserved <= capacity`
//!    always holds.
//! 2. Senders that find no room wait in arrival order. A newcomer never takes
//!    room while others wait; the front waiter takes it when woken. Whoever
//!    makes room (a receive, a released reservation, a waiter that leaves or
//!    takes room while more is left) wakes the front waiter.
//! 3. The receiver polls under the lock: it takes a value, learns that every
//!    sender is gone (the channel is then closed), or leaves its waker. A
//!    push takes that waker under the same lock and wakes it after
//!    unlocking, so a value never sits unseen while the receiver sleeps.
//! 4. Closing the receiving side wakes every waiting sender; their sends
//!    fail and hand the value back. Values are dropped outside the lock, so
//!    a destructor that touches the channel cannot deadlock.

use crate::loom::{lock, Mutex};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

struct State<T> {
    queue: VecDeque<T>,
    capacity: usize,
    reserved: usize,
    senders: usize,
    /// The receiving side closed or dropped.
    closed: bool,
    receiver: Option<Waker>,
    waiting: VecDeque<(u64, Waker)>,
    next_key: u64,
}

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.queue.len() + self.reserved < self.capacity
    }

    /// The front waiter's waker, if there is room for it (rule 2).
    fn front_if_room(&self) -> Option<Waker> {
        if self.has_room() {
            self.waiting.front().map(|(_, w)| w.clone())
        } else {
            None
        }
    }
}

/// The channel's shared state.
pub(crate) struct Chan<T> {
    state: Mutex<State<T>>,
}

/// The receiving side is closed.
#[derive(Debug)]
pub(crate) struct Closed;

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Chan<T> {
    /// A channel with room for `capacity` values (`usize::MAX`: unbounded)
    /// and one sender.
    pub(crate) fn new(capacity: usize) -> Self {
        Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                capacity,
                reserved: 0,
                senders: 1,
                closed: false,
                receiver: None,
                waiting: VecDeque::new(),
                next_key: 0,
            }),
        }
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        let capacity = lock(&self.state).capacity;
        (capacity != usize::MAX).then_some(capacity)
    }

    /// Rule 1 and 2: takes a reservation, or queues (or refreshes) the
    /// caller as a waiter under `key`.
    pub(crate) fn poll_reserve(
        &self,
        key: &mut Option<u64>,
        cx: Option<&mut Context<'_>>,
    ) -> Poll<Result<(), Closed>> {
        let mut state = lock(&self.state);
        if state.closed {
            if let Some(k) = key.take() {
                state.waiting.retain(|(w, _)| *w != k);
            }
            return Poll::Ready(Err(Closed));
        }
        let at_front = match key {
            None => state.waiting.is_empty(),
            Some(k) => state.waiting.front().is_some_and(|(w, _)| w == k),
        };
        if at_front && state.has_room() {
            state.reserved += 1;
            if key.take().is_some() {
                state.waiting.pop_front();
            }
            let next = state.front_if_room();
            drop(state);
            wake(next);
            return Poll::Ready(Ok(()));
        }
        let Some(cx) = cx else {
            return Poll::Pending;
        };
        match key {
            Some(k) => {
                if let Some((_, w)) = state.waiting.iter_mut().find(|(w, _)| w == k) {
                    if !w.will_wake(cx.waker()) {
                        *w = cx.waker().clone();
                    }
                }
            }
            None => {
                let k = state.next_key;
                state.next_key += 1;
                state.waiting.push_back((k, cx.waker().clone()));
                *key = Some(k);
            }
        }
        Poll::Pending
    }

    /// A waiter leaves without taking room (its future was dropped).
    pub(crate) fn leave(&self, key: u64) {
        let mut state = lock(&self.state);
        state.waiting.retain(|(w, _)| *w != key);
        let next = state.front_if_room();
        drop(state);
        wake(next);
    }

    /// Gives a reservation back unused.
    pub(crate) fn release(&self) {
        let mut state = lock(&self.state);
        state.reserved -= 1;
        let next = state.front_if_room();
        drop(state);
        wake(next);
    }

    /// Fills a reservation (rule 1), waking the receiver (rule 3); the value
    /// comes back if the receiving side closed meanwhile.
    pub(crate) fn push_reserved(&self, value: T) -> Result<(), T> {
        // The broken variant the loom model must reject: the receiver is
        // woken before the value is queued, in two critical sections.
        #[cfg(corun_loom_mutant)]
        {
            wake(lock(&self.state).receiver.take());
            let mut state = lock(&self.state);
            state.reserved -= 1;
            if state.closed {
                return Err(value);
            }
            state.queue.push_back(value);
            return Ok(());
        }
        #[allow(unreachable_code)]
        let mut state = lock(&self.state);
        state.reserved -= 1;
        if state.closed {
            return Err(value);
        }
        state.queue.push_back(value);
        let receiver = state.receiver.take();
        drop(state);
        wake(receiver);
        Ok(())
    }

    /// Rule 3. `Ready(None)`: empty, and every sender is gone.
    pub(crate) fn poll_recv(&self, cx: Option<&mut Context<'_>>) -> Poll<Option<T>> {
        let mut state = lock(&self.state);
        if let Some(value) = state.queue.pop_front() {
            let next = state.front_if_room();
            drop(state);
            wake(next);
            return Poll::Ready(Some(value));
        }
        if state.senders == 0 || state.closed {
            return Poll::Ready(None);
        }
        if let Some(cx) = cx {
            match &state.receiver {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => state.receiver = Some(cx.waker().clone()),
            }
        }
        Poll::Pending
    }

    pub(crate) fn add_sender(&self) {
        lock(&self.state).senders += 1;
    }

    /// A sender leaves; the last one wakes the receiver (rule 3).
    pub(crate) fn drop_sender(&self) {
        let mut state = lock(&self.state);
        state.senders -= 1;
        let receiver = if state.senders == 0 {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        wake(receiver);
    }

    /// Rule 4. With `drain`, the values still queued are dropped too (the
    /// receiver itself is being dropped).
    pub(crate) fn close(&self, drain: bool) {
        let mut state = lock(&self.state);
        state.closed = true;
        let waiting = std::mem::take(&mut state.waiting);
        let values = if drain {
            std::mem::take(&mut state.queue)
        } else {
            VecDeque::new()
        };
        drop(state);
        for (_, waker) in waiting {
            waker.wake();
        }
        drop(values);
    }

    /// The receiving side closed (senders' view).
    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Nothing more can ever be received (receiver's view): closed or no
    /// sender left.
    pub(crate) fn is_disconnected(&self) -> bool {
        let state = lock(&self.state);
        state.closed || state.senders == 0
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.state).queue.len()
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
