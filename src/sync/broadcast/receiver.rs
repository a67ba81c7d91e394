//! The receiving half of a broadcast channel.

use super::{RecvError, Shared, TryRecvError};
use crate::executor::block;
use crate::sync::recheck_wait::{arrive, leave, poll_wait, Wait};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A receiving half of a [`broadcast`](super) channel: it takes every
/// value sent after it was made, once each, in order (rule 1). Made by
/// [`channel`](super::channel), [`Sender::subscribe`](super::Sender::subscribe)
/// and [`resubscribe`](Receiver::resubscribe); not `Clone`, since a clone
/// would have to decide which values it still owes.
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
    /// The position of the next value this receiver takes.
    next: u64,
    /// Its place among the waiters while polled as a `Stream`.
    stream_key: Option<u64>,
}

impl<T: Clone> Receiver<T> {
    /// Takes the next value, suspending the calling task until one is
    /// sent.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] if values this receiver had not taken were
    /// dropped (it then goes on from the oldest one left);
    /// [`RecvError::Closed`] once every sender is gone and every value has
    /// been taken; [`RecvError::Unwinding`] if the task is unwinding and
    /// would have to wait.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`recv_async`](Receiver::recv_async) there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, mut rx) = corun::sync::broadcast::channel(8);
    /// let listener = ex.spawn(move || rx.recv());
    /// ex.block_on(|| {
    ///     corun::yield_now(); // the listener waits now
    ///     tx.send("news").unwrap();
    ///     assert_eq!(listener.join().unwrap(), Ok("news"));
    /// });
    /// ```
    pub fn recv(&mut self) -> Result<T, RecvError> {
        const WHAT: &str = "corun::sync::broadcast::Receiver::recv";
        let Receiver { shared, next, .. } = self;
        let mut wait = Wait::new(&shared.waiting);
        block("broadcast::Receiver::recv", || {
            wait.poll(ready(take(shared, next)), None, WHAT)
        })
        // `block` fails only when the task is unwinding and cannot wait.
        .unwrap_or(Err(RecvError::Unwinding))
    }

    /// [`recv`](Receiver::recv) as a future, for future tasks and async
    /// code. Dropping it before it is ready takes nothing (rule 6).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, mut rx) = corun::sync::broadcast::channel(8);
    /// let h = ex.spawn_future(async move { rx.recv_async().await });
    /// ex.block_on(|| {
    ///     corun::yield_now();
    ///     tx.send(7).unwrap();
    ///     assert_eq!(h.join().unwrap(), Ok(7));
    /// });
    /// ```
    pub fn recv_async(&mut self) -> Recv<'_, T> {
        Recv {
            shared: &self.shared,
            next: &mut self.next,
            wait: Wait::new(&self.shared.waiting),
        }
    }

    /// Takes the next value if there is one; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if there is none yet, and the errors of
    /// [`recv`](Receiver::recv) otherwise.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        take(&self.shared, &mut self.next)
    }

    /// A new receiver of the same channel that sees the values sent from
    /// now on (rule 4), whatever this one has yet to take.
    pub fn resubscribe(&self) -> Self {
        Receiver::new(self.shared.clone())
    }
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Rc<Shared<T>>) -> Self {
        arrive(&shared.receivers);
        let next = shared.tail();
        Receiver {
            shared,
            next,
            stream_key: None,
        }
    }

    /// How many values this receiver has yet to take (values it lagged
    /// past are not counted).
    pub fn len(&self) -> usize {
        let from = self.next.max(self.shared.head.get());
        (self.shared.tail() - from) as usize
    }

    /// Whether this receiver has nothing to take now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone (values may still be left to take).
    pub fn is_closed(&self) -> bool {
        self.shared.senders.get() == 0
    }

    /// Whether `other` receives from the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

/// Takes the value at `next` for a receiver (rules 1–3 and 5).
fn take<T: Clone>(shared: &Shared<T>, next: &mut u64) -> Result<T, TryRecvError> {
    let head = shared.head.get();
    if *next < head {
        let missed = head - *next;
        *next = head;
        return Err(TryRecvError::Lagged(missed));
    }
    let index = (*next - head) as usize;
    let value = {
        let mut queue = shared.queue.borrow_mut();
        let Some(slot) = queue.get_mut(index) else {
            drop(queue);
            return Err(if shared.senders.get() == 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        };
        *next += 1;
        slot.unread -= 1;
        if slot.unread > 0 {
            slot.value.clone()
        } else {
            // The last receiver the value was queued for: it can only be
            // at the front (receivers take values in order), and goes
            // with its original, not a clone.
            debug_assert_eq!(index, 0);
            shared.head.set(head + 1);
            queue.pop_front().expect("the slot just read").value
        }
    };
    Ok(value)
}

/// What a wait ends with now, if anything: all but "nothing yet".
fn ready<T>(taken: Result<T, TryRecvError>) -> Option<Result<T, RecvError>> {
    match taken {
        Ok(value) => Some(Ok(value)),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
        Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // No sender waits for receivers to go: only the count and the
        // values owed to this one change.
        let shared = &self.shared;
        leave(&shared.waiting, &mut self.stream_key);
        shared.receivers.set(shared.receivers.get() - 1);
        shared.forget_reader(self.next);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("unread", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Receiver::recv_async`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    shared: &'a Shared<T>,
    next: &'a mut u64,
    wait: Wait<'a>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let now = ready(take(this.shared, this.next));
        this.wait
            .poll(now, Some(cx.waker()), "corun::sync::broadcast::Recv::poll")
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Recv")
            .field("waiting", &self.wait.is_queued())
            .finish()
    }
}

/// The receiver as a `Stream` (tokio-stream's `BroadcastStream`): each
/// value in turn, a [`RecvError::Lagged`] where values were missed, and
/// the end once every sender is gone and every value taken.
///
/// ```
/// use futures::StreamExt;
///
/// let ex = corun::Executor::new();
/// let (tx, rx) = corun::sync::broadcast::channel(4);
/// let h = ex.spawn_future(rx.map(|v| v.unwrap()).collect::<Vec<u32>>());
/// ex.block_on(|| {
///     corun::yield_now();
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
///     drop(tx);
///     assert_eq!(h.join().unwrap(), [1, 2]);
/// });
/// ```
impl<T: Clone> futures::Stream for Receiver<T> {
    type Item = Result<T, RecvError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // What `recv` would end with, the closed channel as the stream's end.
        let now = ready(take(&this.shared, &mut this.next))
            .map(|got| (!matches!(got, Err(RecvError::Closed))).then_some(got));
        poll_wait(
            &this.shared.waiting,
            &mut this.stream_key,
            now,
            Some(cx.waker()),
            "corun::sync::broadcast::Receiver::poll_next",
        )
    }
}
