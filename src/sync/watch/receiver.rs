//! The receiving half of a watch channel.

use super::error::RecvError;
use super::shared::Shared;
use crate::executor::{block, Unwinding};
use crate::sync::recheck_wait::{arrive, depart, Wait};
use std::cell::Ref;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// Sees the latest value of a [`channel`](super::channel) and waits for it
/// to change. Each receiver remembers the version it has seen; a clone
/// has seen what its original has.
pub struct Receiver<T> {
    pub(super) shared: Rc<Shared<T>>,
    /// The version this receiver has seen (rule 1).
    pub(super) seen: u64,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Rc<Shared<T>>, seen: u64) -> Self {
        arrive(&shared.receivers);
        Receiver { shared, seen }
    }

    /// Borrows the current value without marking it seen. Drop the `Ref`
    /// before anything sends, and so before any wait: a send that finds
    /// the value borrowed panics.
    ///
    /// ```
    /// let (tx, rx) = corun::sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// assert!(rx.has_changed().unwrap()); // still unseen
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        self.shared.value.borrow()
    }

    /// Borrows the current value and marks it seen. The same care as for
    /// [`borrow`](Receiver::borrow) applies to the `Ref`.
    ///
    /// ```
    /// let (tx, mut rx) = corun::sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 2);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        self.seen = self.shared.version.get();
        self.shared.value.borrow()
    }

    /// Whether a value this receiver has not seen is there; never
    /// suspends.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once every sender is gone, seen or not (tokio's
    /// rule; [`changed`](Receiver::changed) still returns an unseen value
    /// first).
    ///
    /// ```
    /// let (tx, rx) = corun::sync::watch::channel(0);
    /// assert!(!rx.has_changed().unwrap());
    /// tx.send(1).unwrap();
    /// assert!(rx.has_changed().unwrap());
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if self.shared.sender_gone() {
            return Err(RecvError::closed());
        }
        Ok(self.seen != self.shared.version.get())
    }

    /// Marks the current value unseen: the next
    /// [`changed`](Receiver::changed) returns at once.
    ///
    /// ```
    /// let (_tx, mut rx) = corun::sync::watch::channel(0);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        // Any version but the current one is unseen, and the versions a
        // send makes later are unseen as well.
        self.seen = self.shared.version.get().wrapping_sub(1);
    }

    /// Marks the current value seen without borrowing it.
    ///
    /// ```
    /// let (tx, mut rx) = corun::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.get();
    }

    /// Waits for a value this receiver has not seen and marks it seen:
    /// returns at once if one is there, else suspends the calling task
    /// until a sender stores one. Read it with
    /// [`borrow`](Receiver::borrow) afterwards; values stored in between
    /// are not queued, the latest is the one there.
    ///
    /// # Errors
    ///
    /// [`RecvError`] when every sender is gone and no unseen value is left
    /// (an unseen last value is returned first, as tokio does); or, for a
    /// task that is unwinding (a destructor run by cancellation), when it
    /// would have to wait: it never suspends then.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`changed_async`](Receiver::changed_async) there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, mut rx) = corun::sync::watch::channel(0);
    /// ex.spawn(move || {
    ///     for v in 1..=3 {
    ///         tx.send(v).unwrap();
    ///         corun::yield_now();
    ///     }
    /// }); // tx is dropped here: the channel closes
    /// let seen = ex.block_on(|| {
    ///     let mut seen = Vec::new();
    ///     while rx.changed().is_ok() {
    ///         seen.push(*rx.borrow());
    ///     }
    ///     seen
    /// });
    /// assert_eq!(seen, [1, 2, 3]);
    /// ```
    pub fn changed(&mut self) -> Result<(), RecvError> {
        self.changed_as(
            "watch::Receiver::changed",
            "corun::sync::watch::Receiver::changed",
        )
    }

    /// A future of [`changed`](Receiver::changed), for future tasks and
    /// async code. It looks when polled; dropping it leaves the wait and
    /// changes nothing.
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, mut rx) = corun::sync::watch::channel("off");
    /// let watcher = ex.spawn_future(async move {
    ///     rx.changed_async().await.unwrap();
    ///     *rx.borrow()
    /// });
    /// ex.block_on(|| {
    ///     corun::yield_now(); // the future task waits now
    ///     tx.send("on").unwrap();
    ///     assert_eq!(watcher.join().unwrap(), "on");
    /// });
    /// ```
    pub fn changed_async(&mut self) -> Changed<'_, T> {
        Changed {
            shared: &self.shared,
            seen: &mut self.seen,
            wait: Wait::new(&self.shared.changes),
        }
    }

    /// Waits until `pred` holds for the value and borrows it, marking it
    /// seen: looks at the current value first (as tokio does), then at
    /// each new one, suspending the calling task in between. Drop the
    /// `Ref` before anything sends.
    ///
    /// # Errors
    ///
    /// As [`changed`](Receiver::changed): every sender is gone and no
    /// value it left matched, or the task is unwinding and would have to
    /// wait.
    ///
    /// # Panics
    ///
    /// If it has to wait outside a corun task, or in a future task (use
    /// [`wait_for_async`](Receiver::wait_for_async) there).
    ///
    /// ```
    /// let ex = corun::Executor::new();
    /// let (tx, mut rx) = corun::sync::watch::channel(0);
    /// ex.spawn(move || {
    ///     for v in 1..=10 {
    ///         tx.send(v).unwrap();
    ///         corun::yield_now();
    ///     }
    /// });
    /// let got = ex.block_on(|| *rx.wait_for(|v| v % 4 == 0).unwrap());
    /// assert_eq!(got, 4);
    /// ```
    pub fn wait_for(&mut self, mut pred: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        loop {
            if self.matches(&mut pred) {
                return Ok(self.borrow());
            }
            self.changed_as(
                "watch::Receiver::wait_for",
                "corun::sync::watch::Receiver::wait_for",
            )?;
        }
    }

    /// [`wait_for`](Receiver::wait_for) as a future, for future tasks and
    /// async code.
    ///
    /// ```
    /// let (tx, mut rx) = corun::sync::watch::channel(3);
    /// let ready = futures::executor::block_on(rx.wait_for_async(|v| *v > 2));
    /// assert_eq!(*ready.unwrap(), 3); // the current value matched
    /// # drop(tx);
    /// ```
    pub async fn wait_for_async(
        &mut self,
        mut pred: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        loop {
            if self.matches(&mut pred) {
                return Ok(self.borrow());
            }
            self.changed_async().await?;
        }
    }

    /// Whether `other` receives from the same channel.
    ///
    /// ```
    /// let (tx, rx) = corun::sync::watch::channel(0);
    /// assert!(rx.same_channel(&tx.subscribe()));
    /// assert!(!rx.same_channel(&corun::sync::watch::channel(0).1));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }

    /// Marks the current value seen and tells whether `pred` holds for it.
    fn matches(&mut self, pred: &mut impl FnMut(&T) -> bool) -> bool {
        self.seen = self.shared.version.get();
        pred(&self.shared.value.borrow())
    }

    /// [`changed`](Receiver::changed), showing `reason` in
    /// `Executor::tasks` and naming `what` outside a task.
    fn changed_as(&mut self, reason: &'static str, what: &str) -> Result<(), RecvError> {
        let Receiver { shared, seen } = self;
        let mut wait = Wait::new(&shared.changes);
        block(reason, || wait.poll(shared.check_changed(seen), None, what))
            .unwrap_or_else(|Unwinding| Err(RecvError::unwinding()))
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver::new(self.shared.clone(), self.seen)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        depart(&self.shared.receivers, &self.shared.closed);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("seen", &self.seen)
            .field("version", &self.shared.version.get())
            .field("closed", &self.shared.sender_gone())
            .finish()
    }
}

/// The future of [`Receiver::changed_async`].
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    shared: &'a Shared<T>,
    seen: &'a mut u64,
    wait: Wait<'a>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let ready = this.shared.check_changed(this.seen);
        this.wait
            .poll(ready, Some(cx.waker()), "corun::sync::watch::Changed::poll")
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Changed")
            .field("waiting", &self.wait.is_queued())
            .finish()
    }
}
