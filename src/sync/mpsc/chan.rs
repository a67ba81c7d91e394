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
//!    waiter that stops polling (a kept `SendFuture`; a `Sink` never
//!    does, see rule 6) holds back its one slot, not the whole channel,
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
//! 6. A `Sink`'s value that finds no room is parked in its waiting entry,
//!    not kept in its sender: each pop or leave that makes room queues the
//!    parked values at the head of the line, in order, under the lock. So
//!    a Sink whose flush is abandoned (a `select!` that timed out) or
//!    whose sender is dropped still delivers its value, and holds no room
//!    back once its value is queued. The parker itself looks once more
//!    after raising the count (rule 1).

use crate::loom::{fence, lock, AtomicBool, AtomicUsize, Mutex, Ordering};
use crate::sync::TrySendError;
use concurrent_queue::{ConcurrentQueue, PushError};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

struct Waiters<T> {
    receiver: Option<Waker>,
    senders: VecDeque<WaitingSender<T>>,
    next_key: u64,
    /// The keys of parked values the receiving side's close dropped, so
    /// that their Sinks' flushes can tell them from delivered ones.
    dropped_by_close: Vec<u64>,
}

impl<T> Default for Waiters<T> {
    fn default() -> Self {
        Waiters {
            receiver: None,
            senders: VecDeque::new(),
            next_key: 0,
            dropped_by_close: Vec::new(),
        }
    }
}

/// A sender waiting for room (rule 3).
struct WaitingSender<T> {
    key: u64,
    /// `None` until a parked value's Sink first polls its flush.
    waker: Option<Waker>,
    /// Woken, and not polled since: a further pop need not wake it again.
    woken: bool,
    /// A `Sink`'s value, parked here rather than in its sender (rule 6):
    /// whoever makes room queues it, whether or not the Sink polls again.
    parked: Option<T>,
}

/// What serving the waiting senders found to do once the lock is let go.
struct Served {
    wakers: SmallVec<[Waker; 2]>,
    /// Parked values were queued: the receiver may need waking.
    queued: bool,
}

impl<T> Waiters<T> {
    fn position(&self, key: Option<u64>) -> Option<usize> {
        self.senders.iter().position(|w| Some(w.key) == key)
    }

    /// Rules 3 and 6: goes down the line while the room meets the claims:
    /// a parked value is queued (in its place, so order is kept), any
    /// other waiter is marked woken and its waker returned (usually one,
    /// or none: no allocation).
    fn serve(&mut self, queue: &ConcurrentQueue<T>) -> Served {
        let mut served = Served {
            wakers: SmallVec::new(),
            queued: false,
        };
        let mut i = 0;
        while i < self.senders.len() && i < free_slots(queue) {
            let w = &mut self.senders[i];
            let Some(value) = w.parked.take() else {
                if !std::mem::replace(&mut w.woken, true) {
                    served.wakers.extend(w.waker.clone());
                }
                i += 1;
                continue;
            };
            match queue.push(value) {
                Ok(()) => {
                    // The claims behind move up one place, and the room
                    // shrank by one: `i` names the next entry.
                    let done = self.senders.remove(i).expect("in the line");
                    served.wakers.extend(done.waker);
                    served.queued = true;
                }
                Err(PushError::Full(value) | PushError::Closed(value)) => {
                    // No room after all (a push raced this one), or the
                    // receiving side is closing and takes it back.
                    w.parked = Some(value);
                    break;
                }
            }
        }
        served
    }
}

/// Room left now (a snapshot: others push and pop meanwhile).
fn free_slots<T>(queue: &ConcurrentQueue<T>) -> usize {
    queue
        .capacity()
        .map_or(usize::MAX, |cap| cap.saturating_sub(queue.len()))
}

/// The channel's shared state.
pub(crate) struct Chan<T> {
    queue: ConcurrentQueue<T>,
    senders: AtomicUsize,
    receiver_waiting: AtomicBool,
    senders_waiting: AtomicUsize,
    waiters: Mutex<Waiters<T>>,
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

    fn free_slots(&self) -> usize {
        free_slots(&self.queue)
    }

