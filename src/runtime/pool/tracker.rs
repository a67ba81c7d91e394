//! A pool's outstanding jobs: how many, who waits for none to be left
//! (`Pool::join`), and how to cancel each (`Pool::terminate`). This is the
//! only place its lock is taken.
//!
//! Rules:
//! 1. A job is counted (`enter`) before it is spawned and leaves exactly
//!    once, when its [`JobGuard`] is dropped: the pool shares it between
//!    the job's closure and its outcome, so that is once the outcome is
//!    stored and the closure is gone (run, unwound, or dropped unrun).
//! 2. Its canceller is filed after the spawn. A job that ended before that
//!    leaves a tombstone instead, which the filing consumes, so no entry is
//!    left behind for a job that is gone.
//! 3. The last job to leave wakes every waiter, taken under the lock; a
//!    waiter checks the count and leaves its waker under the same lock.
//! 4. `cancel_all` (terminate) marks the tracker under the lock: no job
//!    enters after it (a map or imap under way gets cancelled handles), and
//!    one that entered before but files its canceller after is cancelled
//!    as it files.

use crate::loom::{lock, Arc, Mutex};
use std::collections::{HashMap, HashSet};
use std::task::{Context, Poll, Waker};

/// What the tracker can ask of a filed job (closures, since loom's `Arc`
/// cannot be coerced to a trait object).
#[derive(Clone)]
pub(crate) struct Canceller {
    /// Requests its cancellation.
    pub(crate) cancel: std::sync::Arc<dyn Fn() + Send + Sync>,
    /// Whether the caller is the job's own task.
    pub(crate) runs_the_caller: std::sync::Arc<dyn Fn() -> bool + Send + Sync>,
}

#[derive(Default)]
struct State {
    count: usize,
    next_id: u64,
    cancellers: HashMap<u64, Canceller>,
    tombstones: HashSet<u64>,
    waiters: Vec<Waker>,
    terminated: bool,
}

/// The outstanding jobs of one pool.
#[derive(Default)]
pub(crate) struct Tracker {
    state: Mutex<State>,
}

/// Held by a job: leaving the pool's count when dropped (rule 1).
pub(crate) struct JobGuard {
    tracker: Arc<Tracker>,
    id: u64,
}

impl Tracker {
    /// Rule 1: counts a new job; `None` once terminated (rule 4).
    pub(crate) fn enter(tracker: &Arc<Tracker>) -> Option<JobGuard> {
        let mut state = lock(&tracker.state);
        if state.terminated {
            return None;
        }
        state.count += 1;
        let id = state.next_id;
        state.next_id += 1;
        Some(JobGuard {
            tracker: tracker.clone(),
            id,
        })
    }

    /// Rules 2 and 4.
    pub(crate) fn file(&self, id: u64, canceller: Canceller) {
        let cancel_now = {
            let mut state = lock(&self.state);
            if state.tombstones.remove(&id) {
                return;
            }
            if state.terminated {
                true
            } else {
                state.cancellers.insert(id, canceller.clone());
                false
            }
        };
        if cancel_now {
            (canceller.cancel)();
        }
    }

    /// Rule 3, the waiter's side.
    pub(crate) fn poll_idle(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.state);
        if state.count == 0 {
            return Poll::Ready(());
        }
        if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            state.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Whether [`cancel_all`](Tracker::cancel_all) was called (rule 4).
    pub(crate) fn is_terminated(&self) -> bool {
        lock(&self.state).terminated
    }

    /// Requests cancellation of every job still outstanding.
    pub(crate) fn cancel_all(&self) {
        let cancellers: Vec<_> = {
            let mut state = lock(&self.state);
            state.terminated = true;
            state.cancellers.values().cloned().collect()
        };
        for canceller in cancellers {
            (canceller.cancel)();
        }
    }

    /// Whether the caller is one of the outstanding jobs (a `join` from it
    /// would wait for itself).
    pub(crate) fn runs_the_caller(&self) -> bool {
        let filed: Vec<_> = lock(&self.state).cancellers.values().cloned().collect();
        filed.iter().any(|job| (job.runs_the_caller)())
    }

    pub(crate) fn outstanding(&self) -> usize {
        lock(&self.state).count
    }
}

impl JobGuard {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        let (waiters, canceller) = {
            let mut state = lock(&self.tracker.state);
            state.count -= 1;
            let canceller = state.cancellers.remove(&self.id);
            if canceller.is_none() {
                state.tombstones.insert(self.id);
            }
            let waiters = if state.count == 0 {
                std::mem::take(&mut state.waiters)
            } else {
                Vec::new()
            };
            (waiters, canceller)
        };
        // Dropped outside the lock: it may be the last owner of the job's
        // completion.
        drop(canceller);
        for waker in waiters {
            waker.wake();
        }
    }
}
