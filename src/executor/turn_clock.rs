//! What a runtime's stall monitor reads from another thread: which task is
//! in its turn on this executor, since when, and where it was spawned.
//! Installed only when stall warnings are on; then each turn costs two
//! uncontended lock round trips.

use super::TaskId;
use crate::loom::{lock, Mutex};
use std::panic::Location;
use std::time::Instant;

/// One turn: the task, where it was spawned, when the turn began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Turn {
    pub(crate) task: TaskId,
    pub(crate) location: &'static Location<'static>,
    pub(crate) since: Instant,
}

/// The turn in progress on one executor, if any.
#[derive(Debug, Default)]
pub(crate) struct TurnClock {
    current: Mutex<Option<Turn>>,
}

impl TurnClock {
    /// A turn begins; returns the turn it interrupts (a scope runs its
    /// tasks' turns inside its owner's), for [`end`](TurnClock::end).
    pub(crate) fn begin(&self, task: TaskId, location: &'static Location<'static>) -> Option<Turn> {
        lock(&self.current).replace(Turn {
            task,
            location,
            since: Instant::now(),
        })
    }

    /// The turn ends: the interrupted one (if any) is current again.
    pub(crate) fn end(&self, interrupted: Option<Turn>) {
        *lock(&self.current) = interrupted;
    }

    /// The turn in progress.
    pub(crate) fn current(&self) -> Option<Turn> {
        *lock(&self.current)
    }
}
