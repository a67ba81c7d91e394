//! Sleeping: `sleep` and `sleep_until` for stackful tasks, and the `Sleep`
//! future (`sleep_future`) for future tasks and async code.

use super::context::{current_core, current_task_unless_unwinding};
use super::core::Core;
use super::suspend::{suspend_as, suspend_task};
use super::time_control::now as clock_now;
use super::timer::{TimerGuard, TimerKey};
use super::wait_queue::Waiter;
use crate::generator::WaitKind;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Suspends the task for `duration`; other tasks run meanwhile. A zero
/// duration (or a deadline already past) still yields once, as
/// `asyncio.sleep(0)` does; `Duration::MAX` sleeps forever.
///
/// Never shorter than asked. Not a millisecond longer either: where
/// `epoll_wait`'s whole milliseconds would end the wait late (tokio and
/// asyncio wake on a millisecond grid), the executor arms a `timerfd` for
/// the exact time, so a 100 µs sleep takes about 130 µs, not 1.1 ms.
///
/// # Panics
///
/// Outside a task. While the task is unwinding (a destructor run by
/// cancellation or executor shutdown), it returns at once instead.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let ex = corun::Executor::new();
/// let start = Instant::now();
/// ex.block_on(|| corun::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) {
    let now = clock_now();
    match now.checked_add(duration) {
        Some(deadline) => sleep_from(now, deadline, "corun::sleep"),
        None => sleep_until_forever(),
    }
}

fn sleep_until_forever() {
    let Some(task) = current_task_unless_unwinding("corun::sleep") else {
        return;
    };
    while suspend_task(&task, "sleep (forever)").is_ok() {}
}

/// Suspends the task until `deadline`.
///
/// # Panics
///
/// Outside a task (see [`sleep`]).
pub fn sleep_until(deadline: Instant) {
    sleep_until_named(deadline, "corun::sleep_until");
}

/// `sleep_until`, with `what` naming the caller in panics.
pub(crate) fn sleep_until_named(deadline: Instant, what: &str) {
    sleep_from(clock_now(), deadline, what);
}

/// The sleep itself, `now` read by the caller: one clock read before the
/// wait and one after each wake-up.
fn sleep_from(now: Instant, deadline: Instant, what: &str) {
    let Some(task) = current_task_unless_unwinding(what) else {
        return;
    };
    let core = current_core(what);
    if now >= deadline {
        // asyncio.sleep(0): a sleep that is already over still lets every
        // other ready task run once, so a loop of them cannot starve them.
        let _ = suspend_as(what, WaitKind::Yielded);
        return;
    }
    loop {
        let key = core.timers.insert(deadline, Waiter::Task(task.clone()));
        let _entry = TimerGuard {
            timers: &core.timers,
            key,
        };
        if suspend_task(&task, "sleep").is_err() || core.clock.now() >= deadline {
            return;
        }
    }
}

/// A `Future` that completes at a deadline: [`sleep`] for future tasks
/// (`spawn_future`) and async code run by corun.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    /// `None`: so far away that `Instant` cannot hold it; never completes.
    deadline: Option<Instant>,
    entry: Option<(Rc<Core>, TimerKey)>,
}

/// A future that completes after `duration`; poll it on a corun executor.
/// A duration too large for `Instant` (`Duration::MAX`) never completes,
/// as [`sleep`] sleeps forever.
///
/// ```
/// use std::time::Duration;
///
/// let ex = corun::Executor::new();
/// let h = ex.spawn_future(async {
///     corun::time::sleep_future(Duration::from_millis(2)).await;
///     "slept"
/// });
/// assert_eq!(ex.block_on(|| h.join().unwrap()), "slept");
/// ```
pub fn sleep_future(duration: Duration) -> Sleep {
    Sleep {
        deadline: clock_now().checked_add(duration),
        entry: None,
    }
}

/// A future that completes at `deadline` (tokio's `sleep_until`, for async
/// code); one whose deadline has passed is ready at its first poll.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let ex = corun::Executor::new();
/// let deadline = Instant::now() + Duration::from_millis(2);
/// let h = ex.spawn_future(async move {
///     corun::time::sleep_until_future(deadline).await;
///     Instant::now() >= deadline
/// });
/// assert!(ex.block_on(|| h.join().unwrap()));
/// ```
pub fn sleep_until_future(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Some(deadline),
        entry: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((core, key)) = self.entry.take() {
            core.timers.remove(key);
        }
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        if clock_now() >= deadline {
            return Poll::Ready(());
        }
        let core = current_core("corun::Sleep::poll");
        let key = core
            .timers
            .insert(deadline, Waiter::Waker(cx.waker().clone()));
        self.entry = Some((core, key));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((core, key)) = self.entry.take() {
            core.timers.remove(key);
        }
    }
}
