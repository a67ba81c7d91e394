//! Tasks: spawning them, waiting for them, cancelling them, and seeing what
//! they do (tokio's `tokio::task`).
//!
//! | Python (`asyncio`)                 | corun                                  |
//! |------------------------------------|----------------------------------------|
//! | `asyncio.create_task(coro)`        | [`spawn`], [`spawn_future`]            |
//! | `await task`                       | [`JoinHandle::join`] (`.await` in async code) |
//! | `task.cancel()`                    | [`JoinHandle::cancel`]                 |
//! | `await asyncio.sleep(0)`           | [`yield_now`]; async: [`yield_now_future`] |
//! | `await some_awaitable`             | [`await_`]                             |
//! | `asyncio.TaskGroup` / trio nursery | [`scope`]                              |
//! | `asyncio.as_completed(tasks)`      | [`JoinSet::join_next`]                 |
//! | `asyncio.all_tasks()`              | [`Executor::tasks`](crate::Executor::tasks) → [`TaskInfo`] |
//!
//! ```
//! use corun::task::{self, TaskKind, TaskState};
//! use std::time::Duration;
//!
//! let ex = corun::Executor::new();
//! let sum = ex.block_on(|| {
//!     let a = task::spawn(|| 20);
//!     let b = task::spawn_future(async { 22 });
//!     task::yield_now();
//!     a.join().unwrap() + b.join().unwrap()
//! });
//! assert_eq!(sum, 42);
//!
//! let sleeper = ex.spawn(|| corun::sleep(Duration::from_secs(60)));
//! ex.block_on(task::yield_now);
//! let info = &ex.tasks()[0];
//! assert_eq!((info.id, info.kind), (sleeper.id(), TaskKind::Stackful));
//! assert_eq!(info.state, TaskState::Blocked { on: "sleep" });
//! ```

pub use crate::executor::{
    await_, scope, spawn, spawn_future, yield_now, yield_now_future, JoinError, JoinHandle,
    JoinSet, Scope, ScopedJoinHandle, TaskId, TaskInfo, TaskKind, TaskState, YieldNow,
};
