//! A watch channel shared between threads, runtime workers and tasks of
//! any executor: tokio's `watch`, for `Send` values (configuration that
//! every worker follows). The rules are the executor-local
//! [`sync::watch`](crate::sync::watch)'s:
//! 1. The channel holds the latest value and a version bumped by every
//!    store; each receiver remembers the version it has seen.
//! 2. A store wakes every waiting receiver, which looks at its version
//!    again when it runs; nothing is handed over, so a waiter that leaves
//!    owes nothing.
//! 3. The last sender's drop closes the channel for receivers: a wait
//!    still returns an unseen value first, then fails. With no receiver
//!    left, `send` fails and hands the value back.
//! 4. The value sits behind a lock: a [`Ref`] holds it, so keep one only
//!    for a look (a sender on another thread waits for it, one on this
//!    thread would deadlock), never across a wait.
//! 5. Wakers are woken, and replaced values dropped, after the lock is let
//!    go.

use super::waker_list::WakerList;
use crate::loom::{lock, Mutex, MutexGuard};
use crate::sync::wait_here;
use crate::sync::watch::error::RecvError;
use crate::sync::SendError;
use futures::stream::{FusedStream, Stream};
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A shared watch channel holding `init` (rule 1): the sender, and a
/// first receiver that has seen `init`.
///
/// ```
/// use corun::sync::shared::watch;
///
/// let rt = corun::Runtime::builder().workers(2).build()?;
/// let (config, rx) = watch::channel(1u32);
/// let followers: Vec<_> = (0..2)
///     .map(|w| {
///         let mut rx = rx.clone();
///         rt.spawn_on(w, move || *rx.wait_for(|v| *v >= 3).unwrap())
///     })
///     .collect();
/// for v in 2..=3 {
///     config.send(v)?; // from this plain thread
/// }
/// for f in followers {
///     assert_eq!(f.join()?, 3);
/// }
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Inner {
        value: init,
        version: 0,
        senders: 1,
        receivers: 1,
        waiting: WakerList::default(),
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

pub(super) struct Inner<T> {
    value: T,
    version: u64,
    senders: usize,
    receivers: usize,
    waiting: WakerList,
}

pub(super) type Shared<T> = Arc<Mutex<Inner<T>>>;

/// A look at the channel's value; holds its lock (rule 4).
pub struct Ref<'a, T> {
    inner: MutexGuard<'a, Inner<T>>,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner.value, f)
    }
}

/// The sending half of a shared [`channel`]; `Clone` for more senders.
pub struct Sender<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    /// Stores `value` and wakes every waiting receiver (rule 2).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if no receiver is left (rule 3).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut inner = lock(&self.shared);
        if inner.receivers == 0 {
            return Err(SendError(value));
        }
        let old = std::mem::replace(&mut inner.value, value);
        self.publish(inner);
        drop(old);
        Ok(())
    }

    /// Stores `value` whether or not anyone receives, and returns the old
    /// one.
    pub fn send_replace(&self, value: T) -> T {
        let mut inner = lock(&self.shared);
        let old = std::mem::replace(&mut inner.value, value);
        self.publish(inner);
        old
    }

    /// Changes the value in place, then wakes the receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        let mut inner = lock(&self.shared);
        modify(&mut inner.value);
        self.publish(inner);
    }

    /// The new version made visible, the waiters woken after the lock goes
    /// (rule 5).
    fn publish(&self, mut inner: MutexGuard<'_, Inner<T>>) {
        inner.version += 1;
        let waiting = inner.waiting.take_all();
        drop(inner);
        // The broken variant the loom model must reject: the new version
        // is stored, but nobody who waits for it is told.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("watch_publish") {
            return;
        }
        waiting.wake();
    }

    /// A look at the value (rule 4).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: lock(&self.shared),
        }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut inner = lock(&self.shared);
        inner.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: inner.version,
        }
    }

    /// How many receivers there are.
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared).receivers
    }

    /// Whether no receiver is left.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waiting = {
            let mut inner = lock(&self.shared);
            inner.senders -= 1;
            if inner.senders > 0 {
                return;
            }
            inner.waiting.take_all()
        };
        waiting.wake(); // rule 3
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.shared);
        f.debug_struct("shared::watch::Sender")
            .field("version", &inner.version)
            .field("receivers", &inner.receivers)
            .field("waiting", &inner.waiting.len())
            .finish()
    }
}

