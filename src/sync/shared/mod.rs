//! Synchronisation shared between threads: `Send + Sync` primitives for
//! the tasks of a [`Runtime`](crate::Runtime)'s workers, plain threads and
//! any executor's tasks at once (the executor-local ones in
//! [`corun::sync`](crate::sync) are cheaper where every user is on one
//! executor). The channels for `Send` values are in
//! [`sync::mpsc`](crate::sync::mpsc); the latest value for every worker,
//! in [`watch`]; every value for every receiver, in [`broadcast`].
//!
//! Each wait suspends a stackful task (only it), blocks a plain thread,
//! and has an `_async` future for async code; the waiter queue sits behind
//! one lock, and wakers are woken after it is let go.
//!
//! Under `--cfg loom` the lock and the blocking waits are loom's, so the
//! models in this module (and a user's own) check them.

mod barrier;
pub mod broadcast;
mod event;
mod mutex;
mod notify;
mod rwlock;
mod semaphore;
mod waker_list;
pub mod watch;

/// The same cell as [`sync::OnceCell`](crate::sync::OnceCell): it works
/// across workers and threads already.
pub use crate::sync::OnceCell;
pub use barrier::{Barrier, BarrierWait};
pub use event::{Event, EventWait};
pub use mutex::{Mutex, MutexGuard};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Acquire, OwnedSemaphorePermit, Semaphore, SemaphorePermit};

#[cfg(all(test, loom))]
mod loom_tests;
