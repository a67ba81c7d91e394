//! The public controls of an executor's clock (`corun::time::pause`,
//! `advance`, `resume`, `now`); the clock and its rules are in `clock.rs`.

use super::context::{try_with_current_core, with_current_core};
use super::hooks::can_suspend;
use super::suspend::suspend_as;
use crate::generator::WaitKind;
use std::time::{Duration, Instant};

/// The current instant of this thread's executor's clock: the real
/// `Instant::now()` unless a test paused or advanced it (see [`pause`]).
/// Outside every executor, the real clock. Compute deadlines from this,
/// not from `Instant::now()`, in code that may run under a paused clock
/// (tokio's `time::Instant::now`).
///
/// ```
/// use corun::time;
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     time::pause();
///     let start = time::now();
///     corun::sleep(Duration::from_secs(3600)); // no real hour passes
///     assert_eq!(time::now() - start, Duration::from_secs(3600));
/// });
/// ```
pub fn now() -> Instant {
    try_with_current_core(|core| core.clock.now()).unwrap_or_else(Instant::now)
}

/// Pauses this executor's clock, for tests: time stands still, except
/// that whenever no task is ready the clock jumps to the next timer's
/// deadline and fires it (tokio's `time::pause` with auto-advance). An
/// hour of sleeps, timeouts and intervals then runs in microseconds, in
/// the order their deadlines say. Pausing a paused clock changes nothing.
///
/// The jump does not wait for I/O that has not arrived or for wakes from
/// other threads still to come: it happens as soon as nothing is ready
/// now, as in tokio. A test that mixes a paused clock with real I/O or
/// other threads should give those waits no timeout, or advance by hand.
/// Deadlines computed from `std::time::Instant::now()` do not follow the
/// paused clock; use [`now`].
///
/// # Panics
///
/// Outside an executor (a task, `block_on`'s body, or code they call).
///
/// ```
/// use corun::time;
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let order = ex.block_on(|| {
///     time::pause();
///     let slow = corun::spawn(|| { corun::sleep(Duration::from_secs(60)); "slow" });
///     let fast = corun::spawn(|| { corun::sleep(Duration::from_secs(1)); "fast" });
///     let r = time::timeout(Duration::from_secs(30), || slow.join());
///     (r.is_err(), fast.join().unwrap())
/// });
/// assert_eq!(order, (true, "fast"));
/// ```
#[track_caller]
pub fn pause() {
    with_current_core("corun::time::pause", |core| core.clock.pause());
}

/// Lets a paused clock run on again from where it stood, at the real
/// clock's pace (tokio's `time::resume`): the real time that passed while
/// it was paused is not counted, and it never goes back.
///
/// # Panics
///
/// Outside an executor.
#[track_caller]
pub fn resume() {
    with_current_core("corun::time::resume", |core| core.clock.resume());
}

/// Whether this thread's executor's clock is paused (`false` outside
/// every executor).
pub fn is_paused() -> bool {
    try_with_current_core(|core| core.clock.is_paused()).unwrap_or(false)
}

/// Moves a paused clock forward by `duration` and fires every timer now
/// due; in a stackful task it then yields once, so that the tasks those
/// timers woke run before it returns (tokio's `time::advance`). A future
/// task cannot yield from here: `.await` something after it.
///
/// # Panics
///
/// Outside an executor, and if the clock is not paused (call [`pause`]
/// first: advancing a running clock would make every sleep end early).
///
/// ```
/// use corun::time;
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// ex.block_on(|| {
///     time::pause();
///     let start = time::now();
///     let h = corun::spawn(|| corun::sleep(Duration::from_secs(10)));
///     corun::yield_now(); // the task starts, and its sleep begins
///     time::advance(Duration::from_secs(4));
///     assert!(!h.is_finished());
///     time::advance(Duration::from_secs(6));
///     assert!(h.is_finished());
///     assert_eq!(time::now() - start, Duration::from_secs(10));
/// });
/// ```
#[track_caller]
pub fn advance(duration: Duration) {
    const WHAT: &str = "corun::time::advance";
    let paused = with_current_core(WHAT, |core| {
        if !core.clock.is_paused() {
            return false;
        }
        let now = core.clock.now();
        core.clock
            .advance_to(now.checked_add(duration).unwrap_or(now));
        core.timers.fire_expired(core.clock.now());
        true
    });
    assert!(
        paused,
        "{WHAT}: the clock is not paused; call corun::time::pause() first"
    );
    if can_suspend() {
        let _ = suspend_as(WHAT, WaitKind::Yielded);
    }
}