    /// Rules 3 and 6 with the lock taken: parked values queued, waiters
    /// woken, the receiver told.
    fn serve_waiting(&self) {
        let served = {
            let mut waiters = lock(&self.waiters);
            let served = waiters.serve(&self.queue);
            self.senders_waiting
                .store(waiters.senders.len(), Ordering::Relaxed);
            served
        };
        served.wakers.into_iter().for_each(Waker::wake);
        if served.queued {
            self.pushed();
        }
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
            self.serve_waiting();
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
            waker: Some(cx.waker().clone()),
            woken: false,
            parked: None,
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
            if !w
                .waker
                .as_ref()
                .is_some_and(|old| old.will_wake(cx.waker()))
            {
                w.waker = Some(cx.waker().clone());
            }
        }
    }

    /// Rule 6: parks a `Sink`'s value that found no room (or found other
    /// senders waiting first) among the waiting senders, where whoever
    /// makes room queues it. `key` names it for
    /// [`poll_parked`](Chan::poll_parked).
    pub(crate) fn park(&self, value: T, key: &mut Option<u64>) -> Result<(), T> {
        let value = match self.try_push(value) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Closed(value)) => return Err(value),
            Err(TrySendError::Full(value)) => value,
        };
        {
            let mut waiters = lock(&self.waiters);
            let k = waiters.next_key;
            waiters.next_key += 1;
            waiters.senders.push_back(WaitingSender {
                key: k,
                waker: None,
                woken: false,
                parked: Some(value),
            });
            self.senders_waiting
                .store(waiters.senders.len(), Ordering::Relaxed);
            *key = Some(k);
        }
        // Rule 1's second look: room made before the count was raised
        // would otherwise wait for the next pop.
        fence(Ordering::SeqCst);
        self.serve_waiting();
        Ok(())
    }

    /// Rule 6: whether the value parked under `key` has been queued
    /// (`Ok`), dropped by the receiving side's close (`Err`), or still
    /// waits (`Pending`, with `cx`'s waker kept to be woken when it is
    /// queued). `key` is cleared once it is settled.
    pub(crate) fn poll_parked(
        &self,
        key: &mut Option<u64>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        let Some(k) = *key else {
            return Poll::Ready(Ok(()));
        };
        {
            let mut waiters = lock(&self.waiters);
            match waiters.position(Some(k)) {
                Some(i) => {
                    let w = &mut waiters.senders[i];
                    if !w
                        .waker
                        .as_ref()
                        .is_some_and(|old| old.will_wake(cx.waker()))
                    {
                        w.waker = Some(cx.waker().clone());
                    }
                }
                None => {
                    *key = None;
                    return Poll::Ready(settled(&mut waiters, k));
                }
            }
        }
        fence(Ordering::SeqCst);
        self.serve_waiting();
        let mut waiters = lock(&self.waiters);
        if waiters.position(Some(k)).is_some() {
            return Poll::Pending;
        }
        *key = None;
        Poll::Ready(settled(&mut waiters, k))
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
        let (left, served) = {
            let mut waiters = lock(&self.waiters);
            let at = waiters.position(Some(key));
            let left = at.and_then(|i| waiters.senders.remove(i));
            let served = waiters.serve(&self.queue);
            self.senders_waiting
                .store(waiters.senders.len(), Ordering::Relaxed);
            (left, served)
        };
        drop(left); // rule 5: outside the lock
        served.wakers.into_iter().for_each(Waker::wake);
        if served.queued {
            self.pushed();
        }
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
            let senders = std::mem::take(&mut waiters.senders);
            let parked = senders.iter().filter(|w| w.parked.is_some());
            let keys: Vec<u64> = parked.map(|w| w.key).collect();
            waiters.dropped_by_close.extend(keys);
            senders
        };
        // Rule 5: parked values are dropped here, outside the lock.
        for waiting in senders {
            if let Some(waker) = waiting.waker {
                waker.wake();
            }
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

/// How a parked value that left the waiting senders went (rule 6).
fn settled<T>(waiters: &mut Waiters<T>, key: u64) -> Result<(), ()> {
    match waiters.dropped_by_close.iter().position(|&k| k == key) {
        Some(i) => {
            waiters.dropped_by_close.swap_remove(i);
            Err(())
        }
        None => Ok(()),
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
