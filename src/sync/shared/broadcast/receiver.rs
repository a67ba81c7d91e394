//! The receiving half of a shared broadcast channel.

use super::{leave, Inner, RecvError, Shared, TryRecvError};
use crate::loom::lock;
use crate::sync::wait_here;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A receiving half of a shared [`broadcast`](super) channel: it takes
/// every value sent after it was made, once each, in order (rule 1). Made
/// by [`channel`](super::channel),
/// [`Sender::subscribe`](super::Sender::subscribe) and
/// [`resubscribe`](Receiver::resubscribe); not `Clone`, since a clone
/// would have to decide which values it still owes.
pub struct Receiver<T> {
    shared: Shared<T>,
    /// The sequence number of the next value this receiver takes.
    next: u64,
    /// Its key among the waiters while polled as a `Stream`.
    stream_key: Option<u64>,
}

impl<T: Clone> Receiver<T> {
    /// Takes the next value, waiting until one is sent: a stackful task
    /// suspends (only it), a plain thread blocks.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] if values this receiver had not taken were
    /// dropped (it then goes on from the oldest one left);
    /// [`RecvError::Closed`] once every sender is gone and every value has
    /// been taken; [`RecvError::Unwinding`] if the task is unwinding and
    /// would have to wait (rule 8).
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use [`recv_async`](Receiver::recv_async) there.
    ///
    /// ```
    /// let (tx, mut rx) = corun::sync::shared::broadcast::channel(8);
    /// let listener = std::thread::spawn(move || rx.recv()); // blocks
    /// tx.send("news").unwrap();
    /// assert_eq!(listener.join().unwrap(), Ok("news"));
    /// ```
    #[track_caller]
    pub fn recv(&mut self) -> Result<T, RecvError> {
        wait_here::wait(self.recv_async(), "shared::broadcast::Receiver::recv")
            .unwrap_or(Err(RecvError::Unwinding))
    }

    /// [`recv`](Receiver::recv) as a future, for future tasks and async
    /// code. Dropping it before it is ready takes nothing (rule 6).
    ///
    /// ```
    /// let (tx, mut rx) = corun::sync::shared::broadcast::channel(8);
    /// std::thread::spawn(move || tx.send(7).unwrap());
    /// assert_eq!(futures::executor::block_on(rx.recv_async()), Ok(7));
    /// ```
    pub fn recv_async(&mut self) -> Recv<'_, T> {
        Recv {
            shared: &self.shared,
            next: &mut self.next,
            key: None,
        }
    }

    /// Takes the next value if there is one; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if there is none yet, and the errors of
    /// [`recv`](Receiver::recv) otherwise.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        take(&mut lock(&self.shared), &mut self.next)
    }

    /// A new receiver of the same channel that sees the values sent from
    /// now on (rule 4), whatever this one has yet to take.
    pub fn resubscribe(&self) -> Self {
        Receiver::new(self.shared.clone())
    }
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Shared<T>) -> Self {
        let next = {
            let mut inner = lock(&shared);
            inner.receivers += 1;
            inner.tail()
        };
        Receiver {
            shared,
            next,
            stream_key: None,
        }
    }

    /// How many values this receiver has yet to take (values it lagged
    /// past are not counted).
    pub fn len(&self) -> usize {
        let inner = lock(&self.shared);
        (inner.tail() - self.next.max(inner.head)) as usize
    }

    /// Whether this receiver has nothing to take now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone (values may still be left to take).
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).senders == 0
    }

    /// Whether `other` receives from the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// Takes the value numbered `next` for a receiver (rules 1–3 and 5).
fn take<T: Clone>(inner: &mut Inner<T>, next: &mut u64) -> Result<T, TryRecvError> {
    let head = inner.head;
    if *next < head {
        let missed = head - *next;
        *next = head;
        return Err(TryRecvError::Lagged(missed));
    }
    let index = (*next - head) as usize;
    let Some(slot) = inner.queue.get_mut(index) else {
        return Err(if inner.senders == 0 {
            TryRecvError::Closed
        } else {
            TryRecvError::Empty
        });
    };
    debug_assert_eq!(slot.seq, *next);
    let value = if slot.unread > 1 {
        // Cloned before anything is counted, so a `Clone` that panics
        // leaves the value owed to this receiver still.
        let value = slot.value.clone();
        slot.unread -= 1;
        value
    } else {
        // The last receiver the value was queued for: it can only be at
        // the front (receivers take values in order), and goes with its
        // original, not a clone.
        debug_assert_eq!(index, 0);
        inner.head += 1;
        inner.queue.pop_front().expect("the slot just read").value
    };
    *next += 1;
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

/// One look for a waiting receiver: what it ends with, or `Pending` with
/// its waker among the waiters under `key` (rule 6).
fn poll_recv<T: Clone>(
    shared: &Shared<T>,
    next: &mut u64,
    key: &mut Option<u64>,
    waker: &Waker,
) -> Poll<Result<T, RecvError>> {
    let mut inner = lock(shared);
    if let Some(done) = ready(take(&mut inner, next)) {
        inner.waiting.leave(key);
        return Poll::Ready(done);
    }
    // A send took it out, and left nothing for it: it waits again.
    inner.waiting.wait(key, waker);
    Poll::Pending
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // No sender waits for receivers to go: only the count and the
        // values owed to this one change.
        let taken = {
            let mut inner = lock(&self.shared);
            inner.waiting.leave(&mut self.stream_key);
            inner.receivers -= 1;
            inner.forget_reader(self.next)
        };
        drop(taken); // outside the lock (rule 7)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unread, closed) = {
            let inner = lock(&self.shared);
            let unread = inner.tail() - self.next.max(inner.head);
            (unread, inner.senders == 0)
        };
        f.debug_struct("shared::broadcast::Receiver")
            .field("unread", &unread)
            .field("closed", &closed)
            .finish()
    }
}

/// The future of [`Receiver::recv_async`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    shared: &'a Shared<T>,
    next: &'a mut u64,
    /// Its key among the waiters, once it waits.
    key: Option<u64>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        poll_recv(this.shared, this.next, &mut this.key, cx.waker())
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        leave(self.shared, &mut self.key);
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::broadcast::Recv")
            .field("waiting", &self.key.is_some())
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
/// let (tx, rx) = corun::sync::shared::broadcast::channel(4);
/// std::thread::spawn(move || {
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
/// });
/// let got: Vec<u32> = futures::executor::block_on(rx.map(|v| v.unwrap()).collect());
/// assert_eq!(got, [1, 2]);
/// ```
impl<T: Clone> futures::Stream for Receiver<T> {
    type Item = Result<T, RecvError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Receiver {
            shared,
            next,
            stream_key,
        } = self.get_mut();
        // What `recv` would end with, the closed channel as the stream's end.
        poll_recv(shared, next, stream_key, cx.waker())
            .map(|got| (!matches!(got, Err(RecvError::Closed))).then_some(got))
    }
}
