//! The executor's timers: an ordered map from deadline to waiter, so that
//! the next deadline is the first key and a cancelled sleep removes exactly
//! its own entry.

use super::wait_queue::Waiter;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Instant;

/// A timer entry's key: the deadline, then a sequence number so equal
/// deadlines fire in the order they were set.
pub(crate) type TimerKey = (Instant, u64);

#[derive(Default)]
pub(crate) struct Timers {
    entries: RefCell<BTreeMap<TimerKey, Waiter>>,
    next_seq: Cell<u64>,
}

impl Timers {
    pub(crate) fn insert(&self, deadline: Instant, waiter: Waiter) -> TimerKey {
        let seq = self.next_seq.get();
        self.next_seq.set(seq + 1);
        let key = (deadline, seq);
        self.entries.borrow_mut().insert(key, waiter);
        key
    }

    /// Removes an entry; `false` if it had already fired.
    pub(crate) fn remove(&self, key: TimerKey) -> bool {
        self.entries.borrow_mut().remove(&key).is_some()
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.entries.borrow().first_key_value().map(|(k, _)| k.0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    /// Wakes every waiter whose deadline is at or before `now`.
    pub(crate) fn fire_expired(&self, now: Instant) -> usize {
        let expired = {
            let mut entries = self.entries.borrow_mut();
            match entries.first_key_value() {
                Some((first, _)) if first.0 <= now => {}
                _ => return 0,
            }
            let later = entries.split_off(&(now, u64::MAX));
            std::mem::replace(&mut *entries, later)
        };
        let n = expired.len();
        for (_, waiter) in expired {
            waiter.wake();
        }
        n
    }

    pub(crate) fn clear(&self) {
        let all = std::mem::take(&mut *self.entries.borrow_mut());
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
