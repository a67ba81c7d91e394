//! The sending half of a cross-thread channel: `send`, `try_send`,
//! `send_async`, and `Sink`.

use super::chan::Chan;
use crate::loom::Arc;
use crate::sync::wait_here;
use crate::sync::{SendError, TrySendError};
use futures::Sink;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The sending half of a [`channel`](super::channel) or
/// [`unbounded_channel`](super::unbounded_channel); `Send` and `Clone`
/// (every clone is a sender; the channel closes for the receiver when the
/// last one is dropped).
pub struct Sender<T> {
    pub(super) chan: Arc<Chan<T>>,
    /// A reservation made by `Sink::poll_ready`, for the next `start_send`.
    reserved: bool,
    /// Our place among the waiting senders, while `Sink::poll_ready` waits.
    sink_key: Option<u64>,
}

// The Sink's state holds no `T`: pinning is never structural.
impl<T> Unpin for Sender<T> {}

impl<T> Sender<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        Sender {
            chan,
            reserved: false,
            sink_key: None,
        }
    }

    /// Sends `value`, waiting for room in a bounded channel: a stackful
    /// task suspends (only it), a plain thread blocks. Senders that wait are
    /// served in arrival order.
    ///
    /// # Errors
    ///
    /// The receiving side is closed (or the calling task is unwinding and
    /// cannot wait): the value comes back in [`SendError`].
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let value = match self.try_send(value) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Closed(value)) => return Err(SendError(value)),
            Err(TrySendError::Full(value)) => value,
        };
        let mut future = self.send_async(value);
        match wait_here::wait(&mut future, "mpsc::Sender::send") {
            Ok(sent) => sent,
            Err(_unwinding) => Err(SendError(future.value.take().expect("not sent"))),
        }
    }

    /// Sends `value` if there is room now; never waits.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] (or other senders wait for room first) and
    /// [`TrySendError::Closed`], the value inside either way.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.poll_reserve(&mut None, None) {
            Poll::Pending => Err(TrySendError::Full(value)),
            Poll::Ready(Err(_)) => Err(TrySendError::Closed(value)),
            Poll::Ready(Ok(())) => self.chan.push_reserved(value).map_err(TrySendError::Closed),
        }
    }

    /// A future that sends `value`, for async code and future tasks.
    pub fn send_async(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            chan: &self.chan,
            value: Some(value),
            key: None,
        }
    }

    /// Whether the receiving side is closed (sends fail).
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// The channel's capacity; `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender::new(self.chan.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(key) = self.sink_key.take() {
            self.chan.leave(key);
        }
        if std::mem::take(&mut self.reserved) {
            self.chan.release();
        }
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::send_async`].
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    value: Option<T>,
    key: Option<u64>,
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(value) = this.value.take() else {
            panic!("mpsc::SendFuture polled after it completed");
        };
        match this.chan.poll_reserve(&mut this.key, Some(cx)) {
            Poll::Pending => {
                this.value = Some(value);
                Poll::Pending
            }
            Poll::Ready(Err(_)) => Poll::Ready(Err(SendError(value))),
            Poll::Ready(Ok(())) => Poll::Ready(this.chan.push_reserved(value).map_err(SendError)),
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.leave(key);
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::SendFuture").finish_non_exhaustive()
    }
}

/// Sends through `futures::SinkExt`: `poll_ready` waits for room and
/// reserves it for the next `start_send`. The error is
/// [`SendError<()>`](SendError): the receiving side is closed (an item
/// given to `start_send` just as it closed is dropped).
///
/// ```
/// use futures::SinkExt;
///
/// let (mut tx, rx) = corun::sync::mpsc::channel(1);
/// let t = std::thread::spawn(move || {
///     futures::executor::block_on(async {
///         tx.feed(1).await.unwrap();
///         tx.feed(2).await.unwrap();
///     })
/// });
/// assert_eq!(rx.recv(), Ok(1));
/// assert_eq!(rx.recv(), Ok(2));
/// t.join().unwrap();
/// ```
impl<T> Sink<T> for Sender<T> {
    type Error = SendError<()>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        if this.reserved {
            return Poll::Ready(Ok(()));
        }
        match this.chan.poll_reserve(&mut this.sink_key, Some(cx)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => {
                this.reserved = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(_)) => Poll::Ready(Err(SendError(()))),
        }
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        if !std::mem::take(&mut this.reserved) {
            panic!(
                "mpsc::Sender::start_send called without a successful poll_ready (the Sink \
                 contract): no room is reserved for the item"
            );
        }
        this.chan.push_reserved(item).map_err(|_| SendError(()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
}
