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

use crate::loom::{lock, Mutex, MutexGuard};
use crate::sync::wait_here;
use crate::sync::watch::error::RecvError;
use crate::sync::SendError;
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
        waiting: Vec::new(),
        next_key: 0,
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

struct Inner<T> {
    value: T,
    version: u64,
    senders: usize,
    receivers: usize,
    waiting: Vec<(u64, Waker)>,
    next_key: u64,
}

type Shared<T> = Arc<Mutex<Inner<T>>>;

fn wake_all(waiting: Vec<(u64, Waker)>) {
    waiting.into_iter().for_each(|(_, w)| w.wake());
}

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
        let waiting = std::mem::take(&mut inner.waiting);
        drop(inner);
        // The broken variant the loom model must reject: the new version
        // is stored, but nobody who waits for it is told.
        #[cfg(corun_loom_mutant)]
        if crate::loom::mutant("watch_publish") {
            return;
        }
        wake_all(waiting);
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
            std::mem::take(&mut inner.waiting)
        };
        wake_all(waiting); // rule 3
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
    shared: Shared<T>,
    seen: u64,
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
        let mut inner = lock(this.shared);
        if inner.version != *this.seen {
            *this.seen = inner.version;
            leave(&mut inner, &mut this.key);
            return Poll::Ready(Ok(()));
        }
        if inner.senders == 0 {
            leave(&mut inner, &mut this.key);
            return Poll::Ready(Err(RecvError::closed()));
        }
        match this.key {
            Some(key) => match inner.waiting.iter_mut().find(|(k, _)| *k == key) {
                Some((_, waker)) => {
                    if !waker.will_wake(cx.waker()) {
                        waker.clone_from(cx.waker());
                    }
                }
                // A wake took it out, and nothing changed for it: again.
                None => inner.waiting.push((key, cx.waker().clone())),
            },
            None => {
                let key = inner.next_key;
                inner.next_key += 1;
                inner.waiting.push((key, cx.waker().clone()));
                this.key = Some(key);
            }
        }
        Poll::Pending
    }
}

fn leave<T>(inner: &mut Inner<T>, key: &mut Option<u64>) {
    if let Some(key) = key.take() {
        inner.waiting.retain(|(k, _)| *k != key);
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if self.key.is_some() {
            leave(&mut lock(self.shared), &mut self.key);
        }
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("shared::watch::Changed")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
