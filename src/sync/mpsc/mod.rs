//! Cross-thread channels for `Send` values: between runtime workers, plain
//! threads and tasks of any executor. Receiving suspends only a receiving
//! task, and blocks a receiving plain thread; every type also speaks
//! futures (`Stream`, `Sink`, `Future`).
//!
//! The method names and error types are those of the executor-local
//! [`corun::sync::channel`](crate::sync::channel): `send`, `recv`, `try_*`,
//! `*_async`; a send on a closed channel hands the value back.
//!
//! A future task (`spawn_future`) has no stack to suspend, so there the
//! blocking calls (`send`, `recv`) panic when they would have to wait:
//! blocking the worker's thread instead would stall the very task that
//! would answer. Use `send_async`, `recv_async`, the `Stream` or the `Sink`.
//!
//! Which to pick: the local channel when both ends live on one executor
//! (cheaper: no lock, no atomics, and `!Send` values are fine); these when
//! a value crosses threads or workers.
//!
//! ```
//! let rt = corun::Runtime::builder().workers(2).build()?;
//! let (tx, rx) = corun::sync::mpsc::channel(16);
//! // The receiver is a task on worker 1; it suspends while the channel is
//! // empty, so worker 1 runs other tasks meanwhile.
//! let sum = rt.spawn_on(1, move || rx.iter().sum::<u64>());
//! for i in 1..=100 {
//!     tx.send(i)?; // from this plain thread: blocks while the channel is full
//! }
//! drop(tx); // closes the channel: the receiver's loop ends
//! assert_eq!(sum.join()?, 5050);
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! There is one receiver: it is `Send` but not `Sync` (two threads cannot
//! wait on it at once):
//!
//! ```compile_fail
//! fn assert_sync<T: Sync>(_: T) {}
//! assert_sync(corun::sync::mpsc::channel::<u8>(1).1);
//! ```
//!
//! Under `--cfg loom` these use loom's atomics, locks and condition
//! variables, so a user's own loom model that sends and receives on
//! `loom::thread`s checks them too.

mod backoff;
mod chan;
mod oneshot;
mod receiver;
mod sender;

pub(crate) use backoff::Backoff;
pub use oneshot::{oneshot, OneshotReceiver, OneshotSender};
pub use receiver::{IntoIter, Iter, Receiver, RecvFuture};
pub use sender::{SendFuture, Sender};

use crate::loom::Arc;
use chan::Chan;

/// The largest capacity [`channel`] takes: its slots are allocated when
/// it is made (a lock-free ring), so a bound beyond what could ever be
/// allocated would abort the process instead of failing cleanly.
pub const MAX_CAPACITY: usize = 1 << 24;

/// A cross-thread channel with room for `capacity` values: senders wait
/// (suspend a task, block a thread) while it is full. The room is
/// allocated at once, as a ring of `capacity` slots.
///
/// # Panics
///
/// If `capacity` is zero (a rendezvous channel is not offered), or above
/// [`MAX_CAPACITY`] (use [`unbounded_channel`], which allocates as it
/// grows).
#[must_use]
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "corun::sync::mpsc::channel: the capacity must be at least 1 \
         (use unbounded_channel for no limit)"
    );
    assert!(
        capacity <= MAX_CAPACITY,
        "corun::sync::mpsc::channel: a capacity of {capacity} is above MAX_CAPACITY \
         ({MAX_CAPACITY}): a bounded channel allocates its slots at once; use \
         unbounded_channel for no practical limit"
    );
    let chan = Arc::new(Chan::new(Some(capacity)));
    (Sender::new(chan.clone()), Receiver::new(chan))
}

/// A cross-thread channel without a limit: `send` never waits.
#[must_use]
pub fn unbounded_channel<T>() -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(None));
    (Sender::new(chan.clone()), Receiver::new(chan))
}

/// Auto traits that must hold, checked at compile time.
#[allow(dead_code)]
fn _auto_traits() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sender<std::cell::Cell<u8>>>();
    send::<Receiver<std::cell::Cell<u8>>>();
    send::<OneshotSender<u8>>();
    send::<OneshotReceiver<u8>>();
}
