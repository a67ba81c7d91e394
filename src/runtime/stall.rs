//! Stall warnings: a task that holds its worker too long without waiting
//! starves every other task of that worker (cooperative scheduling's one
//! classic failure). A monitor thread reads each worker's turn clock and
//! reports such a task once per turn: its id, its worker, where it was
//! spawned, and for how long it has held the worker so far.

use crate::executor::turn_clock::TurnClock;
use crate::executor::TaskId;
use crate::loom::Arc;
// std's: the monitor's stop signal is a timed sleep, not a protocol the
// loom models check (loom has no clock).
use std::fmt;
use std::panic::Location;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A task that has held its worker for longer than the runtime's
/// [`stall_warning`](super::RuntimeBuilder::stall_warning) threshold.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StallReport {
    /// The task (ids are per worker).
    pub task: TaskId,
    /// The worker it holds.
    pub worker: usize,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// How long it had held the worker when this report was made.
    pub held_for: Duration,
}

impl fmt::Display for StallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "corun: task {} (spawned at {}) has held worker {} for {:?} without waiting; the \
             other tasks of that worker cannot run meanwhile (call corun::yield_now() in its loop, \
             run the work with corun::unblock, or give CPU-bound jobs a Pool of their own \
             so they do not share workers with tasks that must answer)",
            self.task, self.spawned_at, self.worker, self.held_for
        )
    }
}

/// Where reports go.
pub(crate) type OnStall = std::sync::Arc<dyn Fn(&StallReport) + Send + Sync>;

/// The monitor thread and how to stop it.
pub(crate) struct Monitor {
    stop: std::sync::Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Monitor {
    /// Starts watching `clocks` (one per worker, in worker order).
    pub(crate) fn start(
        clocks: Vec<Arc<TurnClock>>,
        threshold: Duration,
        report: OnStall,
    ) -> std::io::Result<Monitor> {
        let stop = std::sync::Arc::new((Mutex::new(false), Condvar::new()));
        let period = (threshold / 4).max(Duration::from_millis(1));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("corun-stall-monitor".into())
            .spawn(move || watch(&clocks, threshold, period, &report, &signal))?;
        Ok(Monitor {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread and joins it.
    pub(crate) fn stop(&mut self) {
        *self.stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stop.1.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch(
    clocks: &[Arc<TurnClock>],
    threshold: Duration,
    period: Duration,
    report: &OnStall,
    stop: &(Mutex<bool>, Condvar),
) {
    let mut reported: Vec<Option<(TaskId, Instant)>> = vec![None; clocks.len()];
    loop {
        {
            let stopped = stop.0.lock().unwrap_or_else(|e| e.into_inner());
            let (stopped, _) = stop
                .1
                .wait_timeout(stopped, period)
                .unwrap_or_else(|e| e.into_inner());
            if *stopped {
                return;
            }
        }
        // The lock is released: a slow report never delays `stop`'s flag.
        for (worker, clock) in clocks.iter().enumerate() {
            let Some(turn) = clock.current() else {
                continue;
            };
            let held_for = turn.since.elapsed();
            let this_turn = Some((turn.task, turn.since));
            if held_for >= threshold && reported[worker] != this_turn {
                reported[worker] = this_turn;
                let stall = StallReport {
                    task: turn.task,
                    worker,
                    spawned_at: turn.location,
                    held_for,
                };
                // A callback that panics loses its one report (the panic
                // hook has printed it), not every later one: the monitor
                // thread goes on.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| report(&stall)));
            }
        }
    }
}
