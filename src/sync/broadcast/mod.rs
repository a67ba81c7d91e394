//! A multi-producer, multi-consumer channel where every receiver sees every
//! value: tokio's `broadcast`, for the tasks of one executor (a chat room,
//! an event bus, a shutdown fan-out that carries a reason).
//!
//! Rules:
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
//! 7. A task that is unwinding never waits: a receive that would have to
//!    wait fails with [`RecvError::Unwinding`].
//!
//! ```
//! use corun::sync::broadcast;
//!
//! let ex = corun::Executor::new();
//! let (tx, _) = broadcast::channel(16);
//! let members: Vec<_> = ["ann", "bob"]
//!     .into_iter()
//!     .map(|name| {
//!         let mut room = tx.subscribe();
//!         ex.spawn(move || {
//!             let mut heard = Vec::new();
//!             while let Ok(line) = room.recv() {
//!                 heard.push(format!("{name} heard {line}"));
//!             }
//!             heard // the loop ends once every sender is gone
//!         })
//!     })
//!     .collect();
//! ex.block_on(|| {
//!     tx.send("hello").unwrap();
//!     tx.send("bye").unwrap();
//!     drop(tx);
//!     let heard: Vec<Vec<String>> = members.into_iter().map(|m| m.join().unwrap()).collect();
//!     assert_eq!(heard[0], ["ann heard hello", "ann heard bye"]);
//!     assert_eq!(heard[1], ["bob heard hello", "bob heard bye"]);
//! });
//! ```
//!
//! The halves are for one thread, as the executor is:
//!
//! ```compile_fail
//! fn assert_send<T: Send>(_: T) {}
//! assert_send(corun::sync::broadcast::channel::<u8>(1).1);
//! ```

mod error;
mod receiver;
mod sender;

pub use error::{RecvError, TryRecvError};
pub use receiver::{Receiver, Recv};
pub use sender::Sender;

/// What [`Sender::send`] gives back when no receiver is left: the value.
/// The same type as the other channels'
/// [`sync::SendError`](crate::sync::SendError).
pub use crate::sync::SendError;

use crate::executor::WaitQueue;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

/// A channel of `capacity` values (rule 2) whose every receiver sees every
/// value (rule 1): the sender, and a first receiver; more come from
/// [`Sender::subscribe`].
///
/// # Panics
///
/// If `capacity` is 0: the queue must hold the value being sent.
///
/// ```
/// let (tx, mut rx) = corun::sync::broadcast::channel(2);
/// let mut late = tx.subscribe();
/// assert_eq!(tx.send(1).unwrap(), 2); // two receivers will see it
/// assert_eq!((rx.try_recv(), late.try_recv()), (Ok(1), Ok(1)));
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "corun::sync::broadcast::channel(0): the capacity must be at least 1"
    );
    let shared = Rc::new(Shared {
        queue: RefCell::new(VecDeque::with_capacity(capacity.min(1024))),
        capacity,
        head: Cell::new(0),
        senders: Cell::new(1),
        receivers: Cell::new(0),
        waiting: WaitQueue::new(),
    });
    let rx = Receiver::new(shared.clone());
    (Sender::new(shared), rx)
}

/// A queued value and how many receivers have yet to take it.
struct Slot<T> {
    value: T,
    unread: usize,
}

/// The state the halves share. Positions count every value ever queued:
/// the queue holds positions `head .. head + queue.len()`, and a receiver
/// keeps the position of the next value it takes.
struct Shared<T> {
    queue: RefCell<VecDeque<Slot<T>>>,
    capacity: usize,
    head: Cell<u64>,
    senders: Cell<usize>,
    receivers: Cell<usize>,
    /// Receivers waiting for a value (or for the last sender to go).
    waiting: WaitQueue,
}

impl<T> Shared<T> {
    /// The position the next value sent will get.
    fn tail(&self) -> u64 {
        self.head.get() + self.queue.borrow().len() as u64
    }

    /// Drops the values at the front that no receiver will take (rule 3).
    fn drop_taken(&self) {
        // Dropped outside the borrow: a value's destructor may use the
        // channel.
        let mut taken = Vec::new();
        {
            let mut queue = self.queue.borrow_mut();
            while queue.front().is_some_and(|s| s.unread == 0) {
                taken.extend(queue.pop_front());
            }
        }
        self.head.set(self.head.get() + taken.len() as u64);
    }

    /// A receiver at `next` goes: the values it had yet to take are
    /// owed to one receiver fewer.
    fn forget_reader(&self, next: u64) {
        {
            let mut queue = self.queue.borrow_mut();
            let skip = next.saturating_sub(self.head.get()) as usize;
            for slot in queue.iter_mut().skip(skip) {
                slot.unread -= 1;
            }
        }
        self.drop_taken();
    }
}
