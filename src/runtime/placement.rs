//! Where a new task goes: the worker with the fewest live runtime tasks,
//! ties broken by a rotating start so equal workers take turns.

use super::worker::WorkerShared;
use crate::loom::{Arc, AtomicUsize, Ordering};

/// Picks workers for new tasks.
pub(crate) struct Placement {
    next: AtomicUsize,
}

impl Placement {
    pub(crate) fn new() -> Self {
        Placement {
            next: AtomicUsize::new(0),
        }
    }

    /// The least-loaded worker. Loads are read without a lock, so two
    /// spawns at once may pick the same worker; the next ones see it.
    pub(crate) fn least_loaded(&self, workers: &[Arc<WorkerShared>]) -> usize {
        let n = workers.len();
        // Relaxed: only a hint that spreads ties.
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut best = start;
        let mut best_load = usize::MAX;
        for offset in 0..n {
            let i = (start + offset) % n;
            let load = workers[i].load();
            if load < best_load {
                best = i;
                best_load = load;
                if load == 0 {
                    break;
                }
            }
        }
        best
    }
}