/// A receiving half of a shared [`channel`]; `Clone` (the clone has seen
/// what the original has).
pub struct Receiver<T> {
    pub(super) shared: Shared<T>,
    pub(super) seen: u64,
}

impl<T> Receiver<T> {
    /// A look at the value, without marking it seen (rule 4).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: lock(&self.shared),
        }
    }

    /// A look at the value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let inner = lock(&self.shared);
        self.seen = inner.version;
        Ref { inner }
    }

    /// Whether a value this receiver has not seen is there.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once every sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let inner = lock(&self.shared);
        if inner.senders == 0 {
            return Err(RecvError::closed());
        }
        Ok(inner.version != self.seen)
    }

    /// Marks the current value unseen, so the next wait returns at once
    /// (tokio's `mark_changed`).
    ///
    /// ```
    /// let (_tx, mut rx) = corun::sync::shared::watch::channel(0);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = lock(&self.shared).version.wrapping_sub(1);
    }

    /// Marks the current value seen, without a look at it.
    pub fn mark_unchanged(&mut self) {
        self.seen = lock(&self.shared).version;
    }

    /// Every sender is gone and nothing unseen is left: a wait would fail.
    pub(super) fn is_drained(&self) -> bool {
        let inner = lock(&self.shared);
        inner.senders == 0 && inner.version == self.seen
    }

    /// Waits for a value this receiver has not seen and marks it seen: a
    /// stackful task suspends, a plain thread blocks.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once every sender is gone and nothing unseen is left,
    /// or if the task is unwinding and would have to wait.
    ///
    /// # Panics
    ///
    /// When it must wait in a future task (`spawn_future`): use
    /// [`changed_async`](Receiver::changed_async).
    #[track_caller]
    pub fn changed(&mut self) -> Result<(), RecvError> {
        wait_here::wait(self.changed_async(), "shared::watch::Receiver::changed")
            .unwrap_or(Err(RecvError::unwinding()))
    }

    /// A future of [`changed`](Receiver::changed).
    pub fn changed_async(&mut self) -> Changed<'_, T> {
        Changed {
            shared: &self.shared,
            seen: &mut self.seen,
            key: None,
        }
    }

    /// Waits until the value passes `pred` (checked on the current value
    /// first), and returns a look at it.
    ///
    /// # Errors
    ///
    /// As [`changed`](Receiver::changed).
    #[track_caller]
    pub fn wait_for(&mut self, mut pred: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        // Apart, so the look it returns borrows only the shared half.
        let Receiver { shared, seen } = self;
        let shared: &Shared<T> = shared;
        loop {
            {
                let inner = lock(shared);
                *seen = inner.version;
                if pred(&inner.value) {
                    return Ok(Ref { inner });
                }
            }
            let changed = Changed {
                shared,
                seen: &mut *seen,
                key: None,
            };
            wait_here::wait(changed, "shared::watch::Receiver::wait_for")
                .unwrap_or(Err(RecvError::unwinding()))?;
        }
    }

    /// Whether `other` receives from the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.shared).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        lock(&self.shared).receivers -= 1;
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.shared);
        f.debug_struct("shared::watch::Receiver")
            .field("seen", &self.seen)
            .field("version", &inner.version)
            .field("closed", &(inner.senders == 0))
            .finish()
    }
}

/// The future of [`Receiver::changed_async`].
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    shared: &'a Shared<T>,
    seen: &'a mut u64,
    key: Option<u64>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        poll_changed(this.shared, this.seen, &mut this.key, cx.waker(), |_| ())
    }
}

