//! A channel that holds one value, the latest: tokio's `watch`, for the
//! tasks of one executor. Senders store; each receiver sees the latest
//! value and can wait until it changes. Values stored while a receiver
//! looks elsewhere are not queued for it: it sees the latest one.
//!
//! Rules:
//! 1. The channel holds one value and a version, bumped by every store
//!    ([`send`](Sender::send), [`send_replace`](Sender::send_replace),
//!    [`send_modify`](Sender::send_modify), and
//!    [`send_if_modified`](Sender::send_if_modified) when its closure
//!    returns `true`). Each receiver remembers the version it has seen; the
//!    value is unseen by it while the two differ.
//! 2. A receiver made by [`channel`] or [`subscribe`](Sender::subscribe)
//!    has seen the current value; a clone has seen what its original has.
//! 3. A store wakes every waiting receiver, and each looks at its version
//!    again when it runs: nothing is handed over, so a waiter that leaves
//!    (cancelled, timed out, its future dropped) owes nothing to anyone.
//! 4. The channel closes for the receivers when its last sender is
//!    dropped: a wait still returns an unseen value first, then fails
//!    with [`RecvError`](error::RecvError). It closes for the senders
//!    when its last receiver is dropped: `send` then fails and hands the
//!    value back, while `send_replace` and `send_modify` still store.
//! 5. The value is lent, not copied: a `Ref` from `borrow`,
//!    `borrow_and_update` or `wait_for` must be dropped before a sender
//!    stores. One thread runs both sides, so a send that finds the value
//!    borrowed could never wait for it to be released: it panics, saying
//!    so. Holding a `Ref` across a wait is what leads there.
//! 6. A task that is unwinding never waits: a receiver's wait that cannot
//!    complete at once fails, and [`Sender::closed`] returns at once.
//!
//! ```
//! use corun::sync::watch;
//!
//! let ex = corun::Executor::new();
//! let (tx, rx) = watch::channel("starting");
//! let watchers: Vec<_> = (0..2)
//!     .map(|_| {
//!         let mut rx = rx.clone();
//!         ex.spawn(move || {
//!             rx.wait_for(|state| *state == "ready").unwrap();
//!             *rx.borrow()
//!         })
//!     })
//!     .collect();
//! ex.block_on(|| {
//!     corun::yield_now(); // both wait now
//!     tx.send("loading").unwrap(); // wakes them; they wait again
//!     tx.send("ready").unwrap();
//!     for w in watchers {
//!         assert_eq!(w.join().unwrap(), "ready");
//!     }
//! });
//! ```
//!
//! The halves are for one thread, as the executor is:
//!
//! ```compile_fail
//! fn assert_send<T: Send>(_: T) {}
//! assert_send(corun::sync::watch::channel(0u8).1);
//! ```

pub mod error;
mod receiver;
mod sender;
mod shared;
mod stream;

pub use receiver::{Changed, Receiver};
pub use sender::{Closed, Sender};
pub use stream::WatchStream;

/// Makes a watch channel holding `init`: one sender, and a receiver that
/// has seen `init`. More receivers come from [`Sender::subscribe`] and
/// [`Receiver::clone`], more senders from [`Sender::clone`].
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, mut rx) = corun::sync::watch::channel(0);
/// let doubler = ex.spawn(move || {
///     rx.changed().unwrap();
///     *rx.borrow() * 2
/// });
/// ex.block_on(|| {
///     corun::yield_now();
///     tx.send(21).unwrap();
///     assert_eq!(doubler.join().unwrap(), 42);
/// });
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let sender = Sender::new(init);
    let receiver = sender.subscribe();
    (sender, receiver)
}
