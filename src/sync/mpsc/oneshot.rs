//! The cross-thread oneshot: one `Send` value, once, from any thread or
//! task to any other. Built on the channel's state with room for one value,
//! so it shares its rules and its loom models.

use super::chan::Chan;
use crate::loom::Arc;
use crate::sync::wait_here;
use crate::sync::{RecvError, TryRecvError, TrySendError};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A cross-thread oneshot: the sender sends one value, the receiver waits
/// for it (suspending a task, blocking a plain thread, or as a `Future`).
///
/// ```
/// let (tx, rx) = corun::sync::mpsc::oneshot();
/// std::thread::spawn(move || tx.send("ready").unwrap());
/// assert_eq!(rx.recv(), Ok("ready"));
/// ```
pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let chan = Arc::new(Chan::new(Some(1)));
    (
        OneshotSender { chan: chan.clone() },
        OneshotReceiver { chan },
    )
}

/// The sending half of [`oneshot`].
pub struct OneshotSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> OneshotSender<T> {
    /// Sends the value; never waits.
    ///
    /// # Errors
    ///
    /// The receiver is gone: the value comes back.
    pub fn send(self, value: T) -> Result<(), T> {
        // Full is impossible: one send per sender, room for one.
        self.chan.try_push(value).map_err(TrySendError::into_inner)
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }
}

impl<T> Drop for OneshotSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for OneshotSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::OneshotSender")
            .finish_non_exhaustive()
    }
}

/// The receiving half of [`oneshot`]; also a `Future` of the value.
pub struct OneshotReceiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> OneshotReceiver<T> {
    /// Waits for the value: a task suspends, a plain thread blocks.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender was dropped without sending (or the
    /// calling task is unwinding).
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use the async form there.
    #[track_caller]
    pub fn recv(mut self) -> Result<T, RecvError> {
        wait_here::wait(&mut self, "mpsc::OneshotReceiver::recv").unwrap_or(Err(RecvError))
    }

    /// The value if it is there; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] before the send, [`TryRecvError::Closed`]
    /// if the sender is gone without sending.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.chan.poll_recv(None) {
            Poll::Ready(Some(value)) => Ok(value),
            Poll::Ready(None) => Err(TryRecvError::Closed),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Future for OneshotReceiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.chan.poll_recv(Some(cx)).map(|v| v.ok_or(RecvError))
    }
}

impl<T> Drop for OneshotReceiver<T> {
    fn drop(&mut self) {
        self.chan.close(true);
    }
}

impl<T> fmt::Debug for OneshotReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::OneshotReceiver")
            .finish_non_exhaustive()
    }
}
