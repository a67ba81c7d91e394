//! The state a cross-thread channel's senders and receiver share. Values
//! travel through a lock-free `ConcurrentQueue`; only a side that is about
//! to wait takes the lock that holds the wakers. This is the only place the
//! channel's sleep protocol is written.
//!
//! Rules (a "waiter" is the receiver, or a sender waiting for room):
//! 1. A waiter leaves its waker under the lock, then raises its flag
//!    (`receiver_waiting`, or the `senders_waiting` count), then issues a
//!    `fence(SeqCst)`, then looks at the queue once more before it sleeps.
//! 2. The other side changes the queue (a push for the receiver, a pop for
//!    senders), then issues a `fence(SeqCst)`, then reads the flag; only
//!    if it is raised does it take the lock and wake the waiter. The two
//!    fences order the pairs "flag, then queue" and "queue, then flag": at
//!    least one side sees the other's write, so a value or the room for one
//!    never waits unseen, and the common case (nobody waits) takes no lock.
//! 3. Senders that find no room wait in arrival order, each with a claim
//!    on one slot: the waiter at position `i` may push once more than `i`
//!    slots are free (those before it keep theirs), and a newcomer only
//!    where more are free than senders wait (else `try_send` says
//!    `Full`), so it never overtakes them. A pop or a leave wakes, once
//!    until it polls again, each waiter whose claim can now be met; so a
//!    waiter that stops polling (a `Sink` whose flush was abandoned, a
//!    kept `SendFuture`) holds back its one slot, not the whole channel,
//!    nor the waiters behind it; as many such waiters as the capacity (one,
//!    for a channel of capacity 1) do hold it back, until they are polled
//!    or dropped, as a reserved permit does in tokio's bounded channel. A waiter that leaves (it sent, or its
//!    future was dropped) gives its claim to the ones behind.
//! 4. Disconnection (the last sender gone, the receiver closed or dropped)
//!    is decided by an RMW or by closing the queue, and then wakes the
//!    other side under the lock; a waiter that raised its flag under that
//!    lock before re-checking sees it (the lock orders the two).
//! 5. Values are dropped outside the lock, so a destructor that touches the
//!    channel cannot deadlock.

use crate::loom::{fence, lock, AtomicBool, AtomicUsize, Mutex, Ordering};
use crate::sync::TrySendError;
use concurrent_queue::{ConcurrentQueue, PushError};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Waiters {
    receiver: Option<Waker>,
    senders: VecDeque<WaitingSender>,
    next_key: u64,
}

/// A sender waiting for room (rule 3).
struct WaitingSender {
    key: u64,
    waker: Waker,
    /// Woken, and not polled since: a further pop need not wake it again.
    woken: bool,
}

impl Waiters {
    fn position(&self, key: Option<u64>) -> Option<usize> {
        self.senders.iter().position(|w| Some(w.key) == key)
    }

    /// Rule 3: the wakers of the waiters whose claims `free` slots now
    /// meet, each marked woken (usually one, or none: no allocation).
    fn wakers_for_room(&mut self, free: usize) -> SmallVec<[Waker; 2]> {
        self.senders
            .iter_mut()
            .take(free)
            .filter_map(|w| (!std::mem::replace(&mut w.woken, true)).then(|| w.waker.clone()))
            .collect()
    }
}

/// The channel's shared state.
pub(crate) struct Chan<T> {
    queue: ConcurrentQueue<T>,
    senders: AtomicUsize,
    receiver_waiting: AtomicBool,
    senders_waiting: AtomicUsize,
    waiters: Mutex<Waiters>,
    unbounded: bool,
}