/// One look for a value unseen at `seen`: `look` at it (under the same
/// lock, so the value is the version marked seen), or the end; else
/// `waker` is left in the queue under `key` (rule 2). Shared by
/// [`Changed`] and the receiver's stream.
pub(super) fn poll_changed<T, R>(
    shared: &Shared<T>,
    seen: &mut u64,
    key: &mut Option<u64>,
    waker: &Waker,
    look: impl FnOnce(&T) -> R,
) -> Poll<Result<R, RecvError>> {
    let mut inner = lock(shared);
    if inner.version != *seen {
        *seen = inner.version;
        inner.waiting.leave(key);
        return Poll::Ready(Ok(look(&inner.value)));
    }
    if inner.senders == 0 {
        inner.waiting.leave(key);
        return Poll::Ready(Err(RecvError::closed()));
    }
    // A wake took it out, and nothing changed for it: it waits again.
    inner.waiting.wait(key, waker);
    Poll::Pending
}

/// Takes `key`'s waker out of the queue, if it is there.
pub(super) fn leave_queue<T>(shared: &Shared<T>, key: &mut Option<u64>) {
    if key.is_some() {
        lock(shared).waiting.leave(key);
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        leave_queue(self.shared, &mut self.key);
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::watch::Changed")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

// ---- The receiver as a Stream (tokio-stream's WatchStream) ----

impl<T: Clone> Receiver<T> {
    /// The values this receiver sees, as a `Stream` of clones: the current
    /// value first (tokio-stream's `WatchStream::new`), then each value it
    /// finds unseen when polled; it ends when every sender is gone and the
    /// last value was yielded. Values stored between two polls are not
    /// queued: the stream yields the latest. For only the changes from
    /// now on, [`into_changes_stream`](Receiver::into_changes_stream).
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// let rt = corun::Runtime::builder().workers(1).build()?;
    /// let (tx, rx) = corun::sync::shared::watch::channel(0);
    /// let seen = rt.spawn(move || corun::await_(rx.into_stream().collect::<Vec<_>>()));
    /// tx.send(1)?; // from this plain thread
    /// drop(tx); // the stream ends after the latest value
    /// let got = seen.join()?;
    /// // The latest value is never missed; 0 came first if the stream was
    /// // polled before the send.
    /// assert_eq!(got.last(), Some(&1));
    /// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    /// ```
    pub fn into_stream(mut self) -> WatchStream<T> {
        self.mark_changed();
        WatchStream {
            rx: self,
            key: None,
        }
    }

    /// The values stored from now on, as a `Stream` of clones, without the
    /// current one (tokio-stream's `WatchStream::from_changes`).
    pub fn into_changes_stream(mut self) -> WatchStream<T> {
        self.mark_unchanged();
        WatchStream {
            rx: self,
            key: None,
        }
    }
}

/// The stream of [`Receiver::into_stream`] and
/// [`Receiver::into_changes_stream`].
#[must_use = "streams do nothing unless polled"]
pub struct WatchStream<T> {
    rx: Receiver<T>,
    /// Our waker's place in the channel's queue while waiting.
    key: Option<u64>,
}

impl<T> WatchStream<T> {
    /// The receiver back, with what it has seen.
    pub fn into_inner(mut self) -> Receiver<T> {
        leave_queue(&self.rx.shared, &mut self.key);
        // A clone, as `Drop` keeps its own receiver: the count of
        // receivers never touches 0 on the way.
        self.rx.clone()
    }
}

impl<T: Clone> Stream for WatchStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let Receiver { shared, seen } = &mut this.rx;
        match poll_changed(shared, seen, &mut this.key, cx.waker(), T::clone) {
            Poll::Ready(Ok(value)) => Poll::Ready(Some(value)),
            Poll::Ready(Err(_closed)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: Clone> FusedStream for WatchStream<T> {
    fn is_terminated(&self) -> bool {
        self.rx.is_drained()
    }
}

impl<T> Drop for WatchStream<T> {
    fn drop(&mut self) {
        leave_queue(&self.rx.shared, &mut self.key);
    }
}

impl<T> fmt::Debug for WatchStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::watch::WatchStream")
            .field("rx", &self.rx)
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
