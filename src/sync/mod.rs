//! Synchronisation for the tasks of one executor (`!Send`): waiting
//! suspends only the waiting task, and every primitive also speaks futures.
//! Across threads and runtime workers: [`mpsc`] (channels and a oneshot for
//! `Send` values) and [`shared`] (a `Mutex`, an `RwLock`, a `Semaphore`,
//! a `Notify`, an `Event`, a `Barrier`, and `watch` and `broadcast`
//! channels, `Send + Sync`).
//!
//! | Python (`asyncio`)   | corun                                        |
//! |----------------------|----------------------------------------------|
//! | `asyncio.Queue(n)`   | [`channel`]`(n)`; `Queue()`, `Queue(0)`: [`unbounded_channel`] |
//! | `asyncio.Future`     | [`oneshot`]                                  |
//! | `asyncio.Semaphore`  | [`Semaphore`]                                |
//! | `asyncio.Lock`       | [`Mutex`]                                    |
//! | `asyncio.Event`      | [`Event`]                                    |
//! | `asyncio.Condition`  | [`Condvar`] with a [`Mutex`]                 |
//! | `asyncio.Barrier`    | [`Barrier`]                                  |
//! | `asyncio.gather`     | [`join_all`], [`WaitGroup`]                  |
//! | (tokio) `Notify`     | [`Notify`]                                   |
//! | (tokio) `RwLock`     | [`RwLock`]                                   |
//! | (tokio) `broadcast`  | [`broadcast::channel`]: every receiver sees every value |
//! | (tokio) `watch`      | [`watch::channel`]: the latest value, and waits for it to change |
//! | (tokio) `OnceCell`   | [`OnceCell`]: set once, by an initialiser that may wait |
//!
//! Common rules:
//! - The plain method (`recv`, `send`, `acquire`, `lock`, `wait`) suspends
//!   the calling stackful task; `try_*` never suspends; `*_async` returns a
//!   future for future tasks (`spawn_future`) and async code (so does
//!   [`Notify::notified`], under tokio's name).
//! - Waiters are served in arrival order, and what they wait for (a value,
//!   a permit, the lock, a notification) is handed to the oldest waiter:
//!   a newcomer never overtakes one that waits.
//! - A waiter that is cancelled, times out ([`timeout`](crate::timeout)) or
//!   whose future is dropped leaves the queue; anything already handed to it
//!   goes on to the next waiter, so nothing is lost.
//! - A task that is unwinding (cancelled, or its executor dropped) never
//!   suspends: a wait that cannot complete at once returns an error, or
//!   returns at once where there is no error to give (each method says).
//! - Waiting outside a task panics with a message naming the method.
//!
//! ```
//! use corun::sync::channel;
//!
//! let ex = corun::Executor::new();
//! let (tx, rx) = channel(8);
//! ex.spawn(move || {
//!     for word in ["generators", "tasks", "channels"] {
//!         tx.send(word).unwrap();
//!     }
//! });
//! let words: Vec<&str> = ex.block_on(|| rx.iter().collect());
//! assert_eq!(words, ["generators", "tasks", "channels"]);
//! ```
//!
//! The types are for one thread, as the executor is:
//!
//! ```compile_fail
//! fn assert_send<T: Send>(_: T) {}
//! assert_send(corun::sync::channel::<u8>(1).0);
//! ```
//!
//! ```compile_fail
//! fn assert_sync<T: Sync>(_: T) {}
//! assert_sync(corun::sync::Mutex::new(0u8));
//! ```

mod barrier;
pub mod broadcast;
mod channel;
mod channel_async;
mod condvar;
mod error;
mod guard_access;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
mod oneshot;
mod recheck_wait;
mod rwlock;
mod semaphore;
pub mod shared;
mod wait_group;
pub(crate) mod wait_here;
pub mod watch;

pub use barrier::{Barrier, BarrierError, BarrierWait, BarrierWaitResult};
pub use channel::{channel, unbounded_channel, Receiver, Sender};
pub use channel_async::{IntoIter, Iter, RecvFuture, SendFuture};
pub use condvar::{Condvar, CondvarWait};
pub use error::{RecvError, SendError, TryRecvError, TrySendError};
pub use mutex::{Lock, Mutex, MutexGuard, TryLockError};
pub use notify::{Event, EventWait, Notified, Notify};
pub use once_cell::{OnceCell, SetError};
pub use oneshot::{oneshot, OneshotReceiver, OneshotSender};
pub use rwlock::{RwLock, RwLockRead, RwLockReadGuard, RwLockWrite, RwLockWriteGuard};
pub use semaphore::{Acquire, AcquireError, Semaphore, SemaphorePermit, TryAcquireError};
pub use wait_group::{join_all, WaitGroup, WaitGroupWait};