/// What a waiting send's poll did.
pub(crate) enum PushPoll<T> {
    Sent,
    Closed(T),
    /// No room yet: the caller waits (its waker is queued) with its value.
    Waiting(T),
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Chan<T> {
    /// A channel with room for `capacity` values (`None`: unbounded) and
    /// one sender.
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        Chan {
            queue: match capacity {
                Some(n) => ConcurrentQueue::bounded(n),
                None => ConcurrentQueue::unbounded(),
            },
            senders: AtomicUsize::new(1),
            receiver_waiting: AtomicBool::new(false),
            senders_waiting: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
            unbounded: capacity.is_none(),
        }
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.queue.capacity()
    }

    /// Room left now (a snapshot: others push and pop meanwhile).
    fn free_slots(&self) -> usize {
        self.queue
            .capacity()
            .map_or(usize::MAX, |cap| cap.saturating_sub(self.queue.len()))
    }

    /// Rule 2, after a push: wakes the receiver if it waits.
    fn pushed(&self) {
        // The broken variant the loom model must reject: no fence, so the
        // flag may be read stale while the receiver misses the push.
        #[cfg(corun_loom_mutant)]
        let broken = crate::loom::mutant("chan_pushed");
        #[cfg(not(corun_loom_mutant))]
        let broken = false;
        if !broken {
            fence(Ordering::SeqCst);
        }
        if self.receiver_waiting.load(Ordering::Relaxed) {
            let waker = {
                let mut waiters = lock(&self.waiters);
                self.receiver_waiting.store(false, Ordering::Relaxed);
                waiters.receiver.take()
            };
            wake(waker);
        }
    }

    /// Rule 2, after a pop: wakes the senders the room now lets push.
    fn popped(&self) {
        if self.unbounded {
            // No sender ever waits for room there: no fence to pay.
            return;
        }
        fence(Ordering::SeqCst);
        if self.senders_waiting.load(Ordering::Relaxed) > 0 {
            let woken = lock(&self.waiters).wakers_for_room(self.free_slots());
            woken.into_iter().for_each(Waker::wake);
        }
    }

    /// A push that never waits, and never takes the room a waiting sender
    /// has a claim on (rule 3).
    pub(crate) fn try_push(&self, value: T) -> Result<(), TrySendError<T>> {
        let waiting = self.senders_waiting.load(Ordering::Acquire);
        if waiting > 0 && self.free_slots() <= waiting {
            return if self.queue.is_closed() {
                Err(TrySendError::Closed(value))
            } else {
                Err(TrySendError::Full(value))
            };
        }
        match self.queue.push(value) {
            Ok(()) => {
                self.pushed();
                Ok(())
            }
            Err(PushError::Full(value)) => Err(TrySendError::Full(value)),
            Err(PushError::Closed(value)) => Err(TrySendError::Closed(value)),
        }
    }

    /// Rules 1 and 3, for a sender that may wait: `key` is its place among
    /// the waiting senders (kept between polls).
    pub(crate) fn poll_push(
        &self,
        value: T,
        key: &mut Option<u64>,
        cx: &mut Context<'_>,
    ) -> PushPoll<T> {
        if key.is_none() {
            match self.try_push(value) {
                Ok(()) => return PushPoll::Sent,
                Err(TrySendError::Closed(value)) => return PushPoll::Closed(value),
                Err(TrySendError::Full(v)) => {
                    self.enqueue_sender(key, cx);
                    return self.push_if_claim_met(v, key);
                }
            }
        }
        self.refresh_sender(key, cx);
        self.push_if_claim_met(value, key)
    }

    fn enqueue_sender(&self, key: &mut Option<u64>, cx: &mut Context<'_>) {
        let mut waiters = lock(&self.waiters);
        let k = waiters.next_key;
        waiters.next_key += 1;
        waiters.senders.push_back(WaitingSender {
            key: k,
            waker: cx.waker().clone(),
            woken: false,
        });
        self.senders_waiting
            .store(waiters.senders.len(), Ordering::Relaxed);
        *key = Some(k);
    }

