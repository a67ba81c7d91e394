//! Time: sleeping, deadlines and clocks for tasks (tokio's `tokio::time`).
//! The plain functions suspend the calling stackful task; the `_future`
//! ones are the forms for future tasks and async code.
//!
//! | Python (`asyncio`)               | corun                              |
//! |----------------------------------|------------------------------------|
//! | `await asyncio.sleep(s)`         | [`sleep`], [`sleep_until`]         |
//! | `await asyncio.wait_for(aw, s)`  | [`timeout`] → `Err(`[`Elapsed`]`)` |
//! | a periodic loop                  | [`interval`] → [`Interval`]        |
//! | `async with asyncio.timeout_at(t)` | [`timeout_at`]                   |
//!
//! For tests: [`pause`] an executor's clock (or build it with
//! [`start_paused`](crate::ExecutorBuilder::start_paused)), and time stands
//! still while tasks are ready and jumps to the next deadline when none is;
//! [`advance`] moves it by hand, [`resume`] lets it run, and [`now`] reads
//! it (tokio's `time::pause`, `advance`, `resume`, `Instant::now`).
//!
//! For future tasks and async code: [`sleep_future`],
//! [`sleep_until_future`], and [`timeout_future`] / [`timeout_at_future`]
//! (tokio's `time::timeout`, a future with a deadline).
//!
//! ```
//! use corun::time::{self, Elapsed};
//! use std::time::Duration;
//!
//! let ex = corun::Executor::new();
//! let r: Result<(), Elapsed> = ex.block_on(|| {
//!     let mut clock = time::interval(Duration::from_millis(1));
//!     clock.tick();
//!     time::timeout(Duration::from_millis(2), || time::sleep(Duration::from_secs(9)))
//! });
//! assert!(r.is_err());
//! ```

pub use crate::executor::{
    advance, interval, interval_at, is_paused, now, pause, resume, sleep, sleep_future,
    sleep_until, sleep_until_future, timeout, timeout_at, timeout_at_future, timeout_future,
    Elapsed, Interval, MissedTickBehavior, Sleep, Timeout,
};
