//! Timers finer than a millisecond. `epoll_wait` takes its timeout in whole
//! milliseconds, and mio rounds up, so a sleep of 100 µs took 1.1 ms and
//! every timer fired up to a millisecond late (tokio's wheel and asyncio
//! share that granularity). Before a wait that rounding would make late,
//! the executor arms a `timerfd`, registered on its `Poll`, for the exact
//! time: its event ends the wait on time. The rounded timeout stays as the
//! backstop.

use rustix::time::{
    timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags,
    Timespec,
};
use std::cell::Cell;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// The token of the timer's events, which only end a wait.
pub(crate) const PRECISE_TOKEN: mio::Token = mio::Token(usize::MAX - 1);

/// Lateness below this is left to the millisecond timeout: arming costs a
/// system call.
const TOLERANCE: Duration = Duration::from_micros(50);

/// Timeouts this long are left to the millisecond timeout too: a
/// millisecond is under a thousandth of them.
const LONG: Duration = Duration::from_secs(1);

pub(crate) struct PreciseWake {
    fd: OwnedFd,
    /// The instant the timer is armed for, if it has not fired yet as far
    /// as this side knows; a wait for the same instant arms nothing.
    armed_for: Cell<Option<Instant>>,
}

impl PreciseWake {
    pub(crate) fn new(registry: &mio::Registry) -> std::io::Result<Self> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        // Edge-triggered: every expiry is a new edge, so the timer is never
        // read.
        registry.register(
            &mut mio::unix::SourceFd(&fd.as_raw_fd()),
            PRECISE_TOKEN,
            mio::Interest::READABLE,
        )?;
        Ok(PreciseWake {
            fd,
            armed_for: Cell::new(None),
        })
    }

    /// Arms the timer for `timeout` from now if the millisecond timeout
    /// would end the wait more than [`TOLERANCE`] late.
    pub(crate) fn arm(&self, timeout: Option<Duration>) {
        let Some(timeout) = timeout else { return };
        if timeout.is_zero() || timeout >= LONG || lateness(timeout) < TOLERANCE {
            return;
        }
        let now = Instant::now();
        let at = now + timeout;
        if let Some(armed) = self.armed_for.get() {
            if armed > now && armed.max(at) - armed.min(at) < TOLERANCE {
                return;
            }
        }
        let spec = Itimerspec {
            it_interval: Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: Timespec {
                tv_sec: timeout.as_secs() as _,
                tv_nsec: timeout.subsec_nanos() as _,
            },
        };
        // A timer that cannot be armed leaves the millisecond timeout: late,
        // not lost.
        if timerfd_settime(&self.fd, TimerfdTimerFlags::empty(), &spec).is_ok() {
            self.armed_for.set(Some(at));
        }
    }
}

/// How much later than `timeout` a wait in whole milliseconds, rounded up,
/// ends.
fn lateness(timeout: Duration) -> Duration {
    let nanos = timeout.subsec_nanos() % 1_000_000;
    if nanos == 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(u64::from(1_000_000 - nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_is_what_rounding_up_to_milliseconds_adds() {
        assert_eq!(lateness(Duration::from_millis(3)), Duration::ZERO);
        assert_eq!(
            lateness(Duration::from_micros(100)),
            Duration::from_micros(900)
        );
        assert_eq!(
            lateness(Duration::from_micros(2_999)),
            Duration::from_micros(1)
        );
    }
}