    fn refresh_sender(&self, key: &Option<u64>, cx: &mut Context<'_>) {
        let mut waiters = lock(&self.waiters);
        if let Some(i) = waiters.position(*key) {
            // It polls again: the next pop that meets its claim wakes it.
            let w = &mut waiters.senders[i];
            w.woken = false;
            if !w.waker.will_wake(cx.waker()) {
                w.waker = cx.waker().clone();
            }
        }
    }

    /// Rule 1's second look, and a push if this waiter's claim is met
    /// (rule 3).
    fn push_if_claim_met(&self, value: T, key: &mut Option<u64>) -> PushPoll<T> {
        fence(Ordering::SeqCst);
        // Not found: the receiving side closed and let every waiter go.
        let position = lock(&self.waiters).position(*key);
        if position.is_none_or(|p| p >= self.free_slots()) {
            return if self.queue.is_closed() {
                self.leave(key.take().expect("queued"));
                PushPoll::Closed(value)
            } else {
                PushPoll::Waiting(value)
            };
        }
        match self.queue.push(value) {
            Ok(()) => {
                self.leave(key.take().expect("queued"));
                self.pushed();
                PushPoll::Sent
            }
            Err(PushError::Full(value)) => PushPoll::Waiting(value),
            Err(PushError::Closed(value)) => {
                self.leave(key.take().expect("queued"));
                PushPoll::Closed(value)
            }
        }
    }

    /// A waiting sender leaves (it sent, or its future was dropped); those
    /// behind it whose claims the room now meets are woken (rule 3).
    pub(crate) fn leave(&self, key: u64) {
        let woken = {
            let mut waiters = lock(&self.waiters);
            waiters.senders.retain(|w| w.key != key);
            self.senders_waiting
                .store(waiters.senders.len(), Ordering::Relaxed);
            waiters.wakers_for_room(self.free_slots())
        };
        woken.into_iter().for_each(Waker::wake);
    }

    /// Rules 1 and 4 for the receiver. `Ready(None)`: empty, and nothing
    /// more can come.
    pub(crate) fn poll_recv(&self, cx: Option<&mut Context<'_>>) -> Poll<Option<T>> {
        if let Some(value) = self.pop() {
            return Poll::Ready(Some(value));
        }
        if let Some(cx) = cx {
            {
                let mut waiters = lock(&self.waiters);
                match &waiters.receiver {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => waiters.receiver = Some(cx.waker().clone()),
                }
                self.receiver_waiting.store(true, Ordering::Relaxed);
            }
            fence(Ordering::SeqCst);
            if let Some(value) = self.pop() {
                self.receiver_waiting.store(false, Ordering::Relaxed);
                return Poll::Ready(Some(value));
            }
        }
        if self.is_disconnected() {
            // A value pushed just before the disconnect is still received.
            return Poll::Ready(self.pop());
        }
        Poll::Pending
    }

    fn pop(&self) -> Option<T> {
        let value = self.queue.pop().ok()?;
        self.popped();
        Some(value)
    }

    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// A sender leaves; the last one wakes the receiver (rule 4).
    pub(crate) fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            let waker = lock(&self.waiters).receiver.take();
            wake(waker);
        }
    }

    /// Rule 4 for the receiving side. With `drain`, the values still queued
    /// are dropped too (the receiver itself is being dropped).
    pub(crate) fn close(&self, drain: bool) {
        self.queue.close();
        let senders = {
            let mut waiters = lock(&self.waiters);
            self.senders_waiting.store(0, Ordering::Relaxed);
            std::mem::take(&mut waiters.senders)
        };
        for waiting in senders {
            waiting.waker.wake();
        }
        if drain {
            while self.queue.pop().is_ok() {}
        }
    }

    /// The receiving side closed (senders' view).
    pub(crate) fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Nothing more can ever arrive (receiver's view): closed or no sender
    /// left.
    pub(crate) fn is_disconnected(&self) -> bool {
        self.queue.is_closed() || self.senders.load(Ordering::Acquire) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
