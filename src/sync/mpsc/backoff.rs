//! How a side that found the channel empty (or full) looks again a few
//! times before it waits for real.
//!
//! Why: a wait that ends in a suspension or a sleep is paid for on both
//! sides. The waiting side registers its waker and raises its flag (a lock
//! and a fence); the other side then takes the lock and wakes it, which
//! for a task on a worker that went idle is a system call plus the
//! worker's wake-up (tens of µs on these VMs, `shared/BENCHMARKING.md`).
//! Under a steady stream the answer is usually a few dozen nanoseconds
//! away, so a short backoff (crossbeam's shape: spins that double, then
//! yields) keeps both sides off the slow path. Nothing is registered
//! during the backoff, so the other side pays nothing for it.
//!
//! A task yields to its executor between looks (every other ready task
//! runs meanwhile, so nothing starves); a plain thread spins, then yields
//! its core. Under loom there is no backoff: it would only add
//! interleavings, and the models are about the wait itself.

use crate::executor::hooks::{can_suspend, ready_tasks};

/// Doublings of the spin between looks (the last spins 2^6 times).
const SPIN_STEPS: u32 = 6;
/// Looks before giving up and waiting for real.
const LOOKS: u32 = 16;

/// One backoff, for one wait.
pub(crate) struct Backoff {
    step: u32,
    in_task: bool,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            step: 0,
            in_task: can_suspend(),
        }
    }

    /// Lets a little time pass before the caller looks again; `false` once
    /// it should wait for real instead.
    pub(crate) fn snooze(&mut self) -> bool {
        if cfg!(loom) || self.step >= LOOKS {
            return false;
        }
        for _ in 0..1u32 << self.step.min(SPIN_STEPS) {
            std::hint::spin_loop();
        }
        if self.in_task {
            crate::executor::yield_now();
        }
        // Past the spins, the core too: the other side may be waiting for
        // it (a worker is pinned, and these machines are shared).
        if self.step > SPIN_STEPS && (!self.in_task || ready_tasks() == 0) {
            std::thread::yield_now();
        }
        self.step += 1;
        true
    }
}
