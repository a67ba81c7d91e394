//! The sending half of a cross-thread channel: `send`, `try_send`,
//! `send_async`, and `Sink`.

use super::backoff::Backoff;
use super::chan::{Chan, PushPoll};
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
    /// The `Sink`'s value parked in the channel (its rule 6) while it waits
    /// for room, if any.
    sink_key: Option<u64>,
}

impl<T> Sender<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        Sender {
            chan,
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
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use the async form there.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut value = value;
        let mut backoff = None;
        loop {
            value = match self.try_send(value) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(value)) => return Err(SendError(value)),
                Err(TrySendError::Full(value)) => value,
            };
            if !backoff.get_or_insert_with(Backoff::new).snooze() {
                break;
            }
        }
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
        self.chan.try_push(value)
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
        // A value the Sink parked stays parked: whoever makes room queues
        // it, so dropping its sender loses nothing.
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
        match this.chan.poll_push(value, &mut this.key, cx) {
            PushPoll::Sent => Poll::Ready(Ok(())),
            PushPoll::Closed(value) => Poll::Ready(Err(SendError(value))),
            PushPoll::Waiting(value) => {
                this.value = Some(value);
                Poll::Pending
            }
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

/// Sends through `futures::SinkExt`: `start_send` queues the item, or, if
/// the channel is full, parks it in the channel behind the senders already
/// waiting; `poll_ready` and `poll_flush` wait until it is queued. A parked
/// item is queued by whoever next makes room, so an abandoned flush (a
/// `select!` whose other branch won) or a dropped sender still delivers it,
/// in order, and holds no room back once it is in. The error is
/// [`SendError<()>`](SendError): the receiving side is closed (a parked
/// item is then dropped).
///
/// ```
/// use futures::SinkExt;
///
/// let (mut tx, rx) = corun::sync::mpsc::channel(1);
/// let t = std::thread::spawn(move || {
///     futures::executor::block_on(async {
///         tx.feed(1).await.unwrap();
///         tx.feed(2).await.unwrap();
///         tx.flush().await.unwrap();
///     })
/// });
/// assert_eq!(rx.recv(), Ok(1));
/// assert_eq!(rx.recv(), Ok(2));
/// t.join().unwrap();
/// ```
impl<T> Sink<T> for Sender<T> {
    type Error = SendError<()>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_flush(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        assert!(
            this.sink_key.is_none(),
            "mpsc::Sender::start_send called without a successful poll_ready (the Sink \
             contract): an earlier item is still waiting for room"
        );
        this.chan
            .park(item, &mut this.sink_key)
            .map_err(|_closed| SendError(()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        match this.chan.poll_parked(&mut this.sink_key, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(())) => Poll::Ready(Err(SendError(()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_flush(cx)
    }
}
