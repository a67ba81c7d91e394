//! The other ways to drive a channel: iterators over the receiver, and the
//! futures side (`send_async`/`recv_async`, `Stream` for the receiver,
//! `Sink` for the sender). Same rules as the blocking side (see `channel`);
//! a future takes its place in a queue when first polled and leaves it when
//! dropped.

use super::channel::{Receiver, RecvOp, Sender};
use super::error::{RecvError, SendError};
use futures::sink::Sink;
use futures::stream::{FusedStream, Stream};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

impl<T> Sender<T> {
    /// A future that sends `value`, waiting while a bounded channel is
    /// full: [`send`](Sender::send) for future tasks and async code.
    /// Dropping it before it completes drops the value unsent.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::channel(1);
    /// let h = ex.spawn_future(async move {
    ///     tx.send_async(1).await.unwrap();
    ///     tx.send_async(2).await.unwrap(); // waits for room
    /// });
    /// let got: Vec<i32> = ex.block_on(|| rx.iter().collect());
    /// assert_eq!(got, [1, 2]);
    /// assert!(h.is_finished());
    /// ```
    pub fn send_async(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            tx: self,
            value: Some(value),
            key: None,
        }
    }

    /// Gives back the `Sink`'s slot or place in the queue.
    pub(crate) fn release_sink(&mut self) {
        if let Some(slots) = &self.chan.slots {
            if self.take_sinks_slot(slots) {
                slots.release(1);
            }
        }
    }
}

/// The future of [`Sender::send_async`]: resolves to `Ok(())` once the
/// value is in the channel, or to [`SendError`] with the value if the channel
/// is closed.
///
/// ```
/// let (tx, rx) = corun::sync::channel(1);
/// let fut: corun::sync::SendFuture<'_, i32> = tx.send_async(1);
/// assert_eq!(futures::executor::block_on(fut), Ok(()));
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    tx: &'a Sender<T>,
    value: Option<T>,
    key: Option<u64>,
}

// The value is never pinned (it is moved out by value), so the future may
// move freely whatever `T` is.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        const WHAT: &str = "corun::sync::SendFuture::poll";
        let this = self.get_mut();
        let chan = &this.tx.chan;
        if this.value.is_none() {
            panic!("{WHAT}: polled after it completed");
        }
        if this.tx.is_closed() {
            return Poll::Ready(Err(SendError(this.value.take().unwrap())));
        }
        let reserved = this.key.is_none()
            && chan
                .slots
                .as_ref()
                .is_some_and(|slots| this.tx.take_sinks_slot(slots));
        if let Some(slots) = chan.slots.as_ref().filter(|_| !reserved) {
            match slots.poll_acquire(1, &mut this.key, Some(cx.waker()), WHAT) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => {
                    return Poll::Ready(Err(SendError(this.value.take().unwrap())))
                }
                Poll::Ready(Ok(())) => {}
            }
        }
        let value = this.value.take().unwrap();
        Poll::Ready(chan.deliver(value).map_err(SendError))
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        if let (Some(key), Some(slots)) = (self.key.take(), &self.tx.chan.slots) {
            slots.abandon(key, 1);
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("done", &self.value.is_none())
            .field("queued", &self.key.is_some())
            .finish()
    }
}

impl<T> Receiver<T> {
    /// An iterator that receives until the channel is closed and empty
    /// (`for v in &rx`); each `next` may suspend the task, as
    /// [`recv`](Receiver::recv).
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// A future of the next value: [`recv`](Receiver::recv) for future
    /// tasks and async code. Dropping it before it completes leaves the
    /// queue; a value already handed to it goes to the next receive.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, rx) = corun::sync::unbounded_channel();
    /// let h = ex.spawn_future(async move { rx.recv_async().await });
    /// tx.send("hi").unwrap();
    /// assert_eq!(ex.block_on(|| h.join().unwrap()), Ok("hi"));
    /// ```
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            op: RecvOp {
                chan: &self.chan,
                key: None,
            },
        }
    }
}

/// The future of [`Receiver::recv_async`]: resolves to the next value, or
/// to [`RecvError`] once the channel is closed and empty.
///
/// ```
/// let (tx, rx) = corun::sync::unbounded_channel();
/// tx.send(3).unwrap();
/// drop(tx);
/// assert_eq!(futures::executor::block_on(rx.recv_async()), Ok(3));
/// assert!(futures::executor::block_on(rx.recv_async()).is_err());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    op: RecvOp<'a, T>,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.op
            .poll(Some(cx.waker()), "corun::sync::RecvFuture::poll")
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("queued", &self.op.key.is_some())
            .finish()
    }
}

