//! Each executor's clock, which a test may pause (tokio's `time::pause`,
//! trio's `MockClock(autojump_threshold=0)`): time then stands still
//! until it is advanced by hand, or jumps to the next timer whenever no
//! task is ready, so that an hour of sleeps, timeouts and intervals runs in
//! microseconds and always in the same order.
//!
//! Rules:
//! 1. Every deadline the executor keeps (sleeps, timeouts, intervals,
//!    socket timeouts) is read against this clock, in `std::time::Instant`s:
//!    the real clock until the first pause; while paused, one frozen
//!    instant; after a resume, the instant it resumed at plus the real
//!    time since.
//! 2. The clock never goes back. Pausing freezes it where it is; resuming
//!    lets it run on from there at the real pace, so it is then ahead of
//!    the real clock by what was advanced, less the real time the pause
//!    lasted (tokio's `resume`): a timer set while paused ends when the
//!    clock reaches it, not at once.
//! 3. While paused, an executor with no ready task first looks for I/O
//!    and other threads' wakes without sleeping, and if none came, moves
//!    the clock to the next timer's deadline and fires it (tokio's
//!    auto-advance). With no timer at all it waits for real, as before;
//!    the deadlock check still applies.
//! 4. Code outside every executor reads the real clock.

use std::cell::Cell;
use std::time::Instant;

/// One executor's clock (rule 1).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    /// The frozen instant while paused.
    paused: Cell<Option<Instant>>,
    /// Once resumed: the clock's instant at the resume and the real one
    /// then. The clock runs at the real clock's pace from there, ahead of
    /// it or behind (rule 2): a pause that lasted longer than what was
    /// advanced leaves it behind.
    resumed: Cell<Option<(Instant, Instant)>>,
}

impl Clock {
    /// The current instant of this clock.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        if let Some(frozen) = self.paused.get() {
            return frozen;
        }
        let real = Instant::now();
        match self.resumed.get() {
            None => real,
            Some((clock, at)) => {
                let ran = real.saturating_duration_since(at);
                clock.checked_add(ran).unwrap_or(clock)
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
            self.resumed.set(Some((frozen, Instant::now())));
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
