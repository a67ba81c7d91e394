//! The receiving half of a cross-thread channel: `recv`, `try_recv`,
//! `recv_async`, iterators and `Stream`.

use super::backoff::Backoff;
use super::chan::Chan;
use crate::loom::Arc;
use crate::sync::wait_here;
use crate::sync::{RecvError, TryRecvError};
use futures::stream::{FusedStream, Stream};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The receiving half of a [`channel`](super::channel); `Send`, one per
/// channel, and not `Sync`: one receiver waits at a time.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        Receiver {
            chan,
            _not_sync: PhantomData,
        }
    }

    /// Receives the next value, waiting for one: a stackful task suspends
    /// (only it), a plain thread blocks.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is empty and closed (every sender
    /// dropped, or [`close`](Receiver::close) called), and in a task that is
    /// unwinding (it cannot wait).
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use the async form there.
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        let mut backoff = None;
        loop {
            match self.try_recv() {
                Ok(value) => return Ok(value),
                Err(TryRecvError::Closed) => return Err(RecvError),
                Err(TryRecvError::Empty) => {}
            }
            if !backoff.get_or_insert_with(Backoff::new).snooze() {
                break;
            }
        }
        match wait_here::wait(self.recv_async(), "mpsc::Receiver::recv") {
            Ok(got) => got,
            Err(_unwinding) => Err(RecvError),
        }
    }

    /// [`recv`](Receiver::recv), waiting at most `limit`; `Ok(None)` when
    /// the time ran out.
    ///
    /// # Errors
    ///
    /// As `recv`.
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`), which has no
    /// stack to suspend: use the async form there.
    #[track_caller]
    pub fn recv_timeout(&self, limit: Duration) -> Result<Option<T>, RecvError> {
        match self.try_recv() {
            Ok(value) => return Ok(Some(value)),
            Err(TryRecvError::Closed) => return Err(RecvError),
            Err(TryRecvError::Empty) => {}
        }
        match wait_here::wait_timeout(self.recv_async(), limit, "mpsc::Receiver::recv_timeout") {
            Ok(Some(got)) => got.map(Some),
            Ok(None) => Ok(None),
            Err(_unwinding) => Err(RecvError),
        }
    }

    /// Receives a value if one is there; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], or [`TryRecvError::Closed`] once empty and
    /// closed.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.chan.poll_recv(None) {
            Poll::Ready(Some(value)) => Ok(value),
            Poll::Ready(None) => Err(TryRecvError::Closed),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// A future that receives the next value, for async code.
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        RecvFuture { chan: &self.chan }
    }

    /// Closes the receiving side: sends fail from now on (and waiting
    /// senders get their values back); values already queued can still be
    /// received.
    pub fn close(&self) {
        self.chan.close(false);
    }

    /// Whether nothing more can ever arrive: every sender is gone or the
    /// channel was closed (queued values may remain).
    pub fn is_closed(&self) -> bool {
        self.chan.is_disconnected()
    }

    /// Values queued now.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no value is queued now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Receives until the channel is empty and closed.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.close(true);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("len", &self.len())
            .finish()
    }
}

/// The future of [`Receiver::recv_async`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.chan.poll_recv(Some(cx)).map(|v| v.ok_or(RecvError))
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::RecvFuture").finish_non_exhaustive()
    }
}

/// Receives as a `futures::Stream`, which ends when the channel is empty
/// and closed.
///
/// ```
/// use futures::StreamExt;
///
/// let (tx, rx) = corun::sync::mpsc::unbounded_channel();
/// std::thread::spawn(move || (1..=4).for_each(|v| tx.send(v).unwrap()));
/// let sum: i32 = futures::executor::block_on(rx.fold(0, |a, v| async move { a + v }));
/// assert_eq!(sum, 10);
/// ```
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(Some(cx))
    }
}

impl<T> FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.is_closed() && self.is_empty()
    }
}

/// The iterator of [`Receiver::iter`].
#[must_use = "iterators do nothing unless consumed"]
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The iterator of `Receiver::into_iter`.
#[must_use = "iterators do nothing unless consumed"]
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
