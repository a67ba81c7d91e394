//! A broadcast channel shared between threads, runtime workers and tasks
//! of any executor: tokio's `broadcast`, for `Send` values (an event bus
//! every worker listens to, a shutdown fan-out that carries a reason). The
//! rules are the executor-local [`sync::broadcast`](crate::sync::broadcast)'s:
//! 1. Each value sent is queued for every receiver alive at the send, and
//!    each receives it once, in send order (values are cloned out; the
//!    last receiver to take a value takes the original).
//! 2. The queue holds at most `capacity` values. A send into a full queue
//!    drops the oldest value: a receiver that had not taken it yet has
//!    *lagged*, and its next receive says by how many values
//!    ([`RecvError::Lagged`]) and then goes on from the oldest value still
//!    held. Senders never wait, so a slow receiver cannot hold back the
//!    others.
//! 3. A value leaves the queue as soon as every receiver it was queued for
//!    has taken it, or has been dropped.
//! 4. A receiver made by [`subscribe`](Sender::subscribe) (or
//!    [`resubscribe`](Receiver::resubscribe)) sees only the values sent
//!    after it was made.
//! 5. When the last sender is dropped, receivers take what is left, then
//!    get [`RecvError::Closed`]. When no receiver is left, `send` fails and
//!    hands the value back.
//! 6. A send wakes every waiting receiver, and each looks again when it
//!    runs: nothing is handed over, so a receiver that leaves its wait
//!    (cancelled, timed out, its future dropped) takes nothing with it.
//! 7. The queue sits behind one lock, and values are cloned out under it:
//!    a value's `Clone` must not use its own channel. Wakers are woken,
//!    and values dropped, after the lock is let go.
//! 8. A task that is unwinding never waits: a receive that would have to
//!    wait fails with [`RecvError::Unwinding`].
//!
//! `recv` suspends a stackful task (only it) and blocks a plain thread;
//! `recv_async` is the future for async code, and the receiver is a
//! `Stream` too.
//!
//! Under `--cfg loom` the lock and the blocking waits are loom's, so the
//! models check the channel that ships.

mod receiver;
mod sender;

pub use receiver::{Receiver, Recv};
pub use sender::Sender;

/// Why a receive returned no value: the executor-local channel's errors,
/// which carry no value and so serve both.
pub use crate::sync::broadcast::{RecvError, TryRecvError};

/// What [`Sender::send`] gives back when no receiver is left: the value.
/// The same type as the other channels'
/// [`sync::SendError`](crate::sync::SendError).
pub use crate::sync::SendError;

use super::waker_list::WakerList;
use crate::loom::{lock, Mutex};
use std::collections::VecDeque;
use std::sync::Arc;

/// A shared channel of `capacity` values (rule 2) whose every receiver
/// sees every value (rule 1): the sender, and a first receiver; more come
/// from [`Sender::subscribe`]. Both halves are `Send + Sync` for `T: Send`.
///
/// # Panics
///
/// If `capacity` is 0: the queue must hold the value being sent.
///
/// ```
/// use corun::sync::shared::broadcast;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let (tx, _) = broadcast::channel(16);
/// let listeners: Vec<_> = (0..2)
///     .map(|worker| {
///         let mut rx = tx.subscribe();
///         rt.spawn_on(worker, move || {
///             let mut heard = Vec::new();
///             // Suspends this task only; its worker runs others meanwhile.
///             while let Ok(news) = rx.recv() {
///                 heard.push(news);
///             }
///             heard // the loop ends once every sender is gone
///         })
///     })
///     .collect();
/// std::thread::spawn(move || {
///     for news in ["hello", "bye"] {
///         tx.send(news).unwrap(); // each listener gets each value
///     }
/// }); // the sender goes with the thread: the channel closes
/// for l in listeners {
///     assert_eq!(l.join()?, ["hello", "bye"]);
/// }
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "corun::sync::shared::broadcast::channel(0): the capacity must be at least 1"
    );
    let shared = Arc::new(Mutex::new(Inner {
        // Grows to `capacity`: a large bound costs nothing until it fills.
        queue: VecDeque::with_capacity(capacity.min(1024)),
        capacity,
        head: 0,
        senders: 1,
        receivers: 0,
        waiting: WakerList::default(),
    }));
    let rx = Receiver::new(shared.clone());
    (Sender::new(shared), rx)
}

/// A queued value, its sequence number, and how many receivers have yet
/// to take it.
struct Slot<T> {
    value: T,
    seq: u64,
    unread: usize,
}

/// The channel's state, behind its one lock. Sequence numbers count every
/// value ever queued: the ring holds `head .. head + queue.len()`, and a
/// receiver keeps the number of the next value it takes.
struct Inner<T> {
    queue: VecDeque<Slot<T>>,
    capacity: usize,
    head: u64,
    senders: usize,
    receivers: usize,
    /// Receivers waiting for a value (or for the last sender to go), each
    /// under its own key so that a wait that ends can take itself out.
    waiting: WakerList,
}

type Shared<T> = Arc<Mutex<Inner<T>>>;

impl<T> Inner<T> {
    /// The sequence number the next value sent will get.
    fn tail(&self) -> u64 {
        self.head + self.queue.len() as u64
    }

    /// A receiver at `next` goes: the values it had yet to take are owed to
    /// one receiver fewer, and those owed to nobody now leave (rule 3).
    /// Returns them, to drop after the lock is let go (rule 7).
    fn forget_reader(&mut self, next: u64) -> Vec<T> {
        let skip = next.saturating_sub(self.head) as usize;
        for slot in self.queue.iter_mut().skip(skip) {
            slot.unread -= 1;
        }
        // Those owed to nobody are a prefix: a slot is owed to every
        // receiver that was there before it and has not reached it, so a
        // later slot is owed to at least as many.
        let mut taken = Vec::new();
        while self.queue.front().is_some_and(|s| s.unread == 0) {
            taken.extend(self.queue.pop_front().map(|s| s.value));
        }
        self.head += taken.len() as u64;
        taken
    }
}

/// Takes this waiter out of the queue, locking only if it is in it.
fn leave<T>(shared: &Shared<T>, key: &mut Option<u64>) {
    if key.is_some() {
        lock(shared).waiting.leave(key);
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
