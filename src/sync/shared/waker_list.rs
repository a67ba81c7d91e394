//! The waiters of a shared primitive whose wake hands nothing over
//! (`watch`, `broadcast`): each waiter looks again when it runs, so a wake
//! takes every waker out, and a waiter that leaves owes nothing. Kept
//! under the primitive's own lock.

use std::task::Waker;

/// Wakers, each under the key its waiter keeps between polls.
#[derive(Debug, Default)]
pub(super) struct WakerList {
    waiting: Vec<(u64, Waker)>,
    next_key: u64,
}

/// Wakers taken out of a [`WakerList`], to wake after the lock is let go.
#[must_use = "take the wakers to wake them after the lock is let go"]
pub(super) struct Taken(Vec<(u64, Waker)>);

impl Taken {
    pub(super) fn wake(self) {
        self.0.into_iter().for_each(|(_, w)| w.wake());
    }
}

impl WakerList {
    /// Leaves `waker` under `key` (a key is given on the first wait),
    /// replacing the one there; puts it back if a wake took it out and the
    /// waiter found nothing.
    pub(super) fn wait(&mut self, key: &mut Option<u64>, waker: &Waker) {
        let Some(k) = *key else {
            let k = self.next_key;
            self.next_key += 1;
            self.waiting.push((k, waker.clone()));
            *key = Some(k);
            return;
        };
        match self.waiting.iter_mut().find(|(at, _)| *at == k) {
            Some((_, queued)) => {
                if !queued.will_wake(waker) {
                    queued.clone_from(waker);
                }
            }
            None => self.waiting.push((k, waker.clone())),
        }
    }

    /// Takes this waiter out, if it is in.
    pub(super) fn leave(&mut self, key: &mut Option<u64>) {
        if let Some(k) = key.take() {
            self.waiting.retain(|(at, _)| *at != k);
        }
    }

    /// Takes every waker out, to wake once the lock is let go.
    pub(super) fn take_all(&mut self) -> Taken {
        Taken(std::mem::take(&mut self.waiting))
    }

    pub(super) fn len(&self) -> usize {
        self.waiting.len()
    }
}
