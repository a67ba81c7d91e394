//! `Interval`: a clock that ticks every period, skipping the ticks a busy
//! task missed.

use super::sleep::sleep_until_named;
use std::time::{Duration, Instant};

/// A clock that ticks every `period`; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    /// `None` once the next tick lies past what an `Instant` can hold: it
    /// never comes, as `sleep(Duration::MAX)` never ends.
    next: Option<Instant>,
    period: Duration,
}

/// A clock whose first tick is now and whose ticks come every `period`.
/// A tick that is late (the task was busy) fires at once, and the ticks it
/// made the task miss are skipped, so ticks never bunch up.
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     let mut clock = corun::time::interval(Duration::from_millis(2));
///     let first = clock.tick();
///     let second = clock.tick();
///     assert!(second - first >= Duration::from_millis(2));
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "corun::interval: the period must not be zero"
    );
    Interval {
        next: Some(Instant::now()),
        period,
    }
}

impl Interval {
    /// Waits for the next tick and returns when it was due. With a period
    /// too long for the clock (`Duration::MAX`), the ticks after the first
    /// never come: the task waits as [`sleep`](crate::sleep) does for ever
    /// (cancel it, or use a timeout), and gets the time it woke.
    pub fn tick(&mut self) -> Instant {
        let Some(due) = self.next else {
            super::sleep::sleep(Duration::MAX);
            return Instant::now();
        };
        sleep_until_named(due, "Interval::tick");
        let now = Instant::now();
        self.next = due.checked_add(self.period).and_then(|next| {
            if next > now {
                return Some(next);
            }
            let behind = (now - next).as_nanos() / self.period.as_nanos() + 1;
            let skip = u32::try_from(behind).unwrap_or(u32::MAX);
            next.checked_add(self.period.saturating_mul(skip))
        });
        due
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
