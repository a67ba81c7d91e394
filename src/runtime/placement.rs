//! Where a new task goes: by default the worker with the fewest live
//! runtime tasks (ties broken by a rotating start so equal workers take
//! turns), or plain round-robin.

use super::worker::WorkerShared;
use crate::loom::{Arc, AtomicUsize, Ordering};

/// How [`Runtime::spawn`](super::Runtime::spawn) picks a worker; set with
/// [`RuntimeBuilder::placement`](super::RuntimeBuilder::placement).
/// `spawn_on` always uses the worker it is given.
///
/// ```
/// use corun::runtime::Placement;
///
/// let rt = corun::Runtime::builder().workers(2).placement(Placement::RoundRobin).build()?;
/// let workers: Vec<usize> = (0..4).map(|_| rt.spawn(|| ()).worker()).collect();
/// assert_eq!(workers, [0, 1, 0, 1]);
/// # Ok::<(), corun::runtime::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// The worker with the fewest live runtime tasks (unstarted ones
    /// included).
    #[default]
    LeastLoaded,
    /// Each worker in turn, whatever its load.
    RoundRobin,
}

/// Picks workers for new tasks.
pub(crate) struct Placer {
    how: Placement,
    next: AtomicUsize,
}

impl Placer {
    pub(crate) fn new(how: Placement) -> Self {
        Placer {
            how,
            next: AtomicUsize::new(0),
        }
    }

    /// The worker for the next task. Loads are read without a lock, so two
    /// spawns at once may pick the same worker; the next ones see it.
    pub(crate) fn pick(&self, workers: &[Arc<WorkerShared>]) -> usize {
        let n = workers.len();
        // Relaxed: a counter that only spreads choices.
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        if self.how == Placement::RoundRobin {
            return start;
        }
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
