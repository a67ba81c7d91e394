//! Each executor's clock, which a test may pause (tokio's `time::pause`,
//! trio's `MockClock(autojump_threshold=0)`): time then stands still
//! until it is advanced by hand, or jumps to the next timer whenever no
//! task is ready, so that an hour of sleeps, timeouts and intervals runs in
//! microseconds and always in the same order.
//!
//! Rules:
//! 1. Every deadline the executor keeps (sleeps, timeouts, intervals,
//!    socket timeouts) is read against this clock, in `std::time::Instant`s:
//!    the clock is the real one plus an offset, or, while paused, one
//!    frozen instant.
//! 2. The clock never goes back. Pausing freezes it where it is; resuming
//!    lets it run on from there (the offset keeps what was advanced).
//! 3. While paused, an executor with no ready task first looks for I/O
//!    and other threads' wakes without sleeping, and if none came, moves
//!    the clock to the next timer's deadline and fires it (tokio's
//!    auto-advance). With no timer at all it waits for real, as before;
//!    the deadlock check still applies.
//! 4. Code outside every executor reads the real clock.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// One executor's clock (rule 1).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    /// The frozen instant while paused.
    paused: Cell<Option<Instant>>,
    /// How far the clock runs ahead of the real one while not paused
    /// (what was advanced, rule 2).
    offset: Cell<Duration>,
}

impl Clock {
    /// The current instant of this clock.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match self.paused.get() {
            Some(frozen) => frozen,
            None => {
                let real = Instant::now();
                let offset = self.offset.get();
                if offset.is_zero() {
                    real
                } else {
                    real.checked_add(offset).unwrap_or(real)
                }
            }
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.get().is_some()
    }

    /// Freezes the clock where it is; a second pause changes nothing.
    pub(crate) fn pause(&self) {
        if self.paused.get().is_none() {
            self.paused.set(Some(self.now()));
        }
    }

    /// Lets a paused clock run on from its frozen instant (rule 2).
    pub(crate) fn resume(&self) {
        if let Some(frozen) = self.paused.take() {
            self.offset
                .set(frozen.saturating_duration_since(Instant::now()));
        }
    }

    /// Moves a paused clock forward to `to`, never back (rule 2).
    pub(crate) fn advance_to(&self, to: Instant) {
        if let Some(frozen) = self.paused.get() {
            if to > frozen {
                self.paused.set(Some(to));
            }
        }
    }
}
