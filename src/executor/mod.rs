//! A single-threaded cooperative executor whose tasks are stackful
//! coroutines: Python's asyncio event loop, with tasks that read like plain
//! blocking code.
//!
//! A task is a generator driven by the executor: when it waits (`sleep`,
//! `join`, a channel, `await_`), it suspends to the executor, which runs
//! other tasks and waits in the OS when none is ready.
//!
//! The files stand in layers; each imports only from the layers below it
//! (and from `crate::generator` and `crate::stack`):
//!
//! 1. The task cell and its states: `task` (header, run queue, wake,
//!    cancel, and `Turns`, what a turn needs of its executor), `task_body` (a body as a generator), `join_error`,
//!    `task_info`, and the cross-thread half, `idle` (the idle/notify word),
//!    `remote` (wakes from other threads) and `turn_clock` (what a
//!    runtime's stall monitor reads); `call_on_drop`.
//! 2. Waiting: `wait_queue` (the one wait queue), `timer`, `precise_wake`
//!    (timers finer than epoll's milliseconds), `reactor` (the
//!    I/O sources registered on the executor's poll), `suspend`
//!    (suspending the running task), `join_slot`, and the kinds of task,
//!    `stackful_task`, `future_task` and `foreign_task`.
//! 3. The core loop: `core`.
//! 4. The public handles: `context` (the thread's current executor),
//!    `waiting` (how a caller waits on a wait queue), `io_wait` (how a task
//!    waits for a reactor record; `crate::io` builds on it), `join_handle`,
//!    `join_set` (results as tasks finish),
//!    `spawn`, `yield_now`, `sleep`, `timeout`, `interval`, `bridge`
//!    (`await_`), `scope`, and `local_executor` and `builder` (`Executor`,
//!    `ExecutorBuilder`); `hooks`, what the cross-thread layers above (the
//!    runtime, `sync::mpsc`) need from the executor.

// 1. The task cell and its states.
pub(crate) mod call_on_drop;
mod idle;
mod join_error;
mod remote;
mod task;
mod task_body;
mod task_info;
pub(crate) mod turn_clock;

// 2. Wait queues, timers, the clock, and the kinds of task.
pub(crate) mod clock;
mod foreign_task;
mod future_task;
mod join_slot;
mod precise_wake;
pub(crate) mod reactor;
mod stackful_task;
mod suspend;
mod timer;
mod wait_queue;

// 3. The core loop.
mod core;

// 4. The public handles.
mod bridge;
mod builder;
mod context;
pub(crate) mod hooks;
mod interval;
pub(crate) mod io_wait;
mod join_handle;
mod join_set;
mod local_executor;
mod scope;
mod sleep;
mod spawn;
mod time_control;
mod timeout;
mod timeout_future;
mod waiting;
mod yield_now;

pub use bridge::await_;
pub use builder::ExecutorBuilder;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use join_error::JoinError;
pub use join_handle::JoinHandle;
pub use join_set::JoinSet;
pub use local_executor::Executor;
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use sleep::{sleep, sleep_future, sleep_until, sleep_until_future, Sleep};
pub use spawn::{spawn, spawn_future};
pub use task::{TaskId, TaskKind};
pub use task_info::{TaskInfo, TaskState};
pub use time_control::{advance, is_paused, now, pause, resume};
pub use timeout::{timeout, timeout_at, Elapsed};
pub use timeout_future::{timeout_at_future, timeout_future, Timeout};
pub use yield_now::{yield_now, yield_now_future, YieldNow};

// For the sync layer.
pub(crate) use wait_queue::{Cancelled, Entry, WaitQueue};
pub(crate) use waiting::{block, register_caller, waiter_for, Unwinding};

/// Auto traits that must hold, checked at compile time.
#[allow(dead_code)]
fn _auto_traits() {
    fn unpin<T: Unpin>() {}
    fn send_sync<T: Send + Sync + 'static>() {}
    unpin::<JoinHandle<u8>>();
    unpin::<Executor>();
    send_sync::<JoinError>();
}