/// The values, until the channel is closed and empty.
///
/// ```
/// use futures::StreamExt;
///
/// let ex = corun::Executor::new();
/// let (tx, mut rx) = corun::sync::channel(2);
/// let h = ex.spawn_future(async move {
///     let mut sum = 0;
///     while let Some(v) = rx.next().await {
///         sum += v;
///     }
///     sum
/// });
/// ex.spawn(move || (1..=4).for_each(|v| tx.send(v).unwrap()));
/// assert_eq!(ex.block_on(|| h.join().unwrap()), 10);
/// ```
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.chan
            .poll_recv(
                &mut this.stream_key,
                Some(cx.waker()),
                "corun::sync::Receiver::poll_next",
            )
            .map(Result::ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

impl<T> FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.is_closed() && self.is_empty()
    }
}

/// Sends through `futures::SinkExt` (`send`, `send_all`, `feed`):
/// `poll_ready` waits for room in a bounded channel and keeps a slot for
/// the next `start_send`. `poll_close` disconnects this sender (the
/// channel closes once every sender is dropped or disconnected).
///
/// The error is [`SendError<()>`](SendError): the receiving side is closed.
/// An item given to `start_send` when the channel has just closed is
/// dropped.
///
/// The inherent [`Sender::send`] (which suspends a stackful task) shadows
/// `SinkExt::send`: call that one as `SinkExt::send(&mut tx, v)`, or use
/// [`send_async`](Sender::send_async).
///
/// ```
/// use futures::SinkExt;
///
/// let ex = corun::Executor::new();
/// let (mut tx, rx) = corun::sync::channel(1);
/// let h = ex.spawn_future(async move {
///     SinkExt::send(&mut tx, 1).await.unwrap();
///     tx.feed(2).await.unwrap();
///     tx.close().await.unwrap(); // disconnects: the receiver's loop ends
/// });
/// let got: Vec<i32> = ex.block_on(|| rx.iter().collect());
/// assert_eq!(got, [1, 2]);
/// assert!(h.is_finished());
/// ```
impl<T> Sink<T> for Sender<T> {
    type Error = SendError<()>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        if this.is_closed() {
            return Poll::Ready(Err(SendError(())));
        }
        let Some(slots) = &this.chan.slots else {
            return Poll::Ready(Ok(()));
        };
        if this.reserved.get() {
            return Poll::Ready(Ok(()));
        }
        match slots.poll_acquire(
            1,
            this.sink_key.get_mut(),
            Some(cx.waker()),
            "corun::sync::Sender::poll_ready",
        ) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => {
                this.reserved.set(true);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(_)) => Poll::Ready(Err(SendError(()))),
        }
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        if !this.connected {
            return Err(SendError(()));
        }
        if this.chan.slots.is_some() && !this.reserved.replace(false) {
            panic!(
                "corun::sync::Sender::start_send called without a successful poll_ready \
                 (the Sink contract): no slot is reserved for the item"
            );
        }
        this.chan.deliver(item).map_err(|_| SendError(()))
    }

    /// Nothing is ever buffered, so there is nothing to wait for. A place
    /// in the queue for room that `poll_ready` left (its caller gave up on
    /// it, or it would be flushing nothing) is given up here, so that it
    /// holds back no room.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        if let (Some(key), Some(slots)) = (this.sink_key.take(), &this.chan.slots) {
            slots.abandon(key, 1);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        this.release_sink();
        if std::mem::take(&mut this.connected) {
            this.chan.disconnect_sender();
        }
        Poll::Ready(Ok(()))
    }
}

/// Receives until the channel is closed and empty; see [`Receiver::iter`].
///
/// ```
/// let (tx, rx) = corun::sync::unbounded_channel();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// drop(tx);
/// // Never waits here (values are ready, then the channel is closed), so it
/// // works outside a task too.
/// assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]);
/// ```
#[must_use = "iterators do nothing unless consumed"]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Iter").field(self.rx).finish()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// Receives until the channel is closed and empty, owning the receiver
/// (`for v in rx`).
///
/// ```
/// let ex = corun::Executor::new();
/// let (tx, rx) = corun::sync::channel(1);
/// let _producer = ex.spawn(move || (0..3).for_each(|i| tx.send(i).unwrap()));
/// let sum = ex.block_on(move || rx.into_iter().sum::<i32>());
/// assert_eq!(sum, 3);
/// ```
#[must_use = "iterators do nothing unless consumed"]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.rx).finish()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
