//! `Interval`: a clock that ticks every period; what it does about the
//! ticks a busy task missed is its [`MissedTickBehavior`].

use super::sleep::sleep_until_named;
use super::time_control::now as clock_now;
use std::time::{Duration, Instant};

/// A clock that ticks every `period`; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    /// `None` once the next tick lies past what an `Instant` can hold: it
    /// never comes, as `sleep(Duration::MAX)` never ends.
    next: Option<Instant>,
    period: Duration,
    missed: MissedTickBehavior,
}

/// What an [`Interval`] does when a tick comes late (the task was busy
/// past one or more ticks): tokio's `MissedTickBehavior`.
///
/// corun's default is [`Skip`](MissedTickBehavior::Skip), where tokio's
/// is `Burst`: a task that was busy for ten periods then runs once, not
/// ten times back to back, which is what a periodic job usually wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Every missed tick fires, at once, one after the other, until the
    /// clock is back on its schedule (tokio's default).
    Burst,
    /// The late tick fires now, and the next one a whole period after it:
    /// the schedule shifts by the delay.
    Delay,
    /// The late tick fires now, and the ticks it missed are dropped: the
    /// next one is the next point of the original schedule.
    #[default]
    Skip,
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
    interval_at(clock_now(), period)
}

/// A clock whose first tick is at `start` and whose ticks come every
/// `period` after it (tokio's `interval_at`).
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let ex = corun::Executor::new();
/// let start = Instant::now() + Duration::from_millis(3);
/// let first = ex.block_on(|| corun::time::interval_at(start, Duration::from_secs(1)).tick());
/// assert_eq!(first, start); // when it was due; it came no earlier
/// assert!(Instant::now() >= start);
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "corun::interval: the period must not be zero"
    );
    Interval {
        next: Some(start),
        period,
        missed: MissedTickBehavior::default(),
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
            return clock_now();
        };
        sleep_until_named(due, "Interval::tick");
        self.ticked(due);
        due
    }

    /// [`tick`](Interval::tick) for future tasks and async code (tokio's
    /// `interval.tick().await`). Cancel-safe: a future dropped before its
    /// tick came takes nothing, and the next one waits for the same tick.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ex = corun::Executor::builder().start_paused(true).build();
    /// let h = ex.spawn_future(async {
    ///     let start = corun::time::now();
    ///     let mut clock = corun::time::interval(Duration::from_secs(10));
    ///     let mut at = Vec::new();
    ///     for _ in 0..3 {
    ///         at.push((clock.tick_async().await - start).as_secs());
    ///     }
    ///     at
    /// });
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), [0, 10, 20]);
    /// ```
    pub async fn tick_async(&mut self) -> Instant {
        let Some(due) = self.next else {
            return std::future::pending().await;
        };
        super::sleep::sleep_until_future(due).await;
        self.ticked(due);
        due
    }

    /// The tick due at `due` came: the next one, by the missed-tick rule.
    fn ticked(&mut self, due: Instant) {
        let now = clock_now();
        self.next = match self.missed {
            MissedTickBehavior::Burst => due.checked_add(self.period),
            MissedTickBehavior::Delay => now.checked_add(self.period),
            MissedTickBehavior::Skip => due.checked_add(self.period).and_then(|next| {
                if next > now {
                    return Some(next);
                }
                let behind = (now - next).as_nanos() / self.period.as_nanos() + 1;
                let skip = u32::try_from(behind).unwrap_or(u32::MAX);
                next.checked_add(self.period.saturating_mul(skip))
            }),
        };
    }

    /// Sets what the clock does about ticks it comes late for.
    ///
    /// ```
    /// use corun::time::{interval, MissedTickBehavior};
    /// use std::time::{Duration, Instant};
    ///
    /// let ex = corun::Executor::new();
    /// ex.block_on(|| {
    ///     let mut clock = interval(Duration::from_millis(1));
    ///     clock.set_missed_tick_behavior(MissedTickBehavior::Burst);
    ///     let first = clock.tick();
    ///     std::thread::sleep(Duration::from_millis(5)); // busy past four ticks
    ///     let late = [clock.tick(), clock.tick()];
    ///     // Burst: the missed ticks fire back to back, each one period on.
    ///     assert_eq!(late, [first + Duration::from_millis(1), first + Duration::from_millis(2)]);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// What the clock does about ticks it comes late for.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Starts the schedule again: the next tick one period from now.
    pub fn reset(&mut self) {
        // A period too long for the clock: the next tick never comes.
        self.next = clock_now().checked_add(self.period);
    }

    /// Starts the schedule again: the next tick now.
    pub fn reset_immediately(&mut self) {
        self.reset_at(clock_now());
    }

    /// Starts the schedule again: the next tick at `deadline`, the ones
    /// after it a period apart.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.next = Some(deadline);
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
